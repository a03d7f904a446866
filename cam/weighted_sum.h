// The step every CAM shares: L = ReLU(sum_k w_k A^k) for channel weights w (N, K, 1, 1)
// or elementwise weights (N, K, h, w), with activations A (N, K, h, w). Returns (N, 1, h, w).
#pragma once

#include "core/tensor.h"

namespace igcam::cam {

Tensor relu_weighted_sum(const Tensor& weights, const Tensor& activations);
// The same without the ReLU (IG-CAM's per-step terms before its own ReLU choice).
Tensor weighted_sum(const Tensor& weights, const Tensor& activations);
// Checks A and g are matching (N, K, h, w) tensors; `method` names the caller in errors.
void check_layer_tensors(const char* method, const Tensor& activations, const Tensor& gradients);

}  // namespace igcam::cam
