#include "cam/capture.h"

#include <optional>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "core/error.h"
#include "core/ops.h"

namespace igcam::cam {

Tensor class_scores(const Tensor& logits, const std::vector<int64_t>& classes) {
    ag::NoGradGuard no_grad;
    return ag::select_columns(ag::Var(logits), classes).value();
}

LayerCapture capture_layer(const models::Model& model, const Tensor& input, const std::string& layer,
                           const std::vector<int64_t>& classes) {
    return capture_layer(model, input, layer, [&](const Tensor&) { return classes; });
}

LayerCapture forward_layer(const models::Model& model, const Tensor& input, const std::string& layer) {
    return capture_layer(model, input, layer, nullptr);
}

LayerCapture capture_layer(const models::Model& model, const Tensor& input, const std::string& layer,
                           const std::function<std::vector<int64_t>(const Tensor& logits)>& choose_classes,
                           ag::GradientTrace* trace) {
    model.layer(layer);  // validates the name with a helpful message
    const bool backward = static_cast<bool>(choose_classes);
    nn::ForwardContext ctx;
    ctx.keep(layer);
    if (backward) ctx.transform(layer, [&layer](const ag::Var& a) { return ag::tap(a).set_name(layer); });
    LayerCapture c;
    ag::Var logits;
    {
        std::optional<ag::NoGradGuard> no_grad;
        if (!backward) no_grad.emplace();
        logits = model.forward(ag::Var(input), ctx);
    }
    const ag::Var activations = ctx.output(layer);
    IGCAM_CHECK(activations.value().rank() == 4, ValueError, "layer '", layer, "' outputs ",
                activations.shape().to_string(), ", not a (N, K, h, w) feature map; choose a convolutional layer");
    // The methods read the activations many times: made plain once, here.
    c.activations = ops::to_plain(activations.value());
    c.logits = logits.value();
    if (!backward) return c;
    const ag::Var scores = ag::select_columns(logits, choose_classes(c.logits)).set_name("class score");
    c.scores = scores.value();
    if (trace != nullptr) trace->batch_rows = input.dim(0);
    ag::backward(ag::sum(scores), trace);
    c.gradients = activations.grad();
    IGCAM_CHECK(c.gradients.defined(), ValueError, "no gradient reached layer '", layer, "'");
    return c;
}

}  // namespace igcam::cam
