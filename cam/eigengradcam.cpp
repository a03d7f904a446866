// Eigen-Grad-CAM (pytorch-grad-cam's EigenGradCAM): Eigen-CAM of the gradient-weighted
// activations g ⊙ A, so the principal component is class-specific.
#include "cam/methods.h"
#include "cam/registry.h"
#include "cam/weighted_sum.h"
#include "core/ops.h"

namespace igcam::cam {

Tensor eigengradcam(const Tensor& activations, const Tensor& gradients) {
    check_layer_tensors("eigengradcam", activations, gradients);
    return eigencam(ops::mul(gradients, activations));
}

MethodOutput compute_eigengradcam(const MethodContext& c) {
    return MethodOutput::of(eigengradcam(c.activations, c.gradients));
}

}  // namespace igcam::cam
