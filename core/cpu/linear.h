// CPU fully connected layer through GEMM. x (batch, in), weight (out, in), y (batch, out).
#pragma once

#include <cstdint>

namespace igcam::cpu {

// y = x weight^T + bias (bias (out) may be null). Assigns y.
template <typename T>
void linear_forward(T* y, const T* x, const T* weight, const T* bias, int64_t batch,
                    int64_t in_features, int64_t out_features);
// grad_x (batch, in) = grad_y (batch, out) weight (out, in). Assigns.
template <typename T>
void linear_backward_input(T* grad_x, const T* grad_y, const T* weight, int64_t batch,
                           int64_t in_features, int64_t out_features);
// grad_weight (out, in) = grad_y^T (out, batch) x (batch, in). Assigns.
template <typename T>
void linear_backward_weight(T* grad_weight, const T* grad_y, const T* x, int64_t batch,
                            int64_t in_features, int64_t out_features);
// grad_bias (out) = sum over the batch of grad_y. Assigns.
template <typename T>
void linear_backward_bias(T* grad_bias, const T* grad_y, int64_t batch, int64_t out_features);

}  // namespace igcam::cpu
