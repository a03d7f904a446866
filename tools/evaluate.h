// igcam-eval's job: every method's maps on every image of a dataset, scored by every metric.
//
//   dataset (eval/dataset.h) ─▶ chunks of images: decoded, preprocessed, classified once
//     ─▶ (image, class) pairs: each class present (localisation) and the fidelity target
//     ─▶ the explanation pipeline on the pairs (cam/pipeline.h), batch by batch
//     ─▶ per batch: localisation metrics in the image's pixels; Drop / Increase (and the
//        deletion / insertion curves) of all the batch's (pair, method) maps in shared forwards
//     ─▶ OUT/rows.jsonl, image by image (tools/eval_rows.h)
//   at the end, from rows.jsonl alone: OUT/summary.{json,csv,md} (eval/summary.h).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "cam/igcam.h"
#include "cam/registry.h"
#include "core/dtype.h"
#include "core/device.h"
#include "eval/dataset.h"
#include "eval/fidelity.h"
#include "eval/metric_registry.h"
#include "eval/metrics.h"
#include "tools/ranks.h"

namespace igcam::tools {

// Which classes an image is explained for.
enum class TargetMode {
    Mixed,  // localisation: every class present; fidelity: the predicted top-1 (default)
    Truth,  // both: every class present
    Top1,   // both: the predicted top-1 (localisation only when it is present)
};
TargetMode parse_target_mode(const std::string& name);  // mixed | gt | top1
std::string target_mode_name(TargetMode mode);

struct EvaluateOptions {
    std::string weights;
    std::string data;
    eval::DatasetOptions dataset;
    std::vector<const cam::MethodSpec*> methods;
    std::vector<const eval::MetricSpec*> metrics;
    std::string layer;       // empty: the model's default
    std::string preprocess;  // empty: the weight file's
    DType dtype = DType::F32;
    Device device = Device::cpu();
    int64_t batch = 0;       // images (and rows) per pass; 0: automatic
    cam::IgCamOptions igcam;
    std::string igcam_preset = "default";
    std::string baseline = "black";
    eval::Score score = eval::Score::Softmax;
    eval::MaskSpace mask_space = eval::MaskSpace::Pixel;
    TargetMode target = TargetMode::Mixed;
    eval::Ties ties = eval::Ties::Fraction;
    double tolerance = 15;         // pointing game, pixels
    double max_box_fraction = 0;   // > 0: skip localisation of classes whose boxes cover more of the image
    int64_t steps = 50;            // deletion / insertion
    int64_t limit = 0;             // > 0: the first `limit` images only
    int64_t resamples = 1000;      // bootstrap
    uint64_t seed = 0;
    std::string out_dir = "igcam-eval-out";
    bool resume = false;
    bool quiet = false;
    std::string dump;              // a folder for every map, mask and input (tests, audits)
    int64_t sanity = 0;            // > 0: the cascading-randomisation check on this many images
    bool timings = true;           // false: rows and summary.json without milliseconds (identical bytes run to run)
    std::string command_line;
};

// The exit code of a run that finished with some images failed (each recorded as a row).
inline constexpr int kExitSomeImagesFailed = 5;

struct EvaluateResult {
    int64_t images = 0;       // in the dataset (after --limit)
    int64_t evaluated = 0;    // computed in this run (by all ranks)
    int64_t failed = 0;       // images whose row is a failure, in the whole rows file (rank 0)
    int exit_code = 0;        // 0, or kExitSomeImagesFailed; the same on every rank
};

// Under MPI (tools/ranks.h) every rank calls this: each evaluates its share of the images
// not yet done (share_of over them, in dataset order), rank 0 gathers the rows, writes
// rows.jsonl in dataset order and the summary, and prints to `out`.
EvaluateResult run_evaluate(const EvaluateOptions& options, std::ostream& out, Ranks& ranks);

}  // namespace igcam::tools
