#include "layers/simple.h"

#include "autograd/functions.h"

namespace igcam::nn {

BatchNorm2d::BatchNorm2d(int64_t channels, double eps) : eps_(eps) {
    add_parameter("weight", Shape{channels});
    add_parameter("bias", Shape{channels});
    add_parameter("running_mean", Shape{channels});
    add_parameter("running_var", Shape{channels});
}

ag::Var BatchNorm2d::forward(const ag::Var& x, ForwardContext&) const {
    return ag::batch_norm(x, value(0), value(1), value(2), value(3), eps_);
}

ag::Var ReLU::forward(const ag::Var& x, ForwardContext&) const { return ag::relu(x); }
ag::Var MaxPool2d::forward(const ag::Var& x, ForwardContext&) const { return ag::max_pool2d(x, params_); }
ag::Var AvgPool2d::forward(const ag::Var& x, ForwardContext&) const { return ag::avg_pool2d(x, params_); }
ag::Var AdaptiveAvgPool2d::forward(const ag::Var& x, ForwardContext&) const {
    return ag::adaptive_avg_pool2d(x, out_h_, out_w_);
}
ag::Var Flatten::forward(const ag::Var& x, ForwardContext&) const { return ag::flatten(x); }

}  // namespace igcam::nn
