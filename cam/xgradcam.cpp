// XGrad-CAM (Fu et al., 2020), as pytorch-grad-cam computes it.
#include "cam/methods.h"
#include "cam/registry.h"
#include "cam/weighted_sum.h"
#include "core/ops.h"

namespace igcam::cam {

Tensor xgradcam(const Tensor& activations, const Tensor& gradients) {
    check_layer_tensors("xgradcam", activations, gradients);
    const Tensor activation_sums = ops::affine(ops::sum(activations, {2, 3}, true), 1.0, 1e-7);
    const Tensor weights = ops::div(ops::sum(ops::mul(gradients, activations), {2, 3}, true), activation_sums);
    return relu_weighted_sum(weights, activations);
}

MethodOutput compute_xgradcam(const MethodContext& c) { return MethodOutput::of(xgradcam(c.activations, c.gradients)); }

}  // namespace igcam::cam
