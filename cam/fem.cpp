// FEM, the Feature Explanation Method (Fuad et al., IPTA 2020; pytorch-grad-cam's FEM):
// each channel is weighted by the share of its positions that are outliers by the k-sigma
// rule. No gradients: the map does not depend on the class.
#include <cmath>

#include "cam/methods.h"
#include "cam/registry.h"
#include "cam/weighted_sum.h"
#include "core/error.h"

namespace igcam::cam {

Tensor fem(const Tensor& activations, double k) {
    IGCAM_CHECK(activations.defined() && activations.rank() == 4, ShapeError,
                "fem: activations must be (N, K, h, w), got ", activations.shape().to_string());
    const int64_t images = activations.dim(0), channels = activations.dim(1);
    const int64_t positions = activations.dim(2) * activations.dim(3);
    // The weights on the host, in double (one pass over A); the weighted sum where A lives.
    const std::vector<double> a = activations.to_vector();
    std::vector<double> weights(static_cast<std::size_t>(images * channels));
    for (int64_t c = 0; c < images * channels; ++c) {
        const double* x = a.data() + c * positions;
        double mean = 0;
        for (int64_t p = 0; p < positions; ++p) mean += x[p];
        mean /= static_cast<double>(positions);
        double variance = 0;  // the population variance, as numpy's std (ddof 0)
        for (int64_t p = 0; p < positions; ++p) variance += (x[p] - mean) * (x[p] - mean);
        const double threshold = mean + k * std::sqrt(variance / static_cast<double>(positions));
        int64_t above = 0;
        for (int64_t p = 0; p < positions; ++p) above += x[p] > threshold;
        weights[static_cast<std::size_t>(c)] = static_cast<double>(above) / static_cast<double>(positions);
    }
    const Tensor w = Tensor::from_values(Shape{images, channels, 1, 1}, weights, activations.dtype(), activations.device());
    return relu_weighted_sum(w, activations);
}

MethodOutput compute_fem(const MethodContext& c) { return MethodOutput::of(fem(c.activations)); }

}  // namespace igcam::cam
