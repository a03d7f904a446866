// Ablation-CAM: channels weighted by the score drop when each one is zeroed.
#include <cmath>

#include "autograd/grad_mode.h"
#include "cam/capture.h"
#include "cam/perturbation.h"
#include "cam/weighted_sum.h"
#include "core/error.h"
#include "core/ops.h"

namespace igcam::cam {

namespace {

// Logits for a batch of replacement outputs of `layer`. The network resumes from the layer
// when it can (every ResNet stage and block, every VGG feature); otherwise the whole forward
// runs on copies of the input with the layer's output swapped in.
Tensor rerun_from(const models::Model& model, const std::string& layer, const Tensor& input_row,
                  const Tensor& replaced) {
    nn::ForwardContext ctx;
    try {
        return model.net->forward_from(layer, ag::Var(replaced), ctx).value();
    } catch (const ValueError&) {
        nn::ForwardContext swap;
        swap.transform(layer, [&](const ag::Var&) { return ag::Var(replaced); });
        std::vector<Tensor> copies(static_cast<std::size_t>(replaced.dim(0)), input_row);
        return model.forward(ag::Var(ops::concat_batch(copies)), swap).value();
    }
}

}  // namespace

Tensor ablationcam(const models::Model& model, const Tensor& input, const Tensor& activations,
                   const std::string& layer, const std::vector<int64_t>& classes, const Tensor& scores,
                   int64_t batch, const Progress& progress) {
    IGCAM_CHECK(activations.rank() == 4 && activations.dim(0) == input.dim(0) && scores.numel() == input.dim(0),
                ShapeError, "ablationcam: activations ", activations.shape().to_string(), " and scores ",
                scores.shape().to_string(), " do not match the input ", input.shape().to_string());
    IGCAM_CHECK(batch >= 1, ValueError, "ablationcam: batch must be >= 1, got ", batch);
    ag::NoGradGuard no_grad;
    const int64_t images = activations.dim(0), channels = activations.dim(1);
    const std::vector<double> original = scores.to_vector();
    std::vector<Tensor> maps;
    for (int64_t n = 0; n < images; ++n) {
        const Tensor a = activations.slice_batch(n, n + 1);
        std::vector<double> weights;
        for (int64_t k0 = 0; k0 < channels; k0 += batch) {
            const int64_t k1 = std::min(channels, k0 + batch), rows = k1 - k0 + 1;
            // keep (rows, K, 1, 1): row 0 keeps every channel; row 1 + b zeroes channel k0 + b.
            // NOTE: the unablated score is recomputed in the same pass as the ablated ones.
            // A score drop is a difference of two nearly equal numbers, so it must come from
            // the same arithmetic: a float32 GEMM may sum in another order for 1 row than for
            // 129 (oneDNN's does): subtracting the capture's score left errors of 2.9e-4
            // relative in TorchRay's ResNet-50 map against float64; from one pass, 9.3e-6.
            std::vector<double> keep(static_cast<std::size_t>(rows * channels), 1.0);
            for (int64_t b = 0; b < k1 - k0; ++b) keep[(b + 1) * channels + k0 + b] = 0.0;
            const Tensor ablated = ops::mul(a, Tensor::from_values(Shape{rows, channels, 1, 1}, keep, a.dtype(), a.device()));
            const Tensor logits = rerun_from(model, layer, input.slice_batch(n, n + 1), ablated);
            const std::vector<double> score =
                class_scores(logits, std::vector<int64_t>(static_cast<std::size_t>(rows), classes[n])).to_vector();
            // A zero score would divide by zero; keep its sign with a tiny magnitude instead.
            const double base = std::abs(original[n]) < 1e-12 ? std::copysign(1e-12, original[n]) : original[n];
            for (int64_t b = 1; b < rows; ++b) weights.push_back((score[0] - score[b]) / base);
            report(progress, n * channels + k1, images * channels);
        }
        maps.push_back(relu_weighted_sum(Tensor::from_values(Shape{1, channels, 1, 1}, weights, a.dtype(), a.device()), a));
    }
    return ops::concat_batch(maps);
}

}  // namespace igcam::cam
