// igcam._igcam: the compiled half of the igcam Python package (python/igcam/ is the other).
#include <nanobind/nanobind.h>

#include "python/src/bindings.h"
#include "python/src/errors.h"
#include "tools/explain_report.h"

NB_MODULE(_igcam, m) {
    m.doc() = "igcam's C++ engine; use the igcam package, which documents every function.";
    m.attr("__version__") = igcam::tools::kIgcamVersion;
    igcam::python::register_errors();
    igcam::python::bind_model(m);
    igcam::python::bind_render(m);
    igcam::python::bind_metrics(m);
}
