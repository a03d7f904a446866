// The CUDA kernels behind core/ops.h, declared free of CUDA headers so core/ops_*.cpp can
// call them. Each mirrors the core/cpu function of the same name: same arguments, same
// semantics, pointers into device memory of `device`'s context, work queued on that
// device's stream (asynchronous unless stated). Every output is assigned in full.
// Instantiated for float and double.
#pragma once

#include <cstdint>
#include <vector>

#include "core/op_params.h"

namespace igcam::cuda {

// ---- elementwise (cuda/elementwise.cu) -------------------------------------------------
template <typename T>
void fill(int device, T* out, T value, int64_t n);
// out (n) = in (n) converted from From to To.
template <typename To, typename From>
void convert(int device, To* out, const From* in, int64_t n);
template <typename T>
void binary_same_shape(int device, BinaryOp op, T* out, const T* a, const T* b, int64_t n);
// out has shape `dims` (contiguous, at most 8 dimensions); a and b are read with strides
// (0 along broadcast dimensions).
template <typename T>
void binary_strided(int device, BinaryOp op, T* out, const T* a, const std::vector<int64_t>& a_strides,
                    const T* b, const std::vector<int64_t>& b_strides, const std::vector<int64_t>& dims);
template <typename T>
void affine(int device, T* y, const T* x, T alpha, T beta, int64_t n);
template <typename T>
void relu_forward(int device, T* y, const T* x, int64_t n);
template <typename T>
void relu_backward(int device, T* grad_x, const T* grad_y, const T* x, int64_t n);
// y = x * scale[c] + shift[c] over x (batch, channels, spatial); shift may be null.
template <typename T>
void channel_affine(int device, T* y, const T* x, const T* scale, const T* shift, int64_t batch,
                    int64_t channels, int64_t spatial);
// Batch-norm folding on the device: scale[c] = gamma[c] / sqrt(var[c] + eps) and, when shift
// is not null, shift[c] = beta[c] - mean[c] * scale[c], formed in double. A negative
// variance gives NaN (the CPU path raises ValueError instead; weights are checked on load).
template <typename T>
void batch_norm_fold(int device, T* scale, T* shift, const T* gamma, const T* beta, const T* mean,
                     const T* var, double eps, int64_t channels);
// y (rows, cols) += bias (cols) broadcast over rows: the bias of a linear layer.
template <typename T>
void add_row_bias(int device, T* y, const T* bias, int64_t rows, int64_t cols);
// y (batch, channels, spatial) += bias[c].
template <typename T>
void add_channel_bias(int device, T* y, const T* bias, int64_t batch, int64_t channels, int64_t spatial);

// ---- reductions (cuda/reduce.cu) -------------------------------------------------------
// Deterministic: every output is reduced by one thread block in a fixed order.
template <typename T>
void strided_sum(int device, T* out, int64_t out_numel, const T* x, const std::vector<int64_t>& dims,
                 const std::vector<int64_t>& out_strides);
template <typename T>
void strided_extreme(int device, T* out, int64_t out_numel, const T* x, const std::vector<int64_t>& dims,
                     const std::vector<int64_t>& out_strides, bool maximum);
template <typename T>
void strided_copy(int device, T* out, const std::vector<int64_t>& dims, const T* x,
                  const std::vector<int64_t>& x_strides);
template <typename T>
void softmax_forward(int device, T* y, const T* x, int64_t outer, int64_t axis, int64_t inner);
template <typename T>
void softmax_backward(int device, T* grad_x, const T* grad_y, const T* y, int64_t outer, int64_t axis,
                      int64_t inner);
// Synchronous: the host needs the answers.
template <typename T>
int64_t first_nonfinite(int device, const T* x, int64_t n);
struct SummaryStats {
    double l2 = 0, min = 0, max = 0, zero_fraction = 0;
};
template <typename T>
SummaryStats summary_stats(int device, const T* x, int64_t n);

// ---- pooling (cuda/pool2d.cu) ----------------------------------------------------------
// Our own kernels rather than cuDNN's: PyTorch's ceil_mode windows need padding on one side
// only, which a cuDNN pooling descriptor cannot express, and the max-pool backward must
// pick the same first maximum as the CPU. The backward kernels gather (one thread per input
// element, no atomics), so they are deterministic.
template <typename T>
void max_pool2d_forward(int device, T* y, const T* x, const Pool2dGeometry& g);
template <typename T>
void max_pool2d_backward(int device, T* grad_x, const T* grad_y, const T* x, const Pool2dGeometry& g);
template <typename T>
void avg_pool2d_forward(int device, T* y, const T* x, const Pool2dGeometry& g);
template <typename T>
void avg_pool2d_backward(int device, T* grad_x, const T* grad_y, const Pool2dGeometry& g);
template <typename T>
void adaptive_avg_pool2d_forward(int device, T* y, const T* x, int64_t planes, int64_t in_h,
                                 int64_t in_w, int64_t out_h, int64_t out_w);
template <typename T>
void adaptive_avg_pool2d_backward(int device, T* grad_x, const T* grad_y, int64_t planes, int64_t in_h,
                                  int64_t in_w, int64_t out_h, int64_t out_w);

// ---- resizing and padding (cuda/resize.cu) ---------------------------------------------
template <typename T>
void resize_bilinear_forward(int device, T* y, const T* x, int64_t planes, int64_t in_h, int64_t in_w,
                             int64_t out_h, int64_t out_w);
// Gathers (each input pixel sums the outputs that read it): deterministic, no atomics.
template <typename T>
void resize_bilinear_backward(int device, T* grad_x, const T* grad_y, int64_t planes, int64_t in_h,
                              int64_t in_w, int64_t out_h, int64_t out_w);
template <typename T>
void pad2d_forward(int device, T* y, const T* x, int64_t planes, int64_t in_h, int64_t in_w,
                   const Padding2d& pad);
template <typename T>
void pad2d_backward(int device, T* grad_x, const T* grad_y, int64_t planes, int64_t in_h, int64_t in_w,
                    const Padding2d& pad);

// ---- convolution through cuDNN (cuda/conv2d.cpp) ---------------------------------------
// CUDNN_CROSS_CORRELATION, FMA math (tensor-op math when TF32 is on, see cuda/runtime.h),
// deterministic algorithms only, chosen once per shape by measurement and cached.
// Asymmetric padding (Keras "same" at stride 2) is applied by padding the input first.
template <typename T>
void conv2d_forward(int device, T* y, const T* x, const T* weight, const T* bias, const Conv2dGeometry& g);
template <typename T>
void conv2d_backward_data(int device, T* grad_x, const T* grad_y, const T* weight, const Conv2dGeometry& g);
template <typename T>
void conv2d_backward_weight(int device, T* grad_weight, const T* grad_y, const T* x, const Conv2dGeometry& g);
template <typename T>
void conv2d_backward_bias(int device, T* grad_bias, const T* grad_y, const Conv2dGeometry& g);

// ---- fully connected through cuBLAS (cuda/linear.cpp) ----------------------------------
template <typename T>
void linear_forward(int device, T* y, const T* x, const T* weight, const T* bias, int64_t batch,
                    int64_t in_features, int64_t out_features);
template <typename T>
void linear_backward_input(int device, T* grad_x, const T* grad_y, const T* weight, int64_t batch,
                           int64_t in_features, int64_t out_features);
template <typename T>
void linear_backward_weight(int device, T* grad_weight, const T* grad_y, const T* x, int64_t batch,
                            int64_t in_features, int64_t out_features);
template <typename T>
void linear_backward_bias(int device, T* grad_bias, const T* grad_y, int64_t batch, int64_t out_features);

}  // namespace igcam::cuda
