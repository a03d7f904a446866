// CPU bilinear resize (half-pixel centres, align_corners=false, as PyTorch's
// F.interpolate(mode="bilinear")) and zero padding. Planes = batch * channels. Assign outputs.
#pragma once

#include <cstdint>

#include "core/op_params.h"

namespace igcam::cpu {

template <typename T>
void resize_bilinear_forward(T* y, const T* x, int64_t planes, int64_t in_h, int64_t in_w,
                             int64_t out_h, int64_t out_w);
// The adjoint: scatters grad_y back onto the four source pixels of each output.
template <typename T>
void resize_bilinear_backward(T* grad_x, const T* grad_y, int64_t planes, int64_t in_h,
                              int64_t in_w, int64_t out_h, int64_t out_w);

// y (planes, in_h + top + bottom, in_w + left + right) = x surrounded by zeros.
template <typename T>
void pad2d_forward(T* y, const T* x, int64_t planes, int64_t in_h, int64_t in_w, const Padding2d& pad);
// grad_x = the interior crop of grad_y.
template <typename T>
void pad2d_backward(T* grad_x, const T* grad_y, int64_t planes, int64_t in_h, int64_t in_w,
                    const Padding2d& pad);

}  // namespace igcam::cpu
