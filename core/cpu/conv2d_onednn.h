// Float32 convolutions through oneDNN, built only when CMake found it (IGCAM_WITH_ONEDNN).
// Same contracts as core/cpu/conv2d.h, which calls these for float32 unless
// IGCAM_CPU_CONV=blas. Primitives are created once per geometry and cached; oneDNN runs on
// igcam's thread count (cpu::num_threads()).
#pragma once

#include "core/cpu/conv2d.h"
#include "core/op_params.h"

namespace igcam::cpu::onednn {

// y (batch, out_channels, out_h, out_w) = conv(x (batch, in_channels, in_h, in_w),
// weight (out_channels, in_channels, kernel_h, kernel_w)) + bias (out_channels), or no bias
// when bias is null. Assigns y.
void conv2d_forward(float* y, const float* x, const float* weight, const float* bias, const Conv2dGeometry& g);

// As core/cpu/conv2d.h's conv2d_fused_forward_f32: the epilogue runs inside the primitive
// (the batch norm folded into the weights and bias, the residual and ReLU as post-ops).
// The result stays in the primitive's layout, attached to the returned storage as a
// pending alternate: a following fused convolution reads it as it is, anything else makes
// the plain values on first read. x and the residual are read the same way; the weights'
// reordered (and scaled) copy is kept on their storage until they are read elsewhere.
std::shared_ptr<Storage> conv2d_fused_forward(F32Operand x, F32Operand weight, const float* bias,
                                              const ConvEpilogue& epilogue, const Conv2dGeometry& g);

// grad_x (batch, in_channels, in_h, in_w) from grad_y (batch, out_channels, out_h, out_w).
// Assigns grad_x.
void conv2d_backward_data(float* grad_x, const float* grad_y, const float* weight,
                          const Conv2dGeometry& g);

// grad_weight (out_channels, in_channels, kernel_h, kernel_w), summed over the batch.
// Assigns grad_weight.
void conv2d_backward_weight(float* grad_weight, const float* grad_y, const float* x,
                            const Conv2dGeometry& g);

}  // namespace igcam::cpu::onednn
