// ops: convolution and fully connected layers (argument checks + dispatch).
#include <limits>

#include "core/cpu/conv2d.h"
#include "core/cpu/f32_path.h"
#include "core/cpu/linear.h"
#include "core/ops.h"
#include "core/ops_common.h"

namespace igcam::ops {

using detail::check_at_least;
using detail::check_rank;
using detail::check_same_kind;
using detail::check_shape;
using detail::dispatch;

namespace {

// BLAS takes int sizes: refuse anything whose matrices would not fit.
void check_blas_size(const char* op, int64_t elements) {
    IGCAM_CHECK(elements < std::numeric_limits<int>::max(), ShapeError, op,
                ": the problem is too large for 32-bit BLAS indexing (", elements, " elements)");
}

void check_conv_params(const char* op, const Conv2dParams& p) {
    check_at_least(op, "stride_h", p.stride_h, 1);
    check_at_least(op, "stride_w", p.stride_w, 1);
    check_at_least(op, "pad_top", p.pad.top, 0);
    check_at_least(op, "pad_bottom", p.pad.bottom, 0);
    check_at_least(op, "pad_left", p.pad.left, 0);
    check_at_least(op, "pad_right", p.pad.right, 0);
}

Conv2dGeometry conv_geometry(const char* op, const Shape& x, const Shape& weight,
                             const Conv2dParams& p) {
    IGCAM_CHECK(x.rank() == 4, ShapeError, op, ": x must be 4-D (N, C, H, W), got shape ",
                x.to_string());
    IGCAM_CHECK(weight.rank() == 4, ShapeError, op,
                ": weight must be 4-D (out_channels, in_channels, kh, kw), got shape ",
                weight.to_string());
    IGCAM_CHECK(x.numel() > 0, ShapeError, op, ": x of shape ", x.to_string(), " has no elements");
    IGCAM_CHECK(weight.numel() > 0, ShapeError, op, ": weight of shape ", weight.to_string(),
                " has no elements");
    check_conv_params(op, p);
    IGCAM_CHECK(weight[1] == x[1], ShapeError, op, ": weight ", weight.to_string(), " expects ",
                weight[1], " input channels but x ", x.to_string(), " has ", x[1]);
    const int64_t padded_h = x[2] + p.pad.top + p.pad.bottom;
    const int64_t padded_w = x[3] + p.pad.left + p.pad.right;
    IGCAM_CHECK(weight[2] <= padded_h && weight[3] <= padded_w, ShapeError, op, ": kernel ",
                weight[2], "x", weight[3], " is larger than the padded input ", padded_h, "x",
                padded_w);
    Conv2dGeometry g{};
    g.batch = x[0];
    g.in_channels = x[1];
    g.in_h = x[2];
    g.in_w = x[3];
    g.out_channels = weight[0];
    g.kernel_h = weight[2];
    g.kernel_w = weight[3];
    g.stride_h = p.stride_h;
    g.stride_w = p.stride_w;
    g.pad_top = p.pad.top;
    g.pad_left = p.pad.left;
    g.out_h = (padded_h - g.kernel_h) / g.stride_h + 1;
    g.out_w = (padded_w - g.kernel_w) / g.stride_w + 1;
    const int64_t patch = g.in_channels * g.kernel_h * g.kernel_w;
    check_blas_size(op, patch * g.out_h * g.out_w);
    check_blas_size(op, g.out_channels * g.out_h * g.out_w);
    return g;
}

Shape output_shape(const Conv2dGeometry& g) { return Shape{g.batch, g.out_channels, g.out_h, g.out_w}; }

// The forward's geometry, after checking x (N, C, H, W), weight (out_channels, C, kh, kw)
// and bias (out_channels), when defined.
Conv2dGeometry forward_geometry(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias,
                                const Conv2dParams& params) {
    check_rank(op, x, "x", 4, "(N, C, H, W)");
    check_rank(op, weight, "weight", 4, "(out_channels, in_channels, kh, kw)");
    check_same_kind(op, x, "x", weight, "weight");
    const Conv2dGeometry g = conv_geometry(op, x.shape(), weight.shape(), params);
    if (bias.defined()) {
        check_same_kind(op, x, "x", bias, "bias");
        check_shape(op, bias, "bias", Shape{g.out_channels});
    }
    return g;
}

// Float32 CPU convolutions go to oneDNN's one forward (core/cpu/conv2d_onednn.h), which
// reads channel-blocked activations as they are.
bool runs_on_onednn(const Tensor& x) {
    return x.device().is_cpu() && x.dtype() == DType::F32 && cpu::f32_uses_onednn();
}

// A float32 activation as oneDNN reads it: its bytes in whatever layout it has.
cpu::F32Activation activation(const Tensor& t) {
    return cpu::F32Activation{static_cast<const float*>(t.raw_data()), t.layout()};
}

// y = epilogue(conv(x, weight) + bias) through oneDNN into y (in y's layout); the weights'
// reordered copy is kept in `cache` when there is one.
void onednn_forward(Tensor& y, const Tensor& x, const Tensor& weight, const Tensor& bias,
                    const cpu::ConvEpilogue& epilogue, WeightCache* cache, const Conv2dGeometry& g) {
    cpu::F32Weights weights{weight.data<float>(), cache, {}};
    if (cache != nullptr) weights.source = WeightCache::Source::of(weight);
    cpu::conv2d_forward_f32(static_cast<float*>(y.mutable_raw_data()), y.layout(), activation(x), weights,
                            bias.defined() ? bias.data<float>() : nullptr, epilogue, g);
}

}  // namespace

Shape conv2d_output_shape(const Shape& x, const Shape& weight, const Conv2dParams& params) {
    return output_shape(conv_geometry("conv2d", x, weight, params));
}

Tensor conv2d_forward(const Tensor& x, const Tensor& weight_arg, const Tensor& bias_arg,
                      const Conv2dParams& params, WeightCache* weights_cache) {
    const char* op = "conv2d_forward";
    const Tensor weight = detail::plain(weight_arg), bias = detail::plain(bias_arg);
    const Conv2dGeometry g = forward_geometry(op, x, weight, bias, params);
    if (runs_on_onednn(x)) {
        Tensor y = Tensor::empty(output_shape(g), DType::F32, Device::cpu());
        onednn_forward(y, x, weight, bias, cpu::ConvEpilogue{}, weights_cache, g);
        return y;
    }
    const Tensor plain_x = detail::plain(x);
    Tensor y = Tensor::empty(output_shape(g), x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, conv2d_forward<T>, y.mutable_data<T>(), plain_x.data<T>(), weight.data<T>(),
                     bias.defined() ? bias.data<T>() : nullptr, g);
    });
    return y;
}

Tensor conv2d_backward_data(const Tensor& grad_y_arg, const Tensor& weight_arg, const Shape& x_shape,
                            const Conv2dParams& params) {
    const Tensor grad_y = detail::plain(grad_y_arg);
    const Tensor weight = detail::plain(weight_arg);
    const char* op = "conv2d_backward_data";
    check_rank(op, weight, "weight", 4, "(out_channels, in_channels, kh, kw)");
    check_same_kind(op, weight, "weight", grad_y, "grad_y");
    const Conv2dGeometry g = conv_geometry(op, x_shape, weight.shape(), params);
    check_shape(op, grad_y, "grad_y", output_shape(g));
    Tensor grad_x = Tensor::empty(x_shape, weight.dtype(), weight.device());
    dispatch(op, weight, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(weight, conv2d_backward_data<T>, grad_x.mutable_data<T>(), grad_y.data<T>(), weight.data<T>(), g);
    });
    return grad_x;
}

Tensor conv2d_backward_weight(const Tensor& grad_y_arg, const Tensor& x_arg, const Shape& weight_shape,
                              const Conv2dParams& params) {
    const Tensor grad_y = detail::plain(grad_y_arg);
    const Tensor x = detail::plain(x_arg);
    const char* op = "conv2d_backward_weight";
    check_rank(op, x, "x", 4, "(N, C, H, W)");
    check_same_kind(op, x, "x", grad_y, "grad_y");
    const Conv2dGeometry g = conv_geometry(op, x.shape(), weight_shape, params);
    check_shape(op, grad_y, "grad_y", output_shape(g));
    Tensor grad_weight = Tensor::empty(weight_shape, x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, conv2d_backward_weight<T>, grad_weight.mutable_data<T>(), grad_y.data<T>(), x.data<T>(), g);
    });
    return grad_weight;
}

Tensor conv2d_backward_bias(const Tensor& grad_y_arg) {
    const Tensor grad_y = detail::plain(grad_y_arg);
    const char* op = "conv2d_backward_bias";
    check_rank(op, grad_y, "grad_y", 4, "(N, O, H, W)");
    Conv2dGeometry g{};
    g.batch = grad_y.dim(0);
    g.out_channels = grad_y.dim(1);
    g.out_h = grad_y.dim(2);
    g.out_w = grad_y.dim(3);
    Tensor grad_bias = Tensor::empty(Shape{g.out_channels}, grad_y.dtype(), grad_y.device());
    dispatch(op, grad_y, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(grad_y, conv2d_backward_bias<T>, grad_bias.mutable_data<T>(), grad_y.data<T>(), g);
    });
    return grad_bias;
}

Tensor conv2d_fused_forward(const Tensor& x, const Tensor& weight_arg, const Tensor& bias_arg,
                            const ConvFusion& fusion, const Conv2dParams& params) {
    const char* op = "conv2d_fused_forward";
    const BatchNormConstants* bn = fusion.bn;
    if (!runs_on_onednn(x)) {
        // The same ops one by one (float64 stays the specification).
        Tensor y = conv2d_forward(x, weight_arg, bias_arg, params, fusion.weights_cache);
        if (bn != nullptr) y = batch_norm_forward(y, bn->gamma, bn->beta, bn->mean, bn->var, bn->eps);
        if (fusion.residual.defined()) y = add(y, fusion.residual);
        return fusion.relu ? relu_forward(y) : y;
    }
    const Tensor weight = detail::plain(weight_arg), bias = detail::plain(bias_arg);
    const Conv2dGeometry g = forward_geometry(op, x, weight, bias, params);
    if (fusion.residual.defined()) {
        check_same_kind(op, x, "x", fusion.residual, "residual");
        check_shape(op, fusion.residual, "residual", output_shape(g));
    }
    Tensor scale, shift;
    if (bn != nullptr)
        // Checked against one (1, out_channels) row: the output itself is made below.
        detail::batch_norm_affine(op, Tensor::empty(Shape{1, g.out_channels}), bn->gamma, bn->beta, bn->mean, bn->var,
                                  bn->eps, scale, shift);
    cpu::ConvEpilogue epilogue;
    epilogue.scale = bn != nullptr ? scale.data<float>() : nullptr;
    epilogue.shift = bn != nullptr ? shift.data<float>() : nullptr;
    if (fusion.residual.defined()) epilogue.residual = activation(fusion.residual);
    epilogue.relu = fusion.relu;
    Tensor y = Tensor::empty(output_shape(g), DType::F32, Device::cpu(), cpu::f32_activation_layout(g.out_channels));
    onednn_forward(y, x, weight, bias, epilogue, fusion.weights_cache, g);
    return y;
}

// ---- linear ---------------------------------------------------------------------------

Tensor linear_forward(const Tensor& x_arg, const Tensor& weight_arg, const Tensor& bias_arg) {
    const Tensor x = detail::plain(x_arg);
    const Tensor weight = detail::plain(weight_arg);
    const Tensor bias = detail::plain(bias_arg);
    const char* op = "linear_forward";
    check_rank(op, x, "x", 2, "(N, in_features)");
    check_rank(op, weight, "weight", 2, "(out_features, in_features)");
    check_same_kind(op, x, "x", weight, "weight");
    IGCAM_CHECK(weight.dim(1) == x.dim(1), ShapeError, op, ": weight ", weight.shape().to_string(),
                " expects ", weight.dim(1), " input features but x ", x.shape().to_string(), " has ",
                x.dim(1));
    if (bias.defined()) {
        check_same_kind(op, x, "x", bias, "bias");
        check_shape(op, bias, "bias", Shape{weight.dim(0)});
    }
    check_blas_size(op, weight.numel());
    check_blas_size(op, x.numel());
    const int64_t batch = x.dim(0), in = x.dim(1), out = weight.dim(0);
    Tensor y = Tensor::empty(Shape{batch, out}, x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, linear_forward<T>, y.mutable_data<T>(), x.data<T>(), weight.data<T>(),
                               bias.defined() ? bias.data<T>() : nullptr, batch, in, out);
    });
    return y;
}

Tensor linear_backward_input(const Tensor& grad_y_arg, const Tensor& weight_arg) {
    const Tensor grad_y = detail::plain(grad_y_arg);
    const Tensor weight = detail::plain(weight_arg);
    const char* op = "linear_backward_input";
    check_rank(op, grad_y, "grad_y", 2, "(N, out_features)");
    check_rank(op, weight, "weight", 2, "(out_features, in_features)");
    check_same_kind(op, weight, "weight", grad_y, "grad_y");
    IGCAM_CHECK(grad_y.dim(1) == weight.dim(0), ShapeError, op, ": grad_y ",
                grad_y.shape().to_string(), " does not match weight ", weight.shape().to_string());
    const int64_t batch = grad_y.dim(0), in = weight.dim(1), out = weight.dim(0);
    Tensor grad_x = Tensor::empty(Shape{batch, in}, weight.dtype(), weight.device());
    dispatch(op, weight, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(weight, linear_backward_input<T>, grad_x.mutable_data<T>(), grad_y.data<T>(), weight.data<T>(), batch,
                                      in, out);
    });
    return grad_x;
}

Tensor linear_backward_weight(const Tensor& grad_y_arg, const Tensor& x_arg) {
    const Tensor grad_y = detail::plain(grad_y_arg);
    const Tensor x = detail::plain(x_arg);
    const char* op = "linear_backward_weight";
    check_rank(op, grad_y, "grad_y", 2, "(N, out_features)");
    check_rank(op, x, "x", 2, "(N, in_features)");
    check_same_kind(op, x, "x", grad_y, "grad_y");
    IGCAM_CHECK(grad_y.dim(0) == x.dim(0), ShapeError, op, ": grad_y ", grad_y.shape().to_string(),
                " and x ", x.shape().to_string(), " have different batch sizes");
    const int64_t batch = x.dim(0), in = x.dim(1), out = grad_y.dim(1);
    Tensor grad_weight = Tensor::empty(Shape{out, in}, x.dtype(), x.device());
    dispatch(op, x, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(x, linear_backward_weight<T>, grad_weight.mutable_data<T>(), grad_y.data<T>(), x.data<T>(), batch,
                                       in, out);
    });
    return grad_weight;
}

Tensor linear_backward_bias(const Tensor& grad_y_arg) {
    const Tensor grad_y = detail::plain(grad_y_arg);
    const char* op = "linear_backward_bias";
    check_rank(op, grad_y, "grad_y", 2, "(N, out_features)");
    const int64_t batch = grad_y.dim(0), out = grad_y.dim(1);
    Tensor grad_bias = Tensor::empty(Shape{out}, grad_y.dtype(), grad_y.device());
    dispatch(op, grad_y, [&](auto zero) {
        using T = decltype(zero);
        IGCAM_KERNEL(grad_y, linear_backward_bias<T>, grad_bias.mutable_data<T>(), grad_y.data<T>(), batch, out);
    });
    return grad_bias;
}

}  // namespace igcam::ops
