// CPU elementwise kernels over contiguous buffers of n elements. Every function assigns
// its output; outputs may not alias inputs unless stated.
#pragma once

#include <cstdint>
#include <vector>

#include "core/op_params.h"

namespace igcam::cpu {

// out[i] = a[i] op b[i].
template <typename T>
void binary_same_shape(BinaryOp op, T* out, const T* a, const T* b, int64_t n);

// Broadcasting form: out has shape `dims` (contiguous); a and b are read with the given
// strides (0 along broadcast dimensions).
template <typename T>
void binary_strided(BinaryOp op, T* out, const T* a, const std::vector<int64_t>& a_strides,
                    const T* b, const std::vector<int64_t>& b_strides,
                    const std::vector<int64_t>& dims);

// y[i] = alpha * x[i] + beta.
template <typename T>
void affine(T* y, const T* x, T alpha, T beta, int64_t n);

// y[i] = x[i] > 0 ? x[i] : 0.
template <typename T>
void relu_forward(T* y, const T* x, int64_t n);
// grad_x[i] = x[i] > 0 ? grad_y[i] : 0 (the subgradient at exactly 0 is 0).
template <typename T>
void relu_backward(T* grad_x, const T* grad_y, const T* x, int64_t n);

// Per-channel affine map of x (batch, channels, spatial): y = x * scale[c] + shift[c]
// (shift may be null). Batch-norm inference forward and its input gradient are both this.
template <typename T>
void channel_affine(T* y, const T* x, const T* scale, const T* shift, int64_t batch,
                    int64_t channels, int64_t spatial);

}  // namespace igcam::cpu
