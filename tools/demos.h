// Built-in demonstrations of the engine, run by `igcam-run --demo NAME`.
#pragma once

#include <ostream>
#include <string>

#include "core/dtype.h"

namespace igcam::tools {

struct DemoOptions {
    DType dtype = DType::F64;
    int steps = 50;  // Riemann steps of the integrated gradient (sensitivity demo)
    // Sensitivity demo with --report: this folder gets report.json (the curves) and report.html.
    std::string report_dir;
};

// The article's f(x) = 1 - ReLU(1 - x): the gradient vanishes for x > 1 although f(x) - f(0)
// does not, while the integrated gradient from 0 recovers f(x) - f(0). With a report_dir,
// also the curves at x = 0, 0.05, ..., 3 as report.json and report.html there.
void run_sensitivity_demo(const DemoOptions& options, std::ostream& out);

// A seeded conv-relu-pool-linear network: forward, backward from one class score, and the
// gradient trace of every node the backward pass visited.
void run_trace_demo(const DemoOptions& options, std::ostream& out);

}  // namespace igcam::tools
