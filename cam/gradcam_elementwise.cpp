// Grad-CAM element-wise (pytorch-grad-cam's GradCAMElementWise): the ReLU is taken of each
// gradient-activation product before the channels are summed, so no channel's negative
// evidence cancels another's positive one.
#include "cam/methods.h"
#include "cam/registry.h"
#include "cam/weighted_sum.h"
#include "core/ops.h"

namespace igcam::cam {

Tensor gradcam_elementwise(const Tensor& activations, const Tensor& gradients) {
    check_layer_tensors("gradcam-elementwise", activations, gradients);
    // A sum of non-negative terms: pytorch-grad-cam's final ReLU changes nothing.
    return ops::sum(ops::relu_forward(ops::mul(gradients, activations)), {1}, true);
}

MethodOutput compute_gradcam_elementwise(const MethodContext& c) {
    return MethodOutput::of(gradcam_elementwise(c.activations, c.gradients));
}

}  // namespace igcam::cam
