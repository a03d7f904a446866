// Score-CAM: channels weighted by the class score of the input masked with each channel.
#include <cfloat>

#include "autograd/grad_mode.h"
#include "cam/capture.h"
#include "cam/perturbation.h"
#include "cam/weighted_sum.h"
#include "core/error.h"
#include "core/ops.h"

namespace igcam::cam {

namespace {

// Upsampled activation maps (1, K, H, W) scaled to [0, 1] per channel. A constant channel
// has max - min = 0 and a zero numerator, so the tiny addend makes it 0 rather than NaN.
Tensor channel_masks(const Tensor& activations_row, int64_t height, int64_t width) {
    const Tensor up = ops::resize_bilinear_forward(activations_row, height, width);
    const Tensor lo = ops::amin(up, {2, 3}, true), hi = ops::amax(up, {2, 3}, true);
    const double tiny = up.dtype() == DType::F32 ? FLT_MIN : DBL_MIN;
    return ops::div(ops::sub(up, lo), ops::affine(ops::sub(hi, lo), 1.0, tiny));
}

}  // namespace

Tensor scorecam(const models::Model& model, const Tensor& input, const Tensor& activations,
                const std::vector<int64_t>& classes, int64_t batch, const Progress& progress) {
    IGCAM_CHECK(activations.rank() == 4 && input.rank() == 4 && activations.dim(0) == input.dim(0), ShapeError,
                "scorecam: activations ", activations.shape().to_string(), " do not match the input ",
                input.shape().to_string());
    IGCAM_CHECK(batch >= 1, ValueError, "scorecam: batch must be >= 1, got ", batch);
    ag::NoGradGuard no_grad;
    const int64_t images = input.dim(0), channels = activations.dim(1);
    const int64_t height = input.dim(2), width = input.dim(3);
    std::vector<Tensor> maps;
    for (int64_t n = 0; n < images; ++n) {
        const Tensor a = activations.slice_batch(n, n + 1);
        const Tensor x = input.slice_batch(n, n + 1);
        // (K, 1, H, W): one mask per channel, broadcast over the colour channels below.
        const Tensor masks = channel_masks(a, height, width).reshape(Shape{channels, 1, height, width});
        std::vector<Tensor> scores;
        for (int64_t k0 = 0; k0 < channels; k0 += batch) {
            const int64_t k1 = std::min(channels, k0 + batch);
            const Tensor masked = ops::mul(x, masks.slice_batch(k0, k1));  // (k1 - k0, 3, H, W)
            nn::ForwardContext ctx;
            const Tensor logits = model.forward(ag::Var(masked), ctx).value();
            scores.push_back(class_scores(logits, std::vector<int64_t>(static_cast<std::size_t>(k1 - k0), classes[n])));
            report(progress, n * channels + k1, images * channels);
        }
        const Tensor weights = ops::softmax_forward(ops::concat_batch(scores), 0).reshape(Shape{1, channels, 1, 1});
        maps.push_back(relu_weighted_sum(weights, a));
    }
    return ops::concat_batch(maps);
}

}  // namespace igcam::cam
