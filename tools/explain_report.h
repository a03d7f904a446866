// What igcam-run records of its results (record), and the two ways it shows them: the JSON
// report and the console summary (print). Both are made from these records in memory; the
// summary is never re-read from the JSON.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autograd/engine.h"
#include "cam/pipeline.h"
#include "tools/explain.h"

namespace igcam::tools {

inline constexpr const char* kIgcamVersion = "0.1.0";

struct MethodRecord {
    std::string name;
    double ms = 0;                   // the method's time on the image's batch, per image
    std::vector<int64_t> map_shape;  // (1, 1, h, w)
    double map_max = 0;
    bool zero_map = false;
    std::string png, npy;            // file names inside OUT
    nlohmann::json params;           // the method's parameters as run
    std::optional<cam::IgCamAudit> completeness;
    std::optional<cam::IgCamPath> path;  // IG-CAM's path point by point (its numbers go into the JSON)
};

struct ImageRecord {
    std::string path, stem;
    std::vector<int64_t> input_shape, layer_shape;
    int64_t class_index = 0;
    std::string class_name;
    double logit = 0, probability = 0;
    nlohmann::json topk;
    double capture_ms = 0;  // the batch's forward (and backward), per image
    int64_t batch_images = 0;
    std::vector<MethodRecord> methods;
    std::string grid;
    std::string input_png, path_png;  // with --report: the input as the model saw it, IG-CAM's per-step maps
    std::optional<ag::GradientTrace> trace;
};

// How many images report.html shows (the first ones): a page for a projector, not a dataset.
inline constexpr int64_t kReportImages = 16;

// The record of one explained image (its files named after `stem`).
ImageRecord record_image(const cam::ImageExplanation& e, const std::string& path, const std::string& stem,
                         const models::Model& model, const ExplainOptions& options);

// An image's entry in report.json.
nlohmann::json image_json(const ImageRecord& record);

// report.json: the run (model, preprocessing, layer, device, dtype, libraries, the methods
// with their passes and memory retries, the MPI ranks) and every image's entry
// (image_json), in input order.
nlohmann::json report_json(const models::Model& model, const std::string& layer, const ExplainOptions& options,
                           const cam::ExplainStats& stats, const std::vector<nlohmann::json>& images, int ranks);

// One rank's pipeline statistics, as it sends them to rank 0, and rank 0 adding them to its
// own: images, batches, passes, rows, retries and milliseconds summed over ranks; input
// sizes the most any rank saw; the batch sizes each size started with, once each.
nlohmann::json stats_json(const cam::ExplainStats& stats);
void add_stats(cam::ExplainStats& into, const nlohmann::json& other);

// An image's part of the console summary: a line for the image (class, logit, probability,
// layer), a line per method (milliseconds, all-zero maps, IG-CAM's completeness gap) and,
// with `with_trace` (--trace), the gradient trace.
std::string image_summary(const ImageRecord& record, const std::string& layer, bool with_trace);

}  // namespace igcam::tools
