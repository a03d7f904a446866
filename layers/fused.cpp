#include "layers/fused.h"

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "core/ops.h"

namespace igcam::nn {

ag::Var conv_fused(const Conv2d& conv, const ConvTail& tail, const ag::Var& x, ForwardContext& ctx) {
    const bool has_residual = tail.residual.defined();
    const bool records = ag::grad_enabled() && (x.requires_grad() || (has_residual && tail.residual.requires_grad()));
    const bool follows_conv = tail.bn != nullptr || has_residual || tail.relu != nullptr;
    const bool follows_bn = has_residual || tail.relu != nullptr;
    const bool skipped_observed = ctx.observes(conv.name()) || (tail.bn != nullptr && follows_bn && ctx.observes(tail.bn->name()));
    if (records || skipped_observed || !follows_conv) {
        ag::Var y = conv(x, ctx);
        if (tail.bn != nullptr) y = (*tail.bn)(y, ctx);
        if (has_residual) y = ag::add(y, tail.residual);
        return tail.relu != nullptr ? (*tail.relu)(y, ctx) : y;
    }
    const ops::BatchNormConstants bn = tail.bn != nullptr ? tail.bn->constants() : ops::BatchNormConstants{};
    ops::ConvFusion fusion;
    fusion.bn = tail.bn != nullptr ? &bn : nullptr;
    fusion.residual = has_residual ? tail.residual.value() : Tensor();
    fusion.relu = tail.relu != nullptr;
    fusion.weights_cache = &conv.weight_cache();
    const ag::Var y(ops::conv2d_fused_forward(x.value(), conv.weight(), conv.bias(), fusion, conv.params()));
    if (tail.relu != nullptr) return ctx.after(*tail.relu, y);
    return has_residual ? y : ctx.after(*tail.bn, y);  // the sum is no module's output
}

ag::Var run_in_order(const std::vector<const Module*>& modules, const ag::Var& x, ForwardContext& ctx) {
    ag::Var y = x;
    for (std::size_t i = 0; i < modules.size(); ++i) {
        const auto* conv = dynamic_cast<const Conv2d*>(modules[i]);
        if (conv == nullptr) {
            y = (*modules[i])(y, ctx);
            continue;
        }
        auto next = [&](std::size_t k) { return i + k < modules.size() ? modules[i + k] : nullptr; };
        ConvTail tail;
        tail.bn = dynamic_cast<const BatchNorm2d*>(next(1));
        tail.relu = dynamic_cast<const ReLU*>(next(tail.bn != nullptr ? 2 : 1));
        y = conv_fused(*conv, tail, y, ctx);
        i += (tail.bn != nullptr ? 1 : 0) + (tail.relu != nullptr ? 1 : 0);
    }
    return y;
}

}  // namespace igcam::nn
