// Parameters of the spatial ops, and the resolved geometry the kernels consume. ops.cpp
// validates shapes + params and fills a geometry; CPU and CUDA kernels trust it.
#pragma once

#include <cstdint>

namespace igcam {

// The arithmetic of the elementwise binary ops.
enum class BinaryOp { Add, Sub, Mul, Div };

// Zero padding on each side of the H and W axes; asymmetric padding is allowed.
struct Padding2d {
    int64_t top = 0, bottom = 0, left = 0, right = 0;
    static Padding2d uniform(int64_t p) { return {p, p, p, p}; }
    static Padding2d symmetric(int64_t ph, int64_t pw) { return {ph, ph, pw, pw}; }
};

// Cross-correlation (PyTorch/Keras convention), dilation 1, groups 1.
struct Conv2dParams {
    int64_t stride_h = 1, stride_w = 1;
    Padding2d pad;
};

struct Pool2dParams {
    int64_t kernel_h = 2, kernel_w = 2;
    int64_t stride_h = 2, stride_w = 2;
    Padding2d pad;
    // Output size rounds up (PyTorch's rule: a window must start inside the input or its
    // leading padding).
    bool ceil_mode = false;
    // Average pooling only: padded zeros count in the divisor (PyTorch's default).
    bool count_include_pad = true;

    static Pool2dParams square(int64_t kernel, int64_t stride, int64_t pad = 0, bool ceil = false) {
        Pool2dParams p;
        p.kernel_h = p.kernel_w = kernel;
        p.stride_h = p.stride_w = stride;
        p.pad = Padding2d::uniform(pad);
        p.ceil_mode = ceil;
        return p;
    }
};

// A convolution with every size resolved: x (batch, in_channels, in_h, in_w),
// weight (out_channels, in_channels, kernel_h, kernel_w), y (batch, out_channels, out_h, out_w).
struct Conv2dGeometry {
    int64_t batch, in_channels, in_h, in_w;
    int64_t out_channels, kernel_h, kernel_w;
    int64_t stride_h, stride_w, pad_top, pad_left;
    int64_t out_h, out_w;
};

// A pooling window layout with every size resolved: x (planes, in_h, in_w) where planes =
// batch * channels, y (planes, out_h, out_w). Windows start at out*stride - pad_top/left and
// are clipped to the input; avg pooling's divisor follows PyTorch (see cpu/pool2d.cpp).
struct Pool2dGeometry {
    int64_t planes, in_h, in_w, out_h, out_w;
    int64_t kernel_h, kernel_w, stride_h, stride_w;
    int64_t pad_top, pad_left, pad_bottom, pad_right;
    bool count_include_pad;
};

}  // namespace igcam
