// report.html: one self-contained page (no network, no scripts, no external fonts; pictures
// as data URIs, plots as inline SVG) for a lecture or a sign-off, made from report.json
// alone plus the pictures it names. Every number a plot shows is the number report.json
// holds (tools/svg_plot.h writes each point's value beside its position).
//
// Per image: the input and every method's overlay side by side with one colour bar, the
// class and its probability, the top classes; for IG-CAM the path made visible (the class
// score along t with both ends marked, the norm of dy^c/dA along t, the running
// Riemann-Stieltjes sum against y^c(x) - y^c(x'), a film strip of the per-step maps); the
// gradient trace as a diagram of the backward path. Then every method's formula and its
// parameters as run, and the model, layer, device, dtype and libraries.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace igcam::tools {

// A picture's bytes by its file name in the output folder (report.json's "png" fields).
using ReadOutputFile = std::function<std::string(const std::string& file_name)>;

std::string report_html(const nlohmann::json& report, const ReadOutputFile& read_file);

// The sensitivity demo's page: f, its gradient and the integrated gradient against x, from
// the demo's report.json ("curve": x, f, f_minus_f0, gradient, integrated).
std::string sensitivity_report_html(const nlohmann::json& report);

// "data:image/png;base64,..." for PNG bytes.
std::string png_data_uri(const std::string& png_bytes);

}  // namespace igcam::tools
