#include "layers/residual.h"

#include "autograd/functions.h"
#include "layers/fused.h"

namespace igcam::nn {

std::shared_ptr<Sequential> make_downsample(int64_t in_channels, int64_t out_channels, int64_t stride,
                                            const BlockOptions& options) {
    if (stride == 1 && in_channels == out_channels) return nullptr;
    auto seq = std::make_shared<Sequential>();
    seq->append(std::make_shared<Conv2d>(in_channels, out_channels, 1, stride, 0, options.conv_bias));
    seq->append(std::make_shared<BatchNorm2d>(out_channels, options.bn_eps));
    return seq;
}

BasicBlock::BasicBlock(int64_t in_channels, int64_t planes, int64_t stride, const BlockOptions& o) {
    conv1_ = add_child("conv1", std::make_shared<Conv2d>(in_channels, planes, 3, stride, 1, o.conv_bias));
    bn1_ = add_child("bn1", std::make_shared<BatchNorm2d>(planes, o.bn_eps));
    relu_ = add_child("relu", std::make_shared<ReLU>());
    conv2_ = add_child("conv2", std::make_shared<Conv2d>(planes, planes, 3, 1, 1, o.conv_bias));
    bn2_ = add_child("bn2", std::make_shared<BatchNorm2d>(planes, o.bn_eps));
    downsample_ = make_downsample(in_channels, planes * kExpansion, stride, o);
    if (downsample_) add_child("downsample", downsample_);
}

// NOTE: the shortcut runs first so that the last convolution can add it and apply the ReLU
// as it stores its result (layers/fused.h); the values do not depend on the order.
ag::Var BasicBlock::forward(const ag::Var& x, ForwardContext& ctx) const {
    const ag::Var shortcut = downsample_ ? (*downsample_)(x, ctx) : x;
    const ag::Var out = conv_fused(*conv1_, {bn1_.get(), {}, relu_.get()}, x, ctx);
    return conv_fused(*conv2_, {bn2_.get(), shortcut, relu_.get()}, out, ctx);
}

Bottleneck::Bottleneck(int64_t in_channels, int64_t planes, int64_t stride, const BlockOptions& o) {
    const int64_t first_stride = o.stride_on_first ? stride : 1;
    const int64_t middle_stride = o.stride_on_first ? 1 : stride;
    conv1_ = add_child("conv1", std::make_shared<Conv2d>(in_channels, planes, 1, first_stride, 0, o.conv_bias));
    bn1_ = add_child("bn1", std::make_shared<BatchNorm2d>(planes, o.bn_eps));
    conv2_ = add_child("conv2", std::make_shared<Conv2d>(planes, planes, 3, middle_stride, 1, o.conv_bias));
    bn2_ = add_child("bn2", std::make_shared<BatchNorm2d>(planes, o.bn_eps));
    conv3_ = add_child("conv3", std::make_shared<Conv2d>(planes, planes * kExpansion, 1, 1, 0, o.conv_bias));
    bn3_ = add_child("bn3", std::make_shared<BatchNorm2d>(planes * kExpansion, o.bn_eps));
    relu_ = add_child("relu", std::make_shared<ReLU>());
    downsample_ = make_downsample(in_channels, planes * kExpansion, stride, o);
    if (downsample_) add_child("downsample", downsample_);
}

ag::Var Bottleneck::forward(const ag::Var& x, ForwardContext& ctx) const {
    const ag::Var shortcut = downsample_ ? (*downsample_)(x, ctx) : x;
    ag::Var out = conv_fused(*conv1_, {bn1_.get(), {}, relu_.get()}, x, ctx);
    out = conv_fused(*conv2_, {bn2_.get(), {}, relu_.get()}, out, ctx);
    return conv_fused(*conv3_, {bn3_.get(), shortcut, relu_.get()}, out, ctx);
}

}  // namespace igcam::nn
