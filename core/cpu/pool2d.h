// CPU pooling. x is viewed as (planes, in_h, in_w) with planes = batch * channels; outputs
// and gradients likewise. Every function assigns its output.
#pragma once

#include <cstdint>

#include "core/cpu/f32_path.h"
#include "core/op_params.h"

namespace igcam::cpu {

// Max over each window, padding ignored (acts as -inf).
template <typename T>
void max_pool2d_forward(T* y, const T* x, const Pool2dGeometry& g);
// max_pool2d_forward for float32 values x (batch, channels, in_h, in_w) that a oneDNN op
// left channel-blocked (core/layout.h), done by oneDNN in that layout: y (batch, channels,
// out_h, out_w) is written in the same layout. Requires f32_uses_onednn().
void max_pool2d_forward_blocked(float* y, const float* x, const Layout& layout, int64_t batch, int64_t channels,
                                const Pool2dGeometry& g);

// Routes each grad_y element to the FIRST maximum of its window in row-major window order
// (strict '>' while scanning), recomputed from x; overlapping windows add up.
template <typename T>
void max_pool2d_backward(T* grad_x, const T* grad_y, const T* x, const Pool2dGeometry& g);

// Mean over each window; the divisor follows PyTorch's avg_pool2d (count_include_pad counts
// padded positions inside in_h + pad_bottom / in_w + pad_right, never beyond).
template <typename T>
void avg_pool2d_forward(T* y, const T* x, const Pool2dGeometry& g);
template <typename T>
void avg_pool2d_backward(T* grad_x, const T* grad_y, const Pool2dGeometry& g);

// Adaptive average pooling: output cell i covers input rows [floor(i*H/oh), ceil((i+1)*H/oh)).
template <typename T>
void adaptive_avg_pool2d_forward(T* y, const T* x, int64_t planes, int64_t in_h, int64_t in_w,
                                 int64_t out_h, int64_t out_w);
template <typename T>
void adaptive_avg_pool2d_backward(T* grad_x, const T* grad_y, int64_t planes, int64_t in_h,
                                  int64_t in_w, int64_t out_h, int64_t out_w);

}  // namespace igcam::cpu
