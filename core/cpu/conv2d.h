// CPU convolution (cross-correlation) as im2col + GEMM; 1x1 stride-1 unpadded convolutions
// go straight to GEMM. Float32 goes to oneDNN instead when the build has it
// (core/cpu/conv2d_onednn.h), unless IGCAM_CPU_CONV=blas. Float64 (audits, gradchecks) is
// always im2col + BLAS. Tensors are contiguous NCHW; sizes come from Conv2dGeometry g.
#pragma once

#include <string>

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

// Which implementation float32 convolutions use, for reports: "oneDNN 2.6.3" or
// "im2col + OpenBLAS (...why...)". Throws ValueError when IGCAM_CPU_CONV is not blas or onednn,
// or asks for onednn in a build without it.
std::string conv2d_f32_path();

}  // namespace igcam::cpu
