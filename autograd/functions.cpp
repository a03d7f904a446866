#include "autograd/functions.h"

#include "core/ops.h"

namespace igcam::ag {

namespace {
// Shorthand for the backward signature.
using Grads = std::vector<Tensor>;
using Needs = std::vector<bool>;
}  // namespace

Var conv2d(const Var& x, const Var& weight, const Var& bias, const Conv2dParams& params, WeightCache* weights_cache) {
    const Tensor xv = x.value(), wv = weight.value();
    Tensor y = ops::conv2d_forward(xv, wv, bias.defined() ? bias.value() : Tensor(), params, weights_cache);
    return make_result(std::move(y), "conv2d", {x, weight, bias},
                       [xv, wv, params](const Tensor& dy, const Needs& needs) {
                           Grads g(3);
                           if (needs[0]) g[0] = ops::conv2d_backward_data(dy, wv, xv.shape(), params);
                           if (needs[1]) g[1] = ops::conv2d_backward_weight(dy, xv, wv.shape(), params);
                           if (needs[2]) g[2] = ops::conv2d_backward_bias(dy);
                           return g;
                       });
}

Var linear(const Var& x, const Var& weight, const Var& bias) {
    const Tensor xv = x.value(), wv = weight.value();
    Tensor y = ops::linear_forward(xv, wv, bias.defined() ? bias.value() : Tensor());
    return make_result(std::move(y), "linear", {x, weight, bias},
                       [xv, wv](const Tensor& dy, const Needs& needs) {
                           Grads g(3);
                           if (needs[0]) g[0] = ops::linear_backward_input(dy, wv);
                           if (needs[1]) g[1] = ops::linear_backward_weight(dy, xv);
                           if (needs[2]) g[2] = ops::linear_backward_bias(dy);
                           return g;
                       });
}

Var relu(const Var& x) {
    const Tensor xv = x.value();
    return make_result(ops::relu_forward(xv), "relu", {x}, [xv](const Tensor& dy, const Needs&) {
        return Grads{ops::relu_backward(dy, xv)};
    });
}

Var max_pool2d(const Var& x, const Pool2dParams& params) {
    const Tensor xv = x.value();
    return make_result(ops::max_pool2d_forward(xv, params), "max_pool2d", {x},
                       [xv, params](const Tensor& dy, const Needs&) {
                           return Grads{ops::max_pool2d_backward(dy, xv, params)};
                       });
}

Var avg_pool2d(const Var& x, const Pool2dParams& params) {
    const Shape shape = x.shape();
    return make_result(ops::avg_pool2d_forward(x.value(), params), "avg_pool2d", {x},
                       [shape, params](const Tensor& dy, const Needs&) {
                           return Grads{ops::avg_pool2d_backward(dy, shape, params)};
                       });
}

Var adaptive_avg_pool2d(const Var& x, int64_t out_h, int64_t out_w) {
    const Shape shape = x.shape();
    return make_result(ops::adaptive_avg_pool2d_forward(x.value(), out_h, out_w), "adaptive_avg_pool2d",
                       {x}, [shape](const Tensor& dy, const Needs&) {
                           return Grads{ops::adaptive_avg_pool2d_backward(dy, shape)};
                       });
}

Var batch_norm(const Var& x, const Tensor& gamma, const Tensor& beta, const Tensor& mean,
               const Tensor& var, double eps) {
    return make_result(ops::batch_norm_forward(x.value(), gamma, beta, mean, var, eps), "batch_norm",
                       {x}, [gamma, var, eps](const Tensor& dy, const Needs&) {
                           return Grads{ops::batch_norm_backward_input(dy, gamma, var, eps)};
                       });
}

Var add(const Var& a, const Var& b) {
    const Shape sa = a.shape(), sb = b.shape();
    return make_result(ops::add(a.value(), b.value()), "add", {a, b},
                       [sa, sb](const Tensor& dy, const Needs& needs) {
                           Grads g(2);
                           if (needs[0]) g[0] = ops::sum_to(dy, sa);
                           if (needs[1]) g[1] = ops::sum_to(dy, sb);
                           return g;
                       });
}

Var sub(const Var& a, const Var& b) {
    const Shape sa = a.shape(), sb = b.shape();
    return make_result(ops::sub(a.value(), b.value()), "sub", {a, b},
                       [sa, sb](const Tensor& dy, const Needs& needs) {
                           Grads g(2);
                           if (needs[0]) g[0] = ops::sum_to(dy, sa);
                           if (needs[1]) g[1] = ops::scale(ops::sum_to(dy, sb), -1.0);
                           return g;
                       });
}

Var mul(const Var& a, const Var& b) {
    const Tensor av = a.value(), bv = b.value();
    return make_result(ops::mul(av, bv), "mul", {a, b}, [av, bv](const Tensor& dy, const Needs& needs) {
        Grads g(2);
        if (needs[0]) g[0] = ops::sum_to(ops::mul(dy, bv), av.shape());
        if (needs[1]) g[1] = ops::sum_to(ops::mul(dy, av), bv.shape());
        return g;
    });
}

Var affine(const Var& x, double alpha, double beta) {
    return make_result(ops::affine(x.value(), alpha, beta), "affine", {x},
                       [alpha](const Tensor& dy, const Needs&) { return Grads{ops::scale(dy, alpha)}; });
}

Var scale(const Var& x, double alpha) { return affine(x, alpha, 0.0); }

Var sum(const Var& x, const std::vector<int>& axes, bool keepdim) {
    const Shape shape = x.shape();
    // The keepdim shape of the result broadcasts straight back over the reduced axes.
    const Shape kept = ops::reduced_shape(shape, axes, true);
    Tensor y = ops::sum(x.value(), axes, keepdim);
    return make_result(std::move(y), "sum", {x}, [shape, kept](const Tensor& dy, const Needs&) {
        return Grads{ops::broadcast_to(dy.reshape(kept), shape)};
    });
}

Var mean(const Var& x, const std::vector<int>& axes, bool keepdim) {
    Var total = sum(x, axes, keepdim);
    return scale(total, static_cast<double>(total.value().numel()) / static_cast<double>(x.value().numel()));
}

Var softmax(const Var& x, int axis) {
    Tensor y = ops::softmax_forward(x.value(), axis);
    const Tensor yv = y;
    return make_result(std::move(y), "softmax", {x}, [yv, axis](const Tensor& dy, const Needs&) {
        return Grads{ops::softmax_backward(dy, yv, axis)};
    });
}

Var resize_bilinear(const Var& x, int64_t out_h, int64_t out_w) {
    const Shape shape = x.shape();
    return make_result(ops::resize_bilinear_forward(x.value(), out_h, out_w), "resize_bilinear", {x},
                       [shape](const Tensor& dy, const Needs&) {
                           return Grads{ops::resize_bilinear_backward(dy, shape)};
                       });
}

Var pad2d(const Var& x, const Padding2d& pad) {
    return make_result(ops::pad2d_forward(x.value(), pad), "pad2d", {x},
                       [pad](const Tensor& dy, const Needs&) { return Grads{ops::pad2d_backward(dy, pad)}; });
}

Var reshape(const Var& x, const Shape& shape) {
    const Shape original = x.shape();
    // A view of the plain values: a channel-blocked value has no row-major view.
    return make_result(ops::to_plain(x.value()).reshape(shape), "reshape", {x},
                       [original](const Tensor& dy, const Needs&) { return Grads{dy.reshape(original)}; });
}

Var flatten(const Var& x) {
    IGCAM_CHECK(x.value().rank() >= 1, ShapeError, "flatten: a scalar cannot be flattened");
    const int64_t batch = x.value().dim(0);
    return reshape(x, Shape{batch, batch == 0 ? 0 : x.value().numel() / batch});
}

Var select_column(const Var& x, int64_t index) {
    IGCAM_CHECK(x.value().rank() == 2, ShapeError, "select_column: x must be 2-D (N, K), got shape ",
                x.shape().to_string());
    return select_columns(x, std::vector<int64_t>(static_cast<std::size_t>(x.value().dim(0)), index));
}

Var select_columns(const Var& x, const std::vector<int64_t>& columns) {
    const Tensor xv = x.value();
    IGCAM_CHECK(xv.rank() == 2, ShapeError, "select_columns: x must be 2-D (N, K), got shape ",
                xv.shape().to_string());
    IGCAM_CHECK(static_cast<int64_t>(columns.size()) == xv.dim(0), ShapeError, "select_columns: ", columns.size(),
                " columns given for ", xv.dim(0), " rows");
    // A one-hot (N, K) mask times x, summed over K: keeps every step inside ops::*.
    std::vector<double> one_hot(static_cast<std::size_t>(xv.numel()), 0.0);
    for (std::size_t n = 0; n < columns.size(); ++n) {
        IGCAM_CHECK(0 <= columns[n] && columns[n] < xv.dim(1), ValueError, "select_column: column ", columns[n],
                    " is out of range for shape ", xv.shape().to_string());
        one_hot[n * static_cast<std::size_t>(xv.dim(1)) + static_cast<std::size_t>(columns[n])] = 1.0;
    }
    const Tensor mask = Tensor::from_values(xv.shape(), one_hot, xv.dtype(), xv.device());
    return make_result(ops::sum(ops::mul(xv, mask), {1}), "select_column", {x},
                       [mask, xv](const Tensor& dy, const Needs&) {
                           return Grads{ops::mul(ops::broadcast_to(dy.reshape(Shape{xv.dim(0), 1}), xv.shape()), mask)};
                       });
}
}  // namespace igcam::ag
