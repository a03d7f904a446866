// The explanation pipeline: the one path every tool explains through (igcam-run,
// igcam-bench; the evaluator and the Python module call it the same way).
//
//   inputs (N images, any sizes) ─▶ grouped by input size ─▶ batches of `batch` images
//     ─▶ the plan: what the requested methods need (cam/registry.h)
//     ─▶ per batch: one forward, taped only when a gradient is needed, and at most one
//        backward (its gradient trace only when asked)
//     ─▶ each method on the batch: maps (B, 1, h, w); IG-CAM's (image, step) rows, Score-CAM's
//        masked inputs and Ablation-CAM's reruns fill chunks of `batch` rows across the
//        batch's images; IG-CAM's baseline runs once per input size
//     ─▶ one ImageExplanation per image, handed to the caller batch by batch
//
// Every image's arithmetic is its own (no op mixes the rows of a batch), so the maps do not
// depend on the batching beyond the rounding of GEMMs whose blocking follows the batch
// size. A pass that runs out of memory is retried at half its rows (cam/chunks.h), and the
// smaller size is kept for the rest of the images of that size. A run through a sink holds one batch's
// intermediates at a time; explain_all keeps each image's maps, which share their batch's storage.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "cam/baseline.h"
#include "cam/progress.h"
#include "cam/registry.h"
#include "cam/target.h"
#include "models/model.h"

namespace igcam::cam {

// What the requested methods need, decided once per run.
struct Plan {
    bool taped = false;  // a forward with the layer tapped and one backward per batch
    bool path = false;   // IG-CAM's baseline forward, once per input size

    // Taped when some method needs gradients or the trace is asked for.
    static Plan of(const std::vector<const MethodSpec*>& methods, bool trace);
};

struct ExplainOptions {
    std::vector<const MethodSpec*> methods;  // at least one (cam::parse_method_list)
    std::string layer;                       // the target layer's module name
    Target target;                           // each image's class
    IgCamOptions igcam;                      // IG-CAM's knobs (its batch and keep_steps unused)
    Baseline baseline;                       // IG-CAM's x'
    // Images per pass, and rows (IG-CAM steps, Score-CAM masks, ablations) per rerun pass;
    // 0: automatic_batch for each input size.
    int64_t batch = 0;
    bool trace = false;         // each image's gradient trace (a taped pass)
    bool keep_tensors = false;  // each image's activations, gradients and IG-CAM steps (dumps)
};

// N images, loaded one batch at a time.
struct Inputs {
    std::vector<Shape> shapes;                  // (1, 3, H, W) of each image, known up front
    std::function<Tensor(int64_t image)> load;  // its model input: that shape, the model's dtype and device
    // Each input's class, when the caller chose them (an evaluator explains one image for
    // each class it shows); empty: ExplainOptions::target chooses.
    std::vector<int64_t> classes;

    // Images already in memory (each (1, 3, H, W), or (N, 3, H, W) rows).
    static Inputs from_tensors(const std::vector<Tensor>& images);
};

struct MethodMap {
    const MethodSpec* method = nullptr;
    Tensor map;     // (1, 1, h, w), after the method's own ReLU
    double ms = 0;  // the method's time on the batch, shared equally by its images
    int64_t pass_rows = 0;  // rows per rerun / path pass the method started the batch with
};

struct ImageExplanation {
    int64_t index = 0;         // position in the Inputs
    Shape input_shape;         // (1, 3, H, W)
    Shape layer_shape;         // (1, K, h, w)
    Tensor logits;             // (1, classes)
    int64_t target_class = 0;  // c
    double score = 0;          // y^c, the pre-softmax class score
    double capture_ms = 0;     // the batch's forward (and backward), shared equally
    int64_t batch_images = 0;  // images in the batch it was computed in
    std::vector<MethodMap> maps;  // in ExplainOptions::methods order
    std::optional<IgCamAudit> igcam;
    std::optional<IgCamPath> igcam_path;  // IG-CAM's path point by point (the report's plots)
    ag::GradientTrace trace;   // with ExplainOptions::trace
    // With keep_tensors:
    Tensor input;                           // the model input (1, 3, H, W)
    Tensor activations, gradients;          // (1, K, h, w); gradients when the pass was taped
    std::optional<IgCamSteps> igcam_steps;  // IG-CAM's path
    Tensor baseline_activations;            // A(x') (1, K, h, w), for IG-CAM
};

struct MethodStats {
    const MethodSpec* method = nullptr;
    int64_t passes = 0, rows = 0;         // rerun / path passes and their rows, of kept batches
    std::vector<int64_t> memory_retries;  // sizes tried after running out of memory
    double ms = 0;                        // time on the kept batches
};

struct ExplainStats {
    int64_t images = 0, groups = 0, batches = 0;
    std::vector<int64_t> batch_sizes;     // the images per pass each input size started with
    std::vector<int64_t> memory_retries;  // image batches retried smaller
    std::vector<MethodStats> methods;     // in ExplainOptions::methods order
};

// Rows per pass when ExplainOptions::batch is 0: about a quarter of the device's available
// memory over an estimate of one row's working set (input elements x 32 x element size),
// between 1 and 16 on the CPU and 64 on a GPU.
int64_t automatic_batch(const Shape& input_shape, DType dtype, Device device);

// Explains every input; calls `deliver` once per batch (one input size, images in input
// order; sizes in order of their first image) with that batch's explanations. Throws
// ValueError for options that name no method or a layer that is not a feature map; whatever
// a method throws ends the run.
using ResultSink = std::function<void(std::vector<ImageExplanation>& batch)>;
ExplainStats explain(const models::Model& model, const Inputs& inputs, const ExplainOptions& options,
                     const ResultSink& deliver, const ProgressSink& progress = {});

// The same, every explanation kept, in input order; `after_batch`, when given, is told how
// many images are done after each batch.
std::vector<ImageExplanation> explain_all(const models::Model& model, const Inputs& inputs,
                                          const ExplainOptions& options, ExplainStats* stats = nullptr,
                                          const std::function<void(int64_t images_done)>& after_batch = {});

}  // namespace igcam::cam
