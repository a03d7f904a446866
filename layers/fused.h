// Inference fusion: a Conv2d and what follows it in a block (a BatchNorm2d, a residual
// shortcut added, a ReLU) run as one op (ops::conv2d_fused_forward: one oneDNN primitive
// for float32) wherever no one can tell: no graph is recorded and the context neither keeps
// nor transforms an output that the fused op skips. The values are those of the modules
// run one by one, up to float rounding.
#pragma once

#include <vector>

#include "layers/conv.h"
#include "layers/simple.h"

namespace igcam::nn {

// What follows a Conv2d, in this order; each part may be absent (null / undefined).
struct ConvTail {
    const BatchNorm2d* bn = nullptr;
    ag::Var residual;  // added after the batch norm (a ResNet shortcut)
    const ReLU* relu = nullptr;
};

// relu(bn(conv(x)) + residual) with the parts `tail` has. One fused op when the pass records
// no graph (grad mode is off, or neither x nor the residual requires grad) and the context
// observes neither the convolution's output nor, when something follows it, the batch
// norm's (ForwardContext::observes); the last module's output goes through the context as
// usual. Otherwise the modules run one by one.
ag::Var conv_fused(const Conv2d& conv, const ConvTail& tail, const ag::Var& x, ForwardContext& ctx);

// Runs `modules` in order, as Sequential does, with each Conv2d -> [BatchNorm2d] -> [ReLU]
// run through conv_fused.
ag::Var run_in_order(const std::vector<const Module*>& modules, const ag::Var& x, ForwardContext& ctx);

}  // namespace igcam::nn
