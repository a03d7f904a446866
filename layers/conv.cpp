#include "layers/conv.h"

#include "autograd/functions.h"

namespace igcam::nn {

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding,
               bool bias)
    : in_channels_(in_channels), out_channels_(out_channels), kernel_(kernel), has_bias_(bias) {
    params_.stride_h = params_.stride_w = stride;
    params_.pad = Padding2d::uniform(padding);
    add_parameter("weight", Shape{out_channels, in_channels, kernel, kernel});
    if (bias) add_parameter("bias", Shape{out_channels});
}

ag::Var Conv2d::forward(const ag::Var& x, ForwardContext&) const {
    return ag::conv2d(x, param(0), has_bias_ ? param(1) : ag::Var(), params_, &weight_cache_);
}

Linear::Linear(int64_t in_features, int64_t out_features, bool bias)
    : in_features_(in_features), out_features_(out_features), has_bias_(bias) {
    add_parameter("weight", Shape{out_features, in_features});
    if (bias) add_parameter("bias", Shape{out_features});
}

ag::Var Linear::forward(const ag::Var& x, ForwardContext&) const {
    return ag::linear(x, param(0), has_bias_ ? param(1) : ag::Var());
}

}  // namespace igcam::nn
