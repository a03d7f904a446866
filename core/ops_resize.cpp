// ops: bilinear resize and zero padding (argument checks + dispatch).
#include "core/cpu/resize.h"
#include "core/ops.h"
#include "core/ops_common.h"

namespace igcam::ops {

using detail::check_at_least;
using detail::check_rank;
using detail::check_shape;
using detail::dispatch;

namespace {
void check_padding(const char* op, const Padding2d& pad) {
    check_at_least(op, "pad_top", pad.top, 0);
    check_at_least(op, "pad_bottom", pad.bottom, 0);
    check_at_least(op, "pad_left", pad.left, 0);
    check_at_least(op, "pad_right", pad.right, 0);
}
}  // namespace

Tensor resize_bilinear_forward(const Tensor& x_arg, int64_t out_h, int64_t out_w) {
    const Tensor x = detail::plain(x_arg);
    const char* op = "resize_bilinear_forward";
    check_rank(op, x, "x", 4, "(N, C, H, W)");
    check_at_least(op, "out_h", out_h, 1);
    check_at_least(op, "out_w", out_w, 1);
    Tensor y = Tensor::empty(Shape{x.dim(0), x.dim(1), out_h, out_w}, x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, resize_bilinear_forward<T>, y.mutable_data<T>(), x.data<T>(), x.dim(0) * x.dim(1), x.dim(2), x.dim(3),
                                        out_h, out_w);
    });
    return y;
}

Tensor resize_bilinear_backward(const Tensor& grad_y_arg, const Shape& x_shape) {
    const Tensor grad_y = detail::plain(grad_y_arg);
    const char* op = "resize_bilinear_backward";
    check_rank(op, grad_y, "grad_y", 4, "(N, C, out_h, out_w)");
    IGCAM_CHECK(x_shape.rank() == 4 && x_shape.numel() > 0 && x_shape[0] == grad_y.dim(0) &&
                    x_shape[1] == grad_y.dim(1),
                ShapeError, op, ": grad_y ", grad_y.shape().to_string(),
                " does not match the input shape ", x_shape.to_string());
    Tensor grad_x = Tensor::empty(x_shape, grad_y.dtype(), grad_y.device());
    dispatch(op, grad_y, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(grad_y, resize_bilinear_backward<T>, grad_x.mutable_data<T>(), grad_y.data<T>(), x_shape[0] * x_shape[1],
                                         x_shape[2], x_shape[3], grad_y.dim(2), grad_y.dim(3));
    });
    return grad_x;
}

Tensor pad2d_forward(const Tensor& x_arg, const Padding2d& pad) {
    const Tensor x = detail::plain(x_arg);
    const char* op = "pad2d_forward";
    check_rank(op, x, "x", 4, "(N, C, H, W)");
    check_padding(op, pad);
    Tensor y = Tensor::empty(Shape{x.dim(0), x.dim(1), x.dim(2) + pad.top + pad.bottom,
                                   x.dim(3) + pad.left + pad.right},
                             x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, pad2d_forward<T>, y.mutable_data<T>(), x.data<T>(), x.dim(0) * x.dim(1), x.dim(2), x.dim(3), pad);
    });
    return y;
}

Tensor pad2d_backward(const Tensor& grad_y_arg, const Padding2d& pad) {
    const Tensor grad_y = detail::plain(grad_y_arg);
    const char* op = "pad2d_backward";
    check_rank(op, grad_y, "grad_y", 4, "(N, C, H, W)");
    check_padding(op, pad);
    const int64_t in_h = grad_y.dim(2) - pad.top - pad.bottom;
    const int64_t in_w = grad_y.dim(3) - pad.left - pad.right;
    IGCAM_CHECK(in_h >= 1 && in_w >= 1, ShapeError, op, ": padding ", pad.top, "/", pad.bottom, "/",
                pad.left, "/", pad.right, " leaves nothing of grad_y ", grad_y.shape().to_string());
    Tensor grad_x = Tensor::empty(Shape{grad_y.dim(0), grad_y.dim(1), in_h, in_w}, grad_y.dtype(),
                                  grad_y.device());
    dispatch(op, grad_y, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(grad_y, pad2d_backward<T>, grad_x.mutable_data<T>(), grad_y.data<T>(), grad_y.dim(0) * grad_y.dim(1), in_h,
                               in_w, pad);
    });
    return grad_x;
}

}  // namespace igcam::ops
