// Eigen-CAM (Muhammad & Yeasin, 2020): the activations' first principal component.
#include <cmath>

#include "cam/linalg.h"
#include "cam/methods.h"
#include "core/error.h"
#include "core/ops.h"

namespace igcam::cam {

namespace {

// One image: a (K, P) row-major, channel-major as the tensor stores it. Returns the
// projection (P) of the centred (P, K) matrix X on its first right singular vector.
std::vector<double> principal_projection(const double* a, int64_t channels, int64_t positions) {
    // X[p][k] = a[k][p] - mean_p a[k][p]
    std::vector<double> x(static_cast<std::size_t>(channels * positions));
    for (int64_t k = 0; k < channels; ++k) {
        double mean = 0;
        for (int64_t p = 0; p < positions; ++p) mean += a[k * positions + p];
        mean /= static_cast<double>(positions);
        for (int64_t p = 0; p < positions; ++p) x[p * channels + k] = a[k * positions + p] - mean;
    }
    std::vector<double> projection(static_cast<std::size_t>(positions), 0.0);
    if (positions <= channels) {
        // X X^T (P x P): its top eigenvector u gives X v = sigma u, sigma = sqrt(lambda).
        std::vector<double> gram(static_cast<std::size_t>(positions * positions), 0.0);
        for (int64_t p = 0; p < positions; ++p)
            for (int64_t q = p; q < positions; ++q) {
                double s = 0;
                for (int64_t k = 0; k < channels; ++k) s += x[p * channels + k] * x[q * channels + k];
                gram[p * positions + q] = gram[q * positions + p] = s;
            }
        const Eigenpair top = top_eigenpair(std::move(gram), positions);
        const double sigma = std::sqrt(std::max(top.value, 0.0));
        for (int64_t p = 0; p < positions; ++p) projection[p] = sigma * top.vector[p];
    } else {
        // X^T X (K x K): its top eigenvector is v itself; project directly.
        std::vector<double> gram(static_cast<std::size_t>(channels * channels), 0.0);
        for (int64_t i = 0; i < channels; ++i)
            for (int64_t j = i; j < channels; ++j) {
                double s = 0;
                for (int64_t p = 0; p < positions; ++p) s += x[p * channels + i] * x[p * channels + j];
                gram[i * channels + j] = gram[j * channels + i] = s;
            }
        const Eigenpair top = top_eigenpair(std::move(gram), channels);
        for (int64_t p = 0; p < positions; ++p)
            for (int64_t k = 0; k < channels; ++k) projection[p] += x[p * channels + k] * top.vector[k];
    }
    // Fix the sign: positively correlated with the channel-summed (uncentred) activations.
    double correlation = 0;
    for (int64_t p = 0; p < positions; ++p) {
        double energy = 0;
        for (int64_t k = 0; k < channels; ++k) energy += a[k * positions + p];
        correlation += energy * projection[p];
    }
    if (correlation < 0)
        for (double& v : projection) v = -v;
    return projection;
}

}  // namespace

Tensor eigencam(const Tensor& activations) {
    IGCAM_CHECK(activations.defined() && activations.rank() == 4, ShapeError,
                "eigencam: activations must be (N, K, h, w), got ", activations.shape().to_string());
    const int64_t images = activations.dim(0), channels = activations.dim(1);
    const int64_t positions = activations.dim(2) * activations.dim(3);
    const std::vector<double> a = activations.to_vector();
    std::vector<double> map;
    for (int64_t n = 0; n < images; ++n) {
        const std::vector<double> projection = principal_projection(a.data() + n * channels * positions, channels, positions);
        map.insert(map.end(), projection.begin(), projection.end());
    }
    const Tensor raw = Tensor::from_values(Shape{images, 1, activations.dim(2), activations.dim(3)}, map,
                                           activations.dtype());
    return ops::relu_forward(raw);
}

}  // namespace igcam::cam
