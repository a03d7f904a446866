// ops: activations, batch norm, broadcasting arithmetic, reductions, statistics.
#include <algorithm>
#include <cmath>

#include "core/cpu/elementwise.h"
#include "core/cpu/reduce.h"
#include "core/cpu/strided.h"
#include "core/ops.h"
#include "core/ops_common.h"

namespace igcam::ops {

using detail::check_at_least;
using detail::check_defined;
using detail::check_same_kind;
using detail::check_shape;
using detail::dispatch;

namespace {

int normalise_axis(const char* op, int axis, int rank) {
    IGCAM_CHECK(axis >= -rank && axis < rank, ValueError, op, ": axis ", axis,
                " is out of range for a ", rank, "-D tensor");
    return axis < 0 ? axis + rank : axis;
}

// Strides that read `shape` (right-aligned inside `out`) while walking `out`: 0 along the
// dimensions that shape lacks or holds with size 1.
std::vector<int64_t> broadcast_strides(const Shape& shape, const Shape& out) {
    const std::vector<int64_t> own = cpu::contiguous_strides(shape.dims());
    std::vector<int64_t> strides(static_cast<std::size_t>(out.rank()), 0);
    const int offset = out.rank() - shape.rank();
    for (int d = offset; d < out.rank(); ++d) {
        const int s = d - offset;
        strides[d] = shape.dims()[s] == 1 ? 0 : own[s];
    }
    return strides;
}

// True when `from` can be broadcast to exactly `to` (right-aligned, size-1 dims stretch).
bool broadcasts_to(const Shape& from, const Shape& to) {
    if (from.rank() > to.rank()) return false;
    const int offset = to.rank() - from.rank();
    for (int d = 0; d < from.rank(); ++d)
        if (from.dims()[d] != 1 && from.dims()[d] != to.dims()[d + offset]) return false;
    return true;
}

Tensor binary(const char* op, BinaryOp kind, const Tensor& a_arg, const Tensor& b_arg) {
    const Tensor a = detail::plain(a_arg);
    const Tensor b = detail::plain(b_arg);
    check_defined(op, a, "a");
    check_defined(op, b, "b");
    check_same_kind(op, a, "a", b, "b");
    const Shape out_shape = broadcast_shape(a.shape(), b.shape());
    Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
    dispatch(op, a, [&](auto zero) {
        using T = decltype(zero);
        if (a.shape() == b.shape()) {
            IGCAM_KERNEL(a, binary_same_shape<T>, kind, out.mutable_data<T>(), a.data<T>(), b.data<T>(), out.numel());
        } else {
            IGCAM_KERNEL(a, binary_strided<T>, kind, out.mutable_data<T>(), a.data<T>(), broadcast_strides(a.shape(), out_shape),
                                   b.data<T>(), broadcast_strides(b.shape(), out_shape), out_shape.dims());
        }
    });
    return out;
}

// Reduces x by summing along the dimensions where out_strides is 0.
Tensor strided_sum(const char* op, const Tensor& x, const Shape& out_shape,
                   const std::vector<int64_t>& out_strides) {
    Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, strided_sum<T>, out.mutable_data<T>(), out.numel(), x.data<T>(), x.shape().dims(), out_strides);
    });
    return out;
}

// x (N, C, ...) scaled per channel; shift may be undefined.
Tensor channel_affine(const char* op, const Tensor& x, const Tensor& scale, const Tensor& shift) {
    const int64_t spatial = x.numel() / (x.dim(0) * x.dim(1));
    Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, channel_affine<T>, y.mutable_data<T>(), x.data<T>(), scale.data<T>(),
                               shift.defined() ? shift.data<T>() : nullptr, x.dim(0), x.dim(1), spatial);
    });
    return y;
}

void check_batch_norm_vector(const char* op, const Tensor& x, const Tensor& v, const char* name) {
    check_same_kind(op, x, "x", v, name);
    check_shape(op, v, name, Shape{x.dim(1)});
}

// scale = gamma / sqrt(var + eps), formed in double; throws on a negative variance.
void check_eps(const char* op, double eps) {
    IGCAM_CHECK(eps > 0 && std::isfinite(eps), ValueError, op, ": eps must be a positive number, got ", eps);
}

std::vector<double> batch_norm_scale(const char* op, const Tensor& gamma, const Tensor& var, double eps) {
    check_eps(op, eps);
    const std::vector<double> g = gamma.to_vector(), v = var.to_vector();
    std::vector<double> scale(g.size());
    for (std::size_t c = 0; c < g.size(); ++c) {
        IGCAM_CHECK(v[c] >= 0, ValueError, op, ": running variance of channel ", c, " is negative (",
                    v[c], ")");
        scale[c] = g[c] / std::sqrt(v[c] + eps);
    }
    return scale;
}

void check_batch_norm_input(const char* op, const Tensor& x) {
    check_defined(op, x, "x");
    IGCAM_CHECK(x.rank() == 2 || x.rank() == 4, ShapeError, op,
                ": x must be (N, C) or (N, C, H, W), got shape ", x.shape().to_string());
}

}  // namespace

// ---- activations ------------------------------------------------------------------------

Tensor relu_forward(const Tensor& x_arg) {
    const Tensor x = detail::plain(x_arg);
    const char* op = "relu_forward";
    check_defined(op, x, "x");
    Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, relu_forward<T>, y.mutable_data<T>(), x.data<T>(), x.numel());
    });
    return y;
}

Tensor relu_backward(const Tensor& grad_y_arg, const Tensor& x_arg) {
    const Tensor grad_y = detail::plain(grad_y_arg);
    const Tensor x = detail::plain(x_arg);
    const char* op = "relu_backward";
    check_defined(op, x, "x");
    check_same_kind(op, x, "x", grad_y, "grad_y");
    check_shape(op, grad_y, "grad_y", x.shape());
    Tensor grad_x = Tensor::empty(x.shape(), x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, relu_backward<T>, grad_x.mutable_data<T>(), grad_y.data<T>(), x.data<T>(), x.numel());
    });
    return grad_x;
}

namespace {
struct AxisSplit {
    int64_t outer = 1, axis = 1, inner = 1;
};
AxisSplit split_at(const Shape& shape, int axis) {
    AxisSplit s;
    for (int d = 0; d < shape.rank(); ++d) {
        if (d < axis) s.outer *= shape[d];
        else if (d == axis) s.axis = shape[d];
        else s.inner *= shape[d];
    }
    return s;
}
}  // namespace

Tensor softmax_forward(const Tensor& x_arg, int axis) {
    const Tensor x = detail::plain(x_arg);
    const char* op = "softmax_forward";
    check_defined(op, x, "x");
    const AxisSplit s = split_at(x.shape(), normalise_axis(op, axis, x.rank()));
    Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, softmax_forward<T>, y.mutable_data<T>(), x.data<T>(), s.outer, s.axis, s.inner);
    });
    return y;
}

Tensor softmax_backward(const Tensor& grad_y_arg, const Tensor& y_arg, int axis) {
    const Tensor grad_y = detail::plain(grad_y_arg);
    const Tensor y = detail::plain(y_arg);
    const char* op = "softmax_backward";
    check_defined(op, y, "y");
    check_same_kind(op, y, "y", grad_y, "grad_y");
    check_shape(op, grad_y, "grad_y", y.shape());
    const AxisSplit s = split_at(y.shape(), normalise_axis(op, axis, y.rank()));
    Tensor grad_x = Tensor::empty(y.shape(), y.dtype(), y.device());
    dispatch(op, y, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(y, softmax_backward<T>, grad_x.mutable_data<T>(), grad_y.data<T>(), y.data<T>(), s.outer, s.axis, s.inner);
    });
    return grad_x;
}

// ---- batch norm -------------------------------------------------------------------------

Tensor batch_norm_forward(const Tensor& x_arg, const Tensor& gamma_arg, const Tensor& beta_arg,
                          const Tensor& mean_arg, const Tensor& var_arg, double eps) {
    const Tensor x = detail::plain(x_arg);
    const Tensor gamma = detail::plain(gamma_arg);
    const Tensor beta = detail::plain(beta_arg);
    const Tensor mean = detail::plain(mean_arg);
    const Tensor var = detail::plain(var_arg);
    const char* op = "batch_norm_forward";
    check_batch_norm_input(op, x);
    Tensor scale, shift;
    detail::batch_norm_affine(op, x, gamma, beta, mean, var, eps, scale, shift);
    return channel_affine(op, x, scale, shift);
}

Tensor batch_norm_backward_input(const Tensor& grad_y_arg, const Tensor& gamma_arg, const Tensor& var_arg,
                                 double eps) {
    const Tensor grad_y = detail::plain(grad_y_arg);
    const Tensor gamma = detail::plain(gamma_arg);
    const Tensor var = detail::plain(var_arg);
    const char* op = "batch_norm_backward_input";
    check_batch_norm_input(op, grad_y);
    check_batch_norm_vector(op, grad_y, gamma, "gamma");
    check_batch_norm_vector(op, grad_y, var, "var");
    if (grad_y.device().is_cuda()) {
        check_eps(op, eps);
        Tensor scale = Tensor::empty(Shape{grad_y.dim(1)}, grad_y.dtype(), grad_y.device());
        dispatch(op, grad_y, [&](auto zero) {
            using T [[maybe_unused]] = decltype(zero);  // unused without a CUDA backend
            IGCAM_CUDA_KERNEL(batch_norm_fold<T>(grad_y.device().index, scale.mutable_data<T>(), nullptr, gamma.data<T>(),
                                                 nullptr, nullptr, var.data<T>(), eps, grad_y.dim(1)));
        });
        return channel_affine(op, grad_y, scale, Tensor());
    }
    const std::vector<double> scale = batch_norm_scale(op, gamma, var, eps);
    return channel_affine(op, grad_y, Tensor::from_values(Shape{grad_y.dim(1)}, scale, grad_y.dtype()),
                          Tensor());
}

void detail::batch_norm_affine(const char* op, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                               const Tensor& mean, const Tensor& var, double eps, Tensor& scale, Tensor& shift) {
    check_batch_norm_vector(op, x, gamma, "gamma");
    check_batch_norm_vector(op, x, beta, "beta");
    check_batch_norm_vector(op, x, mean, "mean");
    check_batch_norm_vector(op, x, var, "var");
    if (x.device().is_cuda()) {
        check_eps(op, eps);
        // Folded on the device: no host round trip per layer.
        const Shape channels{x.dim(1)};
        scale = Tensor::empty(channels, x.dtype(), x.device());
        shift = Tensor::empty(channels, x.dtype(), x.device());
        dispatch(op, x, [&](auto zero) {
            using T [[maybe_unused]] = decltype(zero);  // unused without a CUDA backend
            IGCAM_CUDA_KERNEL(batch_norm_fold<T>(x.device().index, scale.mutable_data<T>(), shift.mutable_data<T>(), gamma.data<T>(),
                                                 beta.data<T>(), mean.data<T>(), var.data<T>(), eps, x.dim(1)));
        });
        return;
    }
    const std::vector<double> s = batch_norm_scale(op, gamma, var, eps);
    const std::vector<double> b = beta.to_vector(), m = mean.to_vector();
    std::vector<double> t(s.size());
    for (std::size_t c = 0; c < s.size(); ++c) t[c] = b[c] - m[c] * s[c];
    const Shape channels{x.dim(1)};
    scale = Tensor::from_values(channels, s, x.dtype());
    shift = Tensor::from_values(channels, t, x.dtype());
}

// ---- elementwise ------------------------------------------------------------------------

Shape broadcast_shape(const Shape& a, const Shape& b) {
    const int rank = std::max(a.rank(), b.rank());
    std::vector<int64_t> dims(static_cast<std::size_t>(rank));
    for (int d = 0; d < rank; ++d) {
        const int da = d - (rank - a.rank()), db = d - (rank - b.rank());
        const int64_t sa = da >= 0 ? a.dims()[da] : 1, sb = db >= 0 ? b.dims()[db] : 1;
        IGCAM_CHECK(sa == sb || sa == 1 || sb == 1, ShapeError, "shapes ", a.to_string(), " and ",
                    b.to_string(), " cannot be broadcast together");
        dims[d] = sa == 1 ? sb : sa;
    }
    return Shape(dims);
}

Tensor add(const Tensor& a, const Tensor& b) { return binary("add", BinaryOp::Add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary("sub", BinaryOp::Sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary("mul", BinaryOp::Mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary("div", BinaryOp::Div, a, b); }

Tensor affine(const Tensor& x_arg, double alpha, double beta) {
    const Tensor x = detail::plain(x_arg);
    const char* op = "affine";
    check_defined(op, x, "x");
    Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, affine<T>, y.mutable_data<T>(), x.data<T>(), static_cast<T>(alpha), static_cast<T>(beta), x.numel());
    });
    return y;
}

Tensor scale(const Tensor& x, double alpha) { return affine(x, alpha, 0.0); }

Tensor broadcast_to(const Tensor& x_arg, const Shape& shape) {
    const Tensor x = detail::plain(x_arg);
    const char* op = "broadcast_to";
    check_defined(op, x, "x");
    IGCAM_CHECK(broadcasts_to(x.shape(), shape), ShapeError, op,
                ": shape ", x.shape().to_string(), " cannot be broadcast to ", shape.to_string());
    Tensor out = Tensor::empty(shape, x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, strided_copy<T>, out.mutable_data<T>(), shape.dims(), x.data<T>(), broadcast_strides(x.shape(), shape));
    });
    return out;
}

Tensor sum_to(const Tensor& x_arg, const Shape& shape) {
    const Tensor x = detail::plain(x_arg);
    const char* op = "sum_to";
    check_defined(op, x, "x");
    IGCAM_CHECK(broadcasts_to(shape, x.shape()), ShapeError,
                op, ": shape ", x.shape().to_string(), " cannot be summed down to ", shape.to_string());
    if (shape == x.shape()) return x;
    return strided_sum(op, x, shape, broadcast_strides(shape, x.shape()));
}

// ---- reductions -------------------------------------------------------------------------

namespace {
// Which axes of a rank-`rank` tensor a reduction folds (empty list = every axis).
std::vector<bool> reduced_axes(const char* op, const std::vector<int>& axes, int rank) {
    std::vector<bool> reduced(static_cast<std::size_t>(rank), axes.empty());
    for (int axis : axes) {
        const int a = normalise_axis(op, axis, rank);
        IGCAM_CHECK(!reduced[a], ValueError, op, ": axis ", axis, " is listed twice");
        reduced[a] = true;
    }
    return reduced;
}
}  // namespace

Shape reduced_shape(const Shape& x, const std::vector<int>& axes, bool keepdim) {
    const std::vector<bool> reduced = reduced_axes("sum", axes, x.rank());
    std::vector<int64_t> dims;
    for (int d = 0; d < x.rank(); ++d) {
        if (!reduced[d]) dims.push_back(x[d]);
        else if (keepdim) dims.push_back(1);
    }
    return Shape(dims);
}

namespace {
// Strides that walk x's index space into the keepdim result: 0 along the reduced axes.
std::vector<int64_t> reduction_strides(const char* op, const Tensor& x, const std::vector<int>& axes) {
    const std::vector<bool> reduced = reduced_axes(op, axes, x.rank());
    std::vector<int64_t> out_strides = cpu::contiguous_strides(reduced_shape(x.shape(), axes, true).dims());
    for (int d = 0; d < x.rank(); ++d)
        if (reduced[d]) out_strides[d] = 0;
    return out_strides;
}
}  // namespace

Tensor sum(const Tensor& x_arg, const std::vector<int>& axes, bool keepdim) {
    const Tensor x = detail::plain(x_arg);
    const char* op = "sum";
    check_defined(op, x, "x");
    return strided_sum(op, x, reduced_shape(x.shape(), axes, keepdim), reduction_strides(op, x, axes));
}

namespace {
Tensor extreme(const char* op, const Tensor& x_arg, const std::vector<int>& axes, bool keepdim, bool maximum) {
    const Tensor x = detail::plain(x_arg);
    check_defined(op, x, "x");
    const std::vector<int64_t> out_strides = reduction_strides(op, x, axes);
    Tensor out = Tensor::empty(reduced_shape(x.shape(), axes, keepdim), x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, strided_extreme<T>, out.mutable_data<T>(), out.numel(), x.data<T>(), x.shape().dims(), out_strides, maximum);
    });
    return out;
}
}  // namespace

Tensor amax(const Tensor& x, const std::vector<int>& axes, bool keepdim) { return extreme("amax", x, axes, keepdim, true); }
Tensor amin(const Tensor& x, const std::vector<int>& axes, bool keepdim) { return extreme("amin", x, axes, keepdim, false); }

Tensor concat_batch(const std::vector<Tensor>& parts_arg) {
    const char* op = "concat_batch";
    IGCAM_CHECK(!parts_arg.empty(), ValueError, op, ": nothing to concatenate");
    std::vector<Tensor> parts;
    parts.reserve(parts_arg.size());
    for (const Tensor& p : parts_arg) parts.push_back(detail::plain(p));
    const Tensor& first = parts.front();
    check_defined(op, first, "parts[0]");
    IGCAM_CHECK(first.rank() >= 1, ShapeError, op, ": scalars cannot be stacked");
    std::vector<int64_t> dims = first.shape().dims();
    dims[0] = 0;
    for (const Tensor& p : parts) {
        check_same_kind(op, first, "parts[0]", p, "a part");
        IGCAM_CHECK(p.rank() == first.rank(), ShapeError, op, ": parts ", first.shape().to_string(), " and ",
                    p.shape().to_string(), " differ beyond dimension 0");
        for (int d = 1; d < p.rank(); ++d)
            IGCAM_CHECK(p.dim(d) == first.dim(d), ShapeError, op, ": parts ", first.shape().to_string(), " and ",
                        p.shape().to_string(), " differ beyond dimension 0");
        dims[0] += p.dim(0);
    }
    Tensor out = Tensor::empty(Shape(dims), first.dtype(), first.device());
    dispatch(op, first, [&](auto zero) {
        using T = decltype(zero);
        T* cursor = out.mutable_data<T>();
        for (const Tensor& p : parts) {
            if (out.device().is_cpu()) std::copy(p.data<T>(), p.data<T>() + p.numel(), cursor);
            else IGCAM_CUDA_KERNEL(copy_device_to_device(cursor, p.data<T>(), p.bytes(), out.device().index));
            cursor += p.numel();
        }
    });
    return out;
}

Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepdim) {
    Tensor total = sum(x, axes, keepdim);
    return scale(total, static_cast<double>(total.numel()) / static_cast<double>(x.numel()));
}

// ---- statistics -------------------------------------------------------------------------

TensorStats tensor_stats(const Tensor& x_arg) {
    const Tensor x = detail::plain(x_arg);
    const char* op = "tensor_stats";
    IGCAM_CHECK(x.defined(), ValueError, op, ": x is undefined");
    TensorStats stats;
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        if (x.device().is_cpu()) {
            const cpu::SummaryStats s = cpu::summary_stats<T>(x.data<T>(), x.numel());
            stats = {s.l2, s.min, s.max, s.zero_fraction};
        } else {
#ifdef IGCAM_WITH_CUDA
            const cuda::SummaryStats s = cuda::summary_stats<T>(x.device().index, x.data<T>(), x.numel());
            stats = {s.l2, s.min, s.max, s.zero_fraction};
#endif
        }
    });
    return stats;
}

int64_t first_nonfinite(const Tensor& x_arg) {
    const Tensor x = detail::plain(x_arg);
    const char* op = "first_nonfinite";
    IGCAM_CHECK(x.defined(), ValueError, op, ": x is undefined");
    int64_t index = -1;
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        if (x.device().is_cpu()) index = cpu::first_nonfinite<T>(x.data<T>(), x.numel());
#ifdef IGCAM_WITH_CUDA
        else index = cuda::first_nonfinite<T>(x.device().index, x.data<T>(), x.numel());
#endif
    });
    return index;
}

double max_abs_diff(const Tensor& a_arg, const Tensor& b_arg) {
    const Tensor a = detail::plain(a_arg);
    const Tensor b = detail::plain(b_arg);
    IGCAM_CHECK(a.defined() && b.defined() && a.shape() == b.shape(), ShapeError,
                "max_abs_diff: shapes ", a.shape().to_string(), " and ", b.shape().to_string(),
                " differ");
    const std::vector<double> va = a.to_vector(), vb = b.to_vector();
    double worst = 0.0;
    for (std::size_t i = 0; i < va.size(); ++i) worst = std::max(worst, std::abs(va[i] - vb[i]));
    return worst;
}

double max_abs(const Tensor& x_arg) {
    const Tensor x = detail::plain(x_arg);
    double worst = 0.0;
    for (double v : x.to_vector()) worst = std::max(worst, std::abs(v));
    return worst;
}

}  // namespace igcam::ops
