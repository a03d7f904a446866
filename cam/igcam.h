// Integrated Grad-CAM (Sattarzadeh et al., ICASSP 2021), exactly as docs/methods.md defines it:
//   x_j = x' + t_j (x - x'),  alpha_k(j) = mean_ij dy^c(x_j)/dA^k_ij(x_j)
//   L = sum_j w_j ReLU( sum_k alpha_k(j) (A^k(x_j) - A^k(x')) )
// with every knob selectable. The default is the right Riemann sum (t_j = j/m, j = 1..m),
// delta against the baseline's feature maps, ReLU per step and the mean (w_j = 1/m).
// The "notebook" preset reproduces the authors' released notebook: left sum
// (t_j = j/m, j = 0..m-1), no delta, ReLU per step, plain sum (w_j = 1), zero baseline in
// model-input space, m = 50. All steps run as batched forward/backward passes.
#pragma once

#include <string>
#include <vector>

#include "cam/progress.h"
#include "models/model.h"

namespace igcam::cam {

enum class Riemann { Left, Right, Middle, Trapezoid };
enum class DeltaMode { Baseline, None };
enum class StepRelu { PerStep, Final };
enum class Reduction { Mean, Sum };

struct IgCamOptions {
    int steps = 50;
    Riemann riemann = Riemann::Right;
    DeltaMode delta = DeltaMode::Baseline;
    StepRelu relu = StepRelu::PerStep;
    Reduction reduce = Reduction::Mean;
    int64_t batch = 16;       // integrated_gradcam: interpolated images per forward/backward pass
    bool keep_steps = false;  // integrated_gradcam: keep every step's activations and gradients
};

// One image's completeness audit: the Riemann-Stieltjes sum
// sum_j sum_kij g(x_j) (A(x_j) - A(x_{j-1})) (left / right / trapezoid pairing as the rule),
// which tends to y^c(x) - y^c(x'), and its relative gap |sum - (y(x) - y(x'))| / |y(x) - y(x')|.
// NaN for the middle rule, whose points leave the grid's feature maps unevaluated.
struct IgCamAudit {
    double score_input = 0;     // y^c(x)
    double score_baseline = 0;  // y^c(x')
    double stieltjes_sum = 0;
    double relative_gap = 0;
};

// One image's path point by point, as the report plots it: a few numbers and one small map
// per step, always recorded (read back from the device once per image). Path order.
struct IgCamPath {
    std::vector<double> t;               // t_j (path_points)
    std::vector<double> scores;          // y^c(x_j)
    std::vector<double> gradient_norms;  // ||dy^c/dA(x_j)||_2 over (K, h, w)
    // The completeness audit's sum after each interval, whose right end is t = i/m,
    // i = 1..m; empty for the middle rule.
    std::vector<double> running_sum;
    Tensor step_maps;  // (steps, 1, h, w): each step's sum_k alpha_k(j) delta A^k(j), after the per-step ReLU
                       // when that is the rule, before the step's weight
};

// One image's path, kept for dumps: A(x_j) and dy^c/dA(x_j), (steps, K, h, w) in path order.
struct IgCamSteps {
    Tensor activations, gradients;
};

// "default" or "notebook" (the baseline of the notebook preset is the caller's business:
// a zero model input). Throws ValueError otherwise.
IgCamOptions igcam_preset(const std::string& name);
Riemann parse_riemann(const std::string& text);      // left | right | middle | trapezoid
DeltaMode parse_delta(const std::string& text);      // baseline | none
StepRelu parse_step_relu(const std::string& text);   // per_step | final
Reduction parse_reduction(const std::string& text);  // mean | sum
std::string to_string(Riemann r);
std::string to_string(DeltaMode d);
std::string to_string(StepRelu r);
std::string to_string(Reduction r);

// The path points t_j and their weights w_j for the options.
void path_points(const IgCamOptions& options, std::vector<double>& t, std::vector<double>& w);

struct IgCamResult {
    Tensor map;                          // (N, 1, h, w), after the method's ReLU
    std::vector<double> t, weights;      // path points and their weights
    std::vector<double> score_input;     // y^c(x) per image
    std::vector<double> score_baseline;  // y^c(x') per image
    // The completeness audit per image (IgCamAudit's sum and relative gap).
    std::vector<double> stieltjes_sum, completeness_gap;
    std::vector<IgCamPath> paths;        // per image
    int64_t passes = 0;                  // batched forward/backward passes over the path
    std::vector<int64_t> batch_sizes;    // rows in each pass
    std::vector<int64_t> memory_retries; // after each out-of-memory chunk: the smaller size tried next
    // With keep_steps: (N * steps, K, h, w), image-major, in path order.
    Tensor step_activations, step_gradients;
    Tensor baseline_activations;         // A(x') (N, K, h, w)
};

// The explanation pipeline (cam/pipeline.h) runs IG-CAM from its registry entry, which
// takes the input's end of the path from the batch's own forward pass and the baseline's
// from one forward per input size; this standalone form runs both ends itself.
// input, baseline (N, 3, H, W) (a baseline of batch 1 serves every image); classes, one
// per image.
IgCamResult integrated_gradcam(const models::Model& model, const Tensor& input, const Tensor& baseline,
                               const std::string& layer, const std::vector<int64_t>& classes,
                               const IgCamOptions& options, const Progress& progress = {});

}  // namespace igcam::cam
