// LayerCAM (Jiang et al., 2021).
#include "cam/methods.h"
#include "cam/registry.h"
#include "cam/weighted_sum.h"
#include "core/ops.h"

namespace igcam::cam {

Tensor layercam(const Tensor& activations, const Tensor& gradients) {
    check_layer_tensors("layercam", activations, gradients);
    return relu_weighted_sum(ops::relu_forward(gradients), activations);
}

MethodOutput compute_layercam(const MethodContext& c) { return MethodOutput::of(layercam(c.activations, c.gradients)); }

}  // namespace igcam::cam
