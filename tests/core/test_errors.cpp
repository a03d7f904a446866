// Bad arguments get a clear error naming the op, the argument and expected vs found --
// never a crash. Each message is asserted exactly.
#include "core/ops.h"
#include "tests/test_util.h"

using namespace igcam;

namespace {
Tensor zeros(const Shape& s, DType d = DType::F32) { return Tensor::zeros(s, d); }
Conv2dParams conv(int64_t stride, int64_t pad) {
    Conv2dParams p;
    p.stride_h = p.stride_w = stride;
    p.pad = Padding2d::uniform(pad);
    return p;
}
}  // namespace

TEST_CASE("errors: mismatched shapes") {
    CHECK_THROWS_WITH_AS(ops::conv2d_forward(zeros({1, 3, 8, 8}), zeros({4, 2, 3, 3}), Tensor(), conv(1, 0)),
                         "conv2d_forward: weight (4, 2, 3, 3) expects 2 input channels but x (1, 3, 8, 8) has 3",
                         ShapeError);
    CHECK_THROWS_WITH_AS(ops::conv2d_forward(zeros({1, 3, 8, 8}), zeros({4, 3, 3, 3}), zeros({5}), conv(1, 0)),
                         "conv2d_forward: bias must have shape (4), got (5)", ShapeError);
    CHECK_THROWS_WITH_AS(ops::conv2d_forward(zeros({3, 8, 8}), zeros({4, 3, 3, 3}), Tensor(), conv(1, 0)),
                         "conv2d_forward: x must be 4-D (N, C, H, W), got shape (3, 8, 8)", ShapeError);
    CHECK_THROWS_WITH_AS(ops::conv2d_backward_data(zeros({1, 4, 5, 5}), zeros({4, 3, 3, 3}), Shape{1, 3, 8, 8},
                                                   conv(1, 0)),
                         "conv2d_backward_data: grad_y must have shape (1, 4, 6, 6), got (1, 4, 5, 5)", ShapeError);
    CHECK_THROWS_WITH_AS(ops::linear_forward(zeros({2, 5}), zeros({3, 4}), Tensor()),
                         "linear_forward: weight (3, 4) expects 4 input features but x (2, 5) has 5", ShapeError);
    CHECK_THROWS_WITH_AS(ops::add(zeros({2, 3}), zeros({4})), "shapes (2, 3) and (4) cannot be broadcast together",
                         ShapeError);
    CHECK_THROWS_WITH_AS(ops::relu_backward(zeros({2, 3}), zeros({3, 2})),
                         "relu_backward: grad_y must have shape (3, 2), got (2, 3)", ShapeError);
    CHECK_THROWS_WITH_AS(ops::batch_norm_forward(zeros({1, 3, 2, 2}), zeros({3}), zeros({3}), zeros({2}),
                                                 zeros({3}), 1e-5),
                         "batch_norm_forward: mean must have shape (3), got (2)", ShapeError);
    CHECK_THROWS_WITH_AS(ops::sum_to(zeros({2, 3}), Shape{2}),
                         "sum_to: shape (2, 3) cannot be summed down to (2)", ShapeError);
}

TEST_CASE("errors: wrong dtype mix") {
    CHECK_THROWS_WITH_AS(
        ops::conv2d_forward(zeros({1, 1, 4, 4}), zeros({1, 1, 3, 3}, DType::F64), Tensor(), conv(1, 0)),
        "conv2d_forward: weight is f64 but x is f32 (dtypes cannot be mixed)", DTypeError);
    CHECK_THROWS_WITH_AS(ops::add(zeros({2}), zeros({2}, DType::F64)),
                         "add: b is f64 but a is f32 (dtypes cannot be mixed)", DTypeError);
    CHECK_THROWS_WITH_AS(ops::linear_forward(zeros({1, 2}), zeros({3, 2}), zeros({3}, DType::F64)),
                         "linear_forward: bias is f64 but x is f32 (dtypes cannot be mixed)", DTypeError);
    CHECK_THROWS_WITH_AS(ops::max_pool2d_backward(zeros({1, 1, 1, 1}, DType::F64), zeros({1, 1, 2, 2}),
                                                  Pool2dParams::square(2, 2)),
                         "max_pool2d_backward: grad_y is f64 but x is f32 (dtypes cannot be mixed)", DTypeError);
}

TEST_CASE("errors: negative or zero sizes") {
    CHECK_THROWS_WITH_AS(ops::conv2d_forward(zeros({1, 1, 4, 4}), zeros({1, 1, 3, 3}), Tensor(), conv(0, 0)),
                         "conv2d_forward: stride_h must be >= 1, got 0", ValueError);
    CHECK_THROWS_WITH_AS(ops::conv2d_forward(zeros({1, 1, 4, 4}), zeros({1, 1, 3, 3}), Tensor(), conv(1, -1)),
                         "conv2d_forward: pad_top must be >= 0, got -1", ValueError);
    CHECK_THROWS_WITH_AS(ops::conv2d_forward(zeros({0, 1, 4, 4}), zeros({1, 1, 3, 3}), Tensor(), conv(1, 0)),
                         "conv2d_forward: x of shape (0, 1, 4, 4) has no elements", ShapeError);
    CHECK_THROWS_WITH_AS(ops::max_pool2d_forward(zeros({1, 1, 4, 4}), Pool2dParams::square(0, 1)),
                         "max_pool2d_forward: kernel_h must be >= 1, got 0", ValueError);
    CHECK_THROWS_WITH_AS(ops::avg_pool2d_forward(zeros({1, 1, 4, 4}), Pool2dParams::square(2, -2)),
                         "avg_pool2d_forward: stride_h must be >= 1, got -2", ValueError);
    CHECK_THROWS_WITH_AS(ops::adaptive_avg_pool2d_forward(zeros({1, 1, 4, 4}), 0, 1),
                         "adaptive_avg_pool2d_forward: out_h must be >= 1, got 0", ValueError);
    CHECK_THROWS_WITH_AS(ops::resize_bilinear_forward(zeros({1, 1, 4, 4}), 3, -1),
                         "resize_bilinear_forward: out_w must be >= 1, got -1", ValueError);
    CHECK_THROWS_WITH_AS(ops::pad2d_forward(zeros({1, 1, 4, 4}), Padding2d{0, 0, -1, 0}),
                         "pad2d_forward: pad_left must be >= 0, got -1", ValueError);
    CHECK_THROWS_WITH_AS(ops::relu_forward(zeros({2, 0})), "relu_forward: x of shape (2, 0) has no elements",
                         ShapeError);
    CHECK_THROWS_WITH_AS(ops::batch_norm_forward(zeros({1, 2}), zeros({2}), zeros({2}), zeros({2}),
                                                 Tensor::full(Shape{2}, -1.0), 1e-5),
                         "batch_norm_forward: running variance of channel 0 is negative (-1)", ValueError);
    CHECK_THROWS_WITH_AS(ops::batch_norm_forward(zeros({1, 2}), zeros({2}), zeros({2}), zeros({2}), zeros({2}), 0.0),
                         "batch_norm_forward: eps must be a positive number, got 0", ValueError);
    CHECK_THROWS_WITH_AS(ops::sum(zeros({2, 3}), {2}), "sum: axis 2 is out of range for a 2-D tensor", ValueError);
    CHECK_THROWS_WITH_AS(ops::sum(zeros({2, 3}), {1, -1}), "sum: axis -1 is listed twice", ValueError);
    CHECK_THROWS_WITH_AS(ops::softmax_forward(zeros({2, 3}), -3),
                         "softmax_forward: axis -3 is out of range for a 2-D tensor", ValueError);
}

TEST_CASE("errors: kernel larger than the padded input") {
    CHECK_THROWS_WITH_AS(ops::conv2d_forward(zeros({1, 1, 4, 4}), zeros({1, 1, 7, 7}), Tensor(), conv(1, 1)),
                         "conv2d_forward: kernel 7x7 is larger than the padded input 6x6", ShapeError);
    CHECK_THROWS_WITH_AS(ops::max_pool2d_forward(zeros({1, 1, 2, 5}), Pool2dParams::square(3, 1)),
                         "max_pool2d_forward: kernel 3x3 is larger than the padded input 2x5", ShapeError);
    CHECK_THROWS_WITH_AS(ops::max_pool2d_forward(zeros({1, 1, 8, 8}), Pool2dParams::square(2, 2, 2)),
                         "max_pool2d_forward: padding must be at most half the kernel (kernel 2x2, padding "
                         "top/bottom/left/right 2/2/2/2)",
                         ValueError);
}

TEST_CASE("errors: undefined tensors and devices") {
    CHECK_THROWS_WITH_AS(ops::relu_forward(Tensor()), "relu_forward: x is undefined", ValueError);
    CHECK_THROWS_WITH_AS(ops::conv2d_forward(Tensor(), zeros({1, 1, 1, 1}), Tensor(), conv(1, 0)),
                         "conv2d_forward: x is undefined", ValueError);
}
