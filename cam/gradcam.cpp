// Grad-CAM (Selvaraju et al., 2017).
#include "cam/methods.h"
#include "cam/registry.h"
#include "cam/weighted_sum.h"
#include "core/ops.h"

namespace igcam::cam {

Tensor gradcam(const Tensor& activations, const Tensor& gradients) {
    check_layer_tensors("gradcam", activations, gradients);
    const Tensor alpha = ops::mean(gradients, {2, 3}, true);  // (N, K, 1, 1)
    return relu_weighted_sum(alpha, activations);
}

MethodOutput compute_gradcam(const MethodContext& c) { return MethodOutput::of(gradcam(c.activations, c.gradients)); }

}  // namespace igcam::cam
