// THE op API. Layers, autograd and CAM code call only these functions; ops.cpp checks every
// argument (defined, same device, same dtype, shapes, sizes) and dispatches to the backend
// kernels of the tensors' device (core/cpu, or cuda/ in a CUDA build). Every op returns a new tensor and
// never writes into its inputs, so tensors saved for backward stay valid. Inputs may be in
// any layout (core/layout.h); results are plain unless an op says otherwise.
//
// Conventions: images are NCHW; f32 and f64 are both supported on both backends; all tensor
// arguments of one call must share dtype and device (DTypeError / DeviceError otherwise);
// shape problems throw ShapeError, bad scalar arguments ValueError. An undefined `bias`
// tensor means "no bias".
#pragma once

#include <cstdint>
#include <vector>

#include "core/op_params.h"
#include "core/tensor.h"
#include "core/weight_cache.h"

namespace igcam::ops {

// ---- memory ---------------------------------------------------------------------------
// A new tensor of `shape` with every element `value`.
Tensor full(const Shape& shape, double value, DType dtype, Device device);
// A copy of x on `device` (x itself when it is already there: tensors are immutable values
// to the ops, so sharing is safe). Copies to the host wait for the device.
Tensor to_device(const Tensor& x, Device device);
// A deep copy on x's device, in x's layout.
Tensor clone(const Tensor& x);
// x's values in the plain (row-major) layout: x itself when they already are, else a copy.
// Never changes x. Every op reads its inputs through this (core/layout.h).
Tensor to_plain(const Tensor& x);
// x's values in `layout` (x itself when they already are). A channel-blocked layout needs a
// float32 (N, C, H, W) CPU tensor with C a multiple of the block.
Tensor to_layout(const Tensor& x, const Layout& layout);

// ---- convolution -------------------------------------------------------------------
// requires: x (N, C, H, W), weight (O, C, kh, kw), bias (O) or undefined; strides >= 1;
//           padding >= 0; the kernel fits in the padded input.
// ensures:  y (N, O, (H + pad_top + pad_bottom - kh) / stride_h + 1, ...) (floor).
Shape conv2d_output_shape(const Shape& x, const Shape& weight, const Conv2dParams& params);
// `weights_cache` (optional): where the weights' copy in a backend's own layout is kept
// between calls (core/weight_cache.h); a layer passes its own. x may be channel-blocked; y
// is plain.
Tensor conv2d_forward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                      const Conv2dParams& params, WeightCache* weights_cache = nullptr);
// grad_y (N, O, out_h, out_w) -> grad_x with shape x_shape.
Tensor conv2d_backward_data(const Tensor& grad_y, const Tensor& weight, const Shape& x_shape,
                            const Conv2dParams& params);
// grad_y (N, O, out_h, out_w), x (N, C, H, W) -> grad_weight with shape weight_shape.
Tensor conv2d_backward_weight(const Tensor& grad_y, const Tensor& x, const Shape& weight_shape,
                              const Conv2dParams& params);
// grad_y (N, O, out_h, out_w) -> grad_bias (O).
Tensor conv2d_backward_bias(const Tensor& grad_y);

// An inference batch norm's constants, as batch_norm_forward takes them: (C) each, eps > 0.
struct BatchNormConstants {
    Tensor gamma, beta, mean, var;
    double eps = 1e-5;
};
// What follows a convolution in a fused forward (conv2d_fused_forward), in this order.
struct ConvFusion {
    const BatchNormConstants* bn = nullptr;  // an inference batch norm, or none
    Tensor residual;                         // added after it: (N, O, out_h, out_w), or undefined
    bool relu = false;                       // a ReLU last
    WeightCache* weights_cache = nullptr;    // as conv2d_forward's
};
// For forward passes that record no graph (it has no backward): a convolution and what
// follows it in a network, as the layers compute them one after the other:
//   y = relu?(batch_norm?(conv2d_forward(x, weight, bias)) + residual?)
// Float32 on the CPU with oneDNN runs it as one primitive: the batch norm folded into the
// weights and bias, the residual and the ReLU applied before the result is stored (one
// pass over memory instead of four; equal up to float rounding), and y is left in the
// layout oneDNN's next op reads without a reorder (channel-blocked where the channels
// allow, core/layout.h). Elsewhere it is the ops one by one, and y is plain.
Tensor conv2d_fused_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvFusion& fusion,
                            const Conv2dParams& params);

// ---- fully connected ---------------------------------------------------------------
// x (N, in), weight (out, in), bias (out) or undefined -> y (N, out) = x weight^T + bias.
Tensor linear_forward(const Tensor& x, const Tensor& weight, const Tensor& bias);
Tensor linear_backward_input(const Tensor& grad_y, const Tensor& weight);  // -> (N, in)
Tensor linear_backward_weight(const Tensor& grad_y, const Tensor& x);      // -> (out, in)
Tensor linear_backward_bias(const Tensor& grad_y);                         // -> (out)

// ---- activations -------------------------------------------------------------------
// Any shape. The gradient passes where x > 0 and is 0 at exactly 0 (PyTorch's convention).
Tensor relu_forward(const Tensor& x);
Tensor relu_backward(const Tensor& grad_y, const Tensor& x);
// Softmax along `axis` (negative counts from the end), computed with the max subtracted.
Tensor softmax_forward(const Tensor& x, int axis);
Tensor softmax_backward(const Tensor& grad_y, const Tensor& y, int axis);

// ---- pooling -----------------------------------------------------------------------
// x (N, C, H, W). Kernel and stride >= 1; padding >= 0 and at most half the kernel (as
// PyTorch); ceil_mode drops a last window that would start in the trailing padding.
Shape pool2d_output_shape(const Shape& x, const Pool2dParams& params);
// A channel-blocked float32 x is pooled by oneDNN in that layout, and y keeps it.
Tensor max_pool2d_forward(const Tensor& x, const Pool2dParams& params);
// Routes each gradient to the first maximum of its window in row-major order.
Tensor max_pool2d_backward(const Tensor& grad_y, const Tensor& x, const Pool2dParams& params);
Tensor avg_pool2d_forward(const Tensor& x, const Pool2dParams& params);
Tensor avg_pool2d_backward(const Tensor& grad_y, const Shape& x_shape, const Pool2dParams& params);
// x (N, C, H, W) -> (N, C, out_h, out_w); (1, 1) is global average pooling.
Tensor adaptive_avg_pool2d_forward(const Tensor& x, int64_t out_h, int64_t out_w);
Tensor adaptive_avg_pool2d_backward(const Tensor& grad_y, const Shape& x_shape);

// ---- batch norm (inference form) -----------------------------------------------------
// x (N, C, H, W) or (N, C); gamma, beta, mean, var (C); eps > 0.
// y = (x - mean) / sqrt(var + eps) * gamma + beta, with scale and shift formed in double.
Tensor batch_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                          const Tensor& mean, const Tensor& var, double eps);
// The gradient with respect to x only: grad_y * gamma / sqrt(var + eps).
Tensor batch_norm_backward_input(const Tensor& grad_y, const Tensor& gamma, const Tensor& var,
                                 double eps);

// ---- elementwise (numpy broadcasting: shapes align from the right, size-1 dims stretch) ----
Shape broadcast_shape(const Shape& a, const Shape& b);
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
// IEEE division: a zero divisor gives an infinity or NaN; callers add their epsilon.
Tensor div(const Tensor& a, const Tensor& b);
// y = alpha * x + beta.
Tensor affine(const Tensor& x, double alpha, double beta = 0.0);
Tensor scale(const Tensor& x, double alpha);
// Repeats x along size-1 (or missing leading) dimensions up to `shape`.
Tensor broadcast_to(const Tensor& x, const Shape& shape);
// The adjoint of broadcast_to: sums x down to `shape` (which must broadcast to x's shape).
Tensor sum_to(const Tensor& x, const Shape& shape);
Tensor cast(const Tensor& x, DType dtype);

// ---- reductions ----------------------------------------------------------------------
// Sum / mean over `axes` (negative allowed, no repeats; empty = every axis). keepdim keeps
// the reduced axes with size 1. Accumulates in double.
Tensor sum(const Tensor& x, const std::vector<int>& axes = {}, bool keepdim = false);
// Largest / smallest element over `axes` (same axis rules as sum).
Tensor amax(const Tensor& x, const std::vector<int>& axes = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const std::vector<int>& axes = {}, bool keepdim = false);
// Stacks tensors of one shape (B_i, ...) along dimension 0 into (sum B_i, ...).
Tensor concat_batch(const std::vector<Tensor>& parts);
// The shape sum/mean return (validates the axes).
Shape reduced_shape(const Shape& x, const std::vector<int>& axes, bool keepdim);
Tensor mean(const Tensor& x, const std::vector<int>& axes = {}, bool keepdim = false);

// ---- resizing and padding --------------------------------------------------------------
// Bilinear, half-pixel centres (align_corners=false): x (N, C, H, W) -> (N, C, out_h, out_w).
Tensor resize_bilinear_forward(const Tensor& x, int64_t out_h, int64_t out_w);
Tensor resize_bilinear_backward(const Tensor& grad_y, const Shape& x_shape);
// Zero padding of the last two axes: x (N, C, H, W) -> (N, C, H + top + bottom, W + left + right).
Tensor pad2d_forward(const Tensor& x, const Padding2d& pad);
Tensor pad2d_backward(const Tensor& grad_y, const Padding2d& pad);

// ---- statistics -----------------------------------------------------------------------
struct TensorStats {
    double l2 = 0, min = 0, max = 0, zero_fraction = 0;
};
// L2 norm, min, max and fraction of exact zeros (all 0 for an empty tensor).
TensorStats tensor_stats(const Tensor& x);
// Flat index of the first NaN or infinity in x, or -1 when every element is finite.
int64_t first_nonfinite(const Tensor& x);
// max_i |a_i - b_i| and max_i |b_i| (a and b of one shape; dtypes may differ).
double max_abs_diff(const Tensor& a, const Tensor& b);
double max_abs(const Tensor& x);

}  // namespace igcam::ops
