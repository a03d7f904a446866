// The CAM methods that weight channels by rerunning the model: Score-CAM masks the input
// with each upsampled activation map, Ablation-CAM removes each channel from the target
// layer. Both run their (image, channel) rows across the images in passes of `batch` rows
// (Ablation-CAM adds one unablated row per image in a pass); a pass that runs out of memory
// is retried at half its rows. These are the standalone forms; the pipeline's registry
// entries run the same code on its batches.
#pragma once

#include <string>
#include <vector>

#include "cam/progress.h"
#include "models/model.h"

namespace igcam::cam {

// Score-CAM (Wang et al., 2020), as pytorch-grad-cam: each channel A^k (N, K, h, w) is
// upsampled to the input size (bilinear, half-pixel centres, as F.interpolate with
// align_corners=False; pytorch-grad-cam uses align_corners=True here), min-max normalised to
// [0, 1] (a constant channel gives a zero mask), multiplied into the input (N, 3, H, W);
// w = softmax_k(y^c(x * M^k)); L = ReLU(sum_k w_k A^k). Returns (N, 1, h, w).
Tensor scorecam(const models::Model& model, const Tensor& input, const Tensor& activations,
                const std::vector<int64_t>& classes, int64_t batch, const Progress& progress = {});

// Ablation-CAM (Desai & Ramaswamy, 2020): channel k of the target layer is set to zero (the
// paper's ablation; pytorch-grad-cam instead uses min(A) - 1e7 when A has negative values,
// which agrees for post-ReLU layers) and the network reruns from that layer;
// w_k = (y^c - y^c_k) / y^c; L = ReLU(sum_k w_k A^k). `scores` (N) are the unablated y^c of
// the denominator; the difference takes its y^c from the same pass as y^c_k (ablationcam.cpp
// says why). Returns (N, 1, h, w).
Tensor ablationcam(const models::Model& model, const Tensor& input, const Tensor& activations,
                   const std::string& layer, const std::vector<int64_t>& classes, const Tensor& scores,
                   int64_t batch, const Progress& progress = {});

}  // namespace igcam::cam
