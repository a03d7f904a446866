// CPU convolution (cross-correlation) as im2col + GEMM; 1x1 stride-1 unpadded convolutions
// go straight to GEMM. Float32 goes to oneDNN instead when core/cpu/f32_path.h says so
// (core/cpu/conv2d_onednn.h, whose one forward also serves conv2d_forward_f32 below);
// float64 (audits, gradchecks) is always im2col + BLAS.
// Tensors are contiguous NCHW; sizes come from Conv2dGeometry g.
#pragma once

#include "core/cpu/f32_path.h"
#include "core/op_params.h"

namespace igcam::cpu {

// y (batch, out_channels, out_h, out_w) = conv(x (batch, in_channels, in_h, in_w),
// weight (out_channels, in_channels, kernel_h, kernel_w)) + bias (out_channels) or no bias
// when bias is null. Assigns y.
template <typename T>
void conv2d_forward(T* y, const T* x, const T* weight, const T* bias, const Conv2dGeometry& g);

// grad_x (batch, in_channels, in_h, in_w) from grad_y (batch, out_channels, out_h, out_w).
// Assigns grad_x.
template <typename T>
void conv2d_backward_data(T* grad_x, const T* grad_y, const T* weight, const Conv2dGeometry& g);

// grad_weight (out_channels, in_channels, kernel_h, kernel_w), summed over the batch.
// Assigns grad_weight.
template <typename T>
void conv2d_backward_weight(T* grad_weight, const T* grad_y, const T* x, const Conv2dGeometry& g);

// grad_bias (out_channels) = sum of grad_y over batch and space. Assigns grad_bias.
template <typename T>
void conv2d_backward_bias(T* grad_bias, const T* grad_y, const Conv2dGeometry& g);

// Applied to every output of a fused convolution before it is stored:
// y = relu?(y * scale[o] + shift[o] + residual); scale and shift (out_channels) are both
// null or both set; residual (batch, out_channels, out_h, out_w) may be absent.
struct ConvEpilogue {
    const float* scale = nullptr;
    const float* shift = nullptr;
    F32Activation residual;
    bool relu = false;
};

// y = epilogue(conv(x, weight) + bias), float32 through oneDNN as one primitive, y written in
// y_layout; requires f32_uses_onednn() (ops::conv2d_fused_forward composes the separate ops
// otherwise). x (batch, in_channels, in_h, in_w), weight (out_channels, in_channels, kernel_h,
// kernel_w), bias (out_channels) or null, y (batch, out_channels, out_h, out_w).
void conv2d_forward_f32(float* y, const Layout& y_layout, const F32Activation& x, const F32Weights& weight,
                        const float* bias, const ConvEpilogue& epilogue, const Conv2dGeometry& g);

}  // namespace igcam::cpu
