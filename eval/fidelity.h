// Fidelity: how the model's confidence reacts when the input keeps only what a map marks
// (Average Drop, Increase in Confidence) or loses / gains its pixels in the map's order
// (deletion, insertion). Every masked input of a batch of (image, method) requests runs in
// chunks of `batch` rows through the model (forward only); a chunk that runs out of memory
// is retried at half its rows.
#pragma once

#include <string>
#include <vector>

#include "core/tensor.h"
#include "eval/metrics.h"
#include "models/model.h"

namespace igcam::eval {

// The score the confidence metrics read: softmax probability (default), the logit, or the
// sigmoid of the logit.
enum class Score { Softmax, Logit, Sigmoid };
// Where a map masks the input: `Pixel` multiplies the image's pixels before preprocessing
// (removed pixels turn black: x_masked = b + Ln (x - b), b the preprocessed black);
// `Normalised` multiplies the model input (removed pixels become 0, the mean colour).
enum class MaskSpace { Pixel, Normalised };

Score parse_score(const std::string& name);          // softmax | logit | sigmoid
MaskSpace parse_mask_space(const std::string& name);  // pixel | normalised
std::string score_name(Score s);
std::string mask_space_name(MaskSpace s);

// s(logits)[c] of one row of logits.
double class_score(const std::vector<double>& logits, int64_t c, Score score);

struct FidelityRequest {
    const Tensor* input = nullptr;  // x (1, 3, H, W), the model input
    Grid saliency;                  // Ln (H x W), fidelity_frame of the map
    int64_t class_index = 0;        // c
};

struct FidelityResult {
    double masked = 0;                         // s(x masked by Ln)[c]
    std::vector<double> deletion, insertion;   // n + 1 scores each, when curves were asked for
};

struct FidelityOptions {
    Score score = Score::Softmax;
    MaskSpace space = MaskSpace::Pixel;
    bool masked = true;    // Drop / Increase
    bool curves = false;   // deletion and insertion
    int64_t steps = 50;    // curve steps: ceil(HW / steps) pixels change per step
    int64_t batch = 16;    // rows per forward pass
};

// The preprocessed black of each model input channel: (0 * scale - mean) / std.
std::vector<double> preprocessed_black(const models::Preprocess& preprocess);

std::vector<FidelityResult> run_fidelity(const models::Model& model, const std::vector<FidelityRequest>& requests,
                                         const FidelityOptions& options);

// RISE's insertion start: x blurred channel by channel with an 11 x 11 Gaussian (sigma 5;
// RISE's gkern: scipy's gaussian_filter of a centred delta, reflecting at the kernel's
// edges), zero padding. x: 3 x H x W values, channel-major.
std::vector<double> rise_blur(const std::vector<double>& x, int64_t height, int64_t width);

// Pixels (row-major indices) in descending order of the map, ties in raster order.
std::vector<int64_t> descending_order(const Grid& map);

}  // namespace igcam::eval
