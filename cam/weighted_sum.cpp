#include "cam/weighted_sum.h"

#include "core/error.h"
#include "core/ops.h"

namespace igcam::cam {

Tensor weighted_sum(const Tensor& weights, const Tensor& activations) {
    return ops::sum(ops::mul(weights, activations), {1}, true);
}

Tensor relu_weighted_sum(const Tensor& weights, const Tensor& activations) {
    return ops::relu_forward(weighted_sum(weights, activations));
}

void check_layer_tensors(const char* method, const Tensor& activations, const Tensor& gradients) {
    IGCAM_CHECK(activations.defined() && activations.rank() == 4, ShapeError, method,
                ": activations must be (N, K, h, w), got ", activations.shape().to_string());
    IGCAM_CHECK(gradients.defined() && gradients.shape() == activations.shape(), ShapeError, method,
                ": gradients ", gradients.shape().to_string(), " do not match activations ",
                activations.shape().to_string());
}

}  // namespace igcam::cam
