// Float32 convolutions through oneDNN, built only when CMake found it (IGCAM_WITH_ONEDNN).
// Primitives are created once per geometry and cached; oneDNN runs on igcam's thread count
// (cpu::num_threads()). core/cpu/conv2d.h calls these for float32 unless IGCAM_CPU_CONV=blas.
#pragma once

#include <string>

#include "core/cpu/conv2d.h"
#include "core/op_params.h"

namespace igcam::cpu::onednn {

// The one forward: y (batch, out_channels, out_h, out_w), written in y_layout, =
// epilogue(conv(x (batch, in_channels, in_h, in_w), weight) + bias) as one primitive: the
// batch norm folded into the weights and bias, the residual and the ReLU as post-ops.
// x and the residual are read in their own layouts (no reorder when it is the primitive's);
// the weights' reordered (and scaled) copy comes from weight.cache when it holds one made
// from these weights with this scale, and is kept there otherwise.
void conv2d_forward(float* y, const Layout& y_layout, const F32Activation& x, const F32Weights& weight,
                    const float* bias, const ConvEpilogue& epilogue, const Conv2dGeometry& g);

// oneDNN's name of the kernel a forward of this geometry (no bias, no epilogue) runs with
// the current settings ("jit_wino_4x3:avx512_core", "jit:avx512_core"), for tests.
std::string forward_implementation(const Conv2dGeometry& g);

// grad_x (batch, in_channels, in_h, in_w) from grad_y (batch, out_channels, out_h, out_w).
// Assigns grad_x.
void conv2d_backward_data(float* grad_x, const float* grad_y, const float* weight,
                          const Conv2dGeometry& g);

// grad_weight (out_channels, in_channels, kernel_h, kernel_w), summed over the batch.
// Assigns grad_weight.
void conv2d_backward_weight(float* grad_weight, const float* grad_y, const float* x,
                            const Conv2dGeometry& g);

}  // namespace igcam::cpu::onednn
