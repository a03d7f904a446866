// HiResCAM (Draelos & Carin, 2020).
#include "cam/methods.h"
#include "cam/registry.h"
#include "cam/weighted_sum.h"

namespace igcam::cam {

Tensor hirescam(const Tensor& activations, const Tensor& gradients) {
    check_layer_tensors("hirescam", activations, gradients);
    return relu_weighted_sum(gradients, activations);
}

MethodOutput compute_hirescam(const MethodContext& c) { return MethodOutput::of(hirescam(c.activations, c.gradients)); }

}  // namespace igcam::cam
