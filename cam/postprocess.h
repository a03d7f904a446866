// From a raw map to what a person looks at: bilinear upsampling to the input size
// (half-pixel centres, as F.interpolate with align_corners=False) and per-image min-max
// normalisation with an epsilon (pytorch-grad-cam's scale_cam_image). An all-zero map stays
// all zero (never NaN) and is reported as such.
#pragma once

#include "core/tensor.h"

namespace igcam::cam {

// map (N, 1, h, w) -> (N, 1, height, width).
Tensor upsample_map(const Tensor& map, int64_t height, int64_t width);
// Each image: (m - min) / (max - min + 1e-7). (N, 1, H, W) -> same shape, values in [0, 1).
Tensor normalize_maps(const Tensor& maps);
// True for each image whose raw map is exactly zero everywhere (the class score's gradient
// or weights were all non-positive there).
std::vector<bool> zero_maps(const Tensor& maps);

}  // namespace igcam::cam
