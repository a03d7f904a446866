// ops: max, average and adaptive average pooling (argument checks + dispatch).
#include "core/cpu/pool2d.h"
#include "core/ops.h"
#include "core/ops_common.h"

namespace igcam::ops {

using detail::check_at_least;
using detail::check_rank;
using detail::check_same_kind;
using detail::check_shape;
using detail::dispatch;

namespace {

// PyTorch's pooling_output_shape for one axis, with asymmetric padding.
int64_t pooled_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad_begin, int64_t pad_end,
                    bool ceil_mode) {
    const int64_t span = in + pad_begin + pad_end - kernel;
    int64_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
    // A window may not start in the trailing padding.
    if (ceil_mode && (out - 1) * stride >= in + pad_begin) --out;
    return out;
}

Pool2dGeometry pool_geometry(const char* op, const Shape& x, const Pool2dParams& p) {
    IGCAM_CHECK(x.rank() == 4, ShapeError, op, ": x must be 4-D (N, C, H, W), got shape ",
                x.to_string());
    IGCAM_CHECK(x.numel() > 0, ShapeError, op, ": x of shape ", x.to_string(), " has no elements");
    check_at_least(op, "kernel_h", p.kernel_h, 1);
    check_at_least(op, "kernel_w", p.kernel_w, 1);
    check_at_least(op, "stride_h", p.stride_h, 1);
    check_at_least(op, "stride_w", p.stride_w, 1);
    check_at_least(op, "pad_top", p.pad.top, 0);
    check_at_least(op, "pad_bottom", p.pad.bottom, 0);
    check_at_least(op, "pad_left", p.pad.left, 0);
    check_at_least(op, "pad_right", p.pad.right, 0);
    IGCAM_CHECK(2 * std::max(p.pad.top, p.pad.bottom) <= p.kernel_h &&
                    2 * std::max(p.pad.left, p.pad.right) <= p.kernel_w,
                ValueError, op, ": padding must be at most half the kernel (kernel ", p.kernel_h, "x",
                p.kernel_w, ", padding top/bottom/left/right ", p.pad.top, "/", p.pad.bottom, "/",
                p.pad.left, "/", p.pad.right, ")");
    const int64_t padded_h = x[2] + p.pad.top + p.pad.bottom;
    const int64_t padded_w = x[3] + p.pad.left + p.pad.right;
    IGCAM_CHECK(p.kernel_h <= padded_h && p.kernel_w <= padded_w, ShapeError, op, ": kernel ",
                p.kernel_h, "x", p.kernel_w, " is larger than the padded input ", padded_h, "x",
                padded_w);
    Pool2dGeometry g{};
    g.planes = x[0] * x[1];
    g.in_h = x[2];
    g.in_w = x[3];
    g.out_h = pooled_size(x[2], p.kernel_h, p.stride_h, p.pad.top, p.pad.bottom, p.ceil_mode);
    g.out_w = pooled_size(x[3], p.kernel_w, p.stride_w, p.pad.left, p.pad.right, p.ceil_mode);
    g.kernel_h = p.kernel_h;
    g.kernel_w = p.kernel_w;
    g.stride_h = p.stride_h;
    g.stride_w = p.stride_w;
    g.pad_top = p.pad.top;
    g.pad_left = p.pad.left;
    g.pad_bottom = p.pad.bottom;
    g.pad_right = p.pad.right;
    g.count_include_pad = p.count_include_pad;
    return g;
}

Shape pooled_shape(const Shape& x, const Pool2dGeometry& g) { return Shape{x[0], x[1], g.out_h, g.out_w}; }

}  // namespace

Shape pool2d_output_shape(const Shape& x, const Pool2dParams& params) {
    return pooled_shape(x, pool_geometry("pool2d", x, params));
}

Tensor max_pool2d_forward(const Tensor& x, const Pool2dParams& params) {
    const char* op = "max_pool2d_forward";
    check_rank(op, x, "x", 4, "(N, C, H, W)");
    const Pool2dGeometry g = pool_geometry(op, x.shape(), params);
    if (!x.layout().is_plain()) {
        // Values a oneDNN convolution left channel-blocked are pooled in that layout.
        Tensor y = Tensor::empty(pooled_shape(x.shape(), g), DType::F32, Device::cpu(), x.layout());
        cpu::max_pool2d_forward_blocked(static_cast<float*>(y.mutable_raw_data()), static_cast<const float*>(x.raw_data()),
                                        x.layout(), x.dim(0), x.dim(1), g);
        return y;
    }
    Tensor y = Tensor::empty(pooled_shape(x.shape(), g), x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, max_pool2d_forward<T>, y.mutable_data<T>(), x.data<T>(), g);
    });
    return y;
}

Tensor max_pool2d_backward(const Tensor& grad_y_arg, const Tensor& x_arg, const Pool2dParams& params) {
    const Tensor grad_y = detail::plain(grad_y_arg);
    const Tensor x = detail::plain(x_arg);
    const char* op = "max_pool2d_backward";
    check_rank(op, x, "x", 4, "(N, C, H, W)");
    check_same_kind(op, x, "x", grad_y, "grad_y");
    const Pool2dGeometry g = pool_geometry(op, x.shape(), params);
    check_shape(op, grad_y, "grad_y", pooled_shape(x.shape(), g));
    Tensor grad_x = Tensor::empty(x.shape(), x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, max_pool2d_backward<T>, grad_x.mutable_data<T>(), grad_y.data<T>(), x.data<T>(), g);
    });
    return grad_x;
}

Tensor avg_pool2d_forward(const Tensor& x_arg, const Pool2dParams& params) {
    const Tensor x = detail::plain(x_arg);
    const char* op = "avg_pool2d_forward";
    check_rank(op, x, "x", 4, "(N, C, H, W)");
    const Pool2dGeometry g = pool_geometry(op, x.shape(), params);
    Tensor y = Tensor::empty(pooled_shape(x.shape(), g), x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, avg_pool2d_forward<T>, y.mutable_data<T>(), x.data<T>(), g);
    });
    return y;
}

Tensor avg_pool2d_backward(const Tensor& grad_y_arg, const Shape& x_shape, const Pool2dParams& params) {
    const Tensor grad_y = detail::plain(grad_y_arg);
    const char* op = "avg_pool2d_backward";
    detail::check_defined(op, grad_y, "grad_y");
    const Pool2dGeometry g = pool_geometry(op, x_shape, params);
    check_shape(op, grad_y, "grad_y", pooled_shape(x_shape, g));
    Tensor grad_x = Tensor::empty(x_shape, grad_y.dtype(), grad_y.device());
    dispatch(op, grad_y, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(grad_y, avg_pool2d_backward<T>, grad_x.mutable_data<T>(), grad_y.data<T>(), g);
    });
    return grad_x;
}

Tensor adaptive_avg_pool2d_forward(const Tensor& x_arg, int64_t out_h, int64_t out_w) {
    const Tensor x = detail::plain(x_arg);
    const char* op = "adaptive_avg_pool2d_forward";
    check_rank(op, x, "x", 4, "(N, C, H, W)");
    check_at_least(op, "out_h", out_h, 1);
    check_at_least(op, "out_w", out_w, 1);
    Tensor y = Tensor::empty(Shape{x.dim(0), x.dim(1), out_h, out_w}, x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, adaptive_avg_pool2d_forward<T>, y.mutable_data<T>(), x.data<T>(), x.dim(0) * x.dim(1), x.dim(2),
                                            x.dim(3), out_h, out_w);
    });
    return y;
}

Tensor adaptive_avg_pool2d_backward(const Tensor& grad_y_arg, const Shape& x_shape) {
    const Tensor grad_y = detail::plain(grad_y_arg);
    const char* op = "adaptive_avg_pool2d_backward";
    check_rank(op, grad_y, "grad_y", 4, "(N, C, out_h, out_w)");
    IGCAM_CHECK(x_shape.rank() == 4 && x_shape.numel() > 0 && x_shape[0] == grad_y.dim(0) &&
                    x_shape[1] == grad_y.dim(1),
                ShapeError, op, ": grad_y ", grad_y.shape().to_string(),
                " does not match the input shape ", x_shape.to_string());
    Tensor grad_x = Tensor::empty(x_shape, grad_y.dtype(), grad_y.device());
    dispatch(op, grad_y, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(grad_y, adaptive_avg_pool2d_backward<T>, grad_x.mutable_data<T>(), grad_y.data<T>(), x_shape[0] * x_shape[1],
                                             x_shape[2], x_shape[3], grad_y.dim(2), grad_y.dim(3));
    });
    return grad_x;
}

}  // namespace igcam::ops
