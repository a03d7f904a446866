// The parts of the extension module igcam._igcam, one file each.
#pragma once

#include <nanobind/nanobind.h>

namespace igcam::python {

void bind_model(nanobind::module_& m);    // Model, load (model.cpp)
void bind_render(nanobind::module_& m);   // overlay, colormaps (render.cpp)
void bind_metrics(nanobind::module_& m);  // the evaluator's metrics (metrics.cpp)

}  // namespace igcam::python
