// The files igcam-run writes for one explained image, staged with the rest of the run
// (core/io/staged_file.h): per method an overlay on the image the model saw and the raw
// map as .npy (in the run's dtype, so a float64 audit loses no digits), the labelled grid
// of all of them, and with --dump the image's tensors.
#pragma once

#include <string>

#include "cam/colormap.h"
#include "cam/pipeline.h"
#include "core/io/image.h"
#include "core/io/staged_file.h"
#include "models/hdf5_file.h"
#include "tools/explain.h"
#include "tools/explain_report.h"

namespace igcam::tools {

// OUT/<stem>.<method>.png, .npy and OUT/<stem>.grid.png, named as the record says; with
// --report also OUT/<stem>.input.png (`view`) and, with IG-CAM, OUT/<stem>.igcam-path.png:
// up to kPathPanels of the path's steps, each step's map on one colour scale shared by all
// steps (the largest value of any step is 1), over the interpolated image x_j where the
// baseline is black (t_j times the view), else over the view.
void write_image_files(io::StagedFiles& staged, const std::string& out_dir, const io::Image& view,
                       const cam::ImageExplanation& e, const ImageRecord& record, const ExplainOptions& options);

inline constexpr int kPathPanels = 10;

// /<stem>/input, logits, activations, gradients (when computed), maps/<method>, the group's
// attribute `class` (the target class), and for
// IG-CAM igcam/t, step_activations, step_gradients and baseline_activations.
// `e` must keep its tensors (cam::ExplainOptions::keep_tensors).
void write_dump(h5::Writer& dump, const cam::ImageExplanation& e, const std::string& stem,
                const cam::IgCamOptions& igcam);

}  // namespace igcam::tools
