// Grad-CAM++ (Chattopadhyay et al., 2018), eq. 19 under the exponential-output assumption,
// computed as pytorch-grad-cam does.
#include "cam/methods.h"
#include "cam/registry.h"
#include "cam/weighted_sum.h"
#include "core/ops.h"

namespace igcam::cam {

namespace {
constexpr double kEpsilon = 1e-6;
}

Tensor gradcam_plus_plus(const Tensor& activations, const Tensor& gradients) {
    check_layer_tensors("gradcam++", activations, gradients);
    const Tensor g2 = ops::mul(gradients, gradients);
    const Tensor g3 = ops::mul(g2, gradients);
    const Tensor activation_sums = ops::sum(activations, {2, 3}, true);  // (N, K, 1, 1)
    // 2 g^2 + (sum A) g^3 + eps. Where g = 0 the numerator is 0, so a = 0 there, as required.
    const Tensor denominator = ops::affine(ops::add(ops::scale(g2, 2.0), ops::mul(activation_sums, g3)), 1.0, kEpsilon);
    const Tensor alphas = ops::div(g2, denominator);
    const Tensor weights = ops::sum(ops::mul(alphas, ops::relu_forward(gradients)), {2, 3}, true);
    return relu_weighted_sum(weights, activations);
}

MethodOutput compute_gradcam_plus_plus(const MethodContext& c) { return MethodOutput::of(gradcam_plus_plus(c.activations, c.gradients)); }

}  // namespace igcam::cam
