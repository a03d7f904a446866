// Eigen-CAM (Muhammad & Yeasin, 2020): the activations' first principal component.
#include <cmath>

#include "cam/linalg.h"
#include "cam/methods.h"
#include "cam/registry.h"
#include "core/error.h"
#include "core/ops.h"

namespace igcam::cam {

namespace {

// The Gram matrix of a row-major (rows, cols) matrix m: m m^T (by_rows) or m^T m.
std::vector<double> gram_matrix(const std::vector<double>& m, int64_t rows, int64_t cols, bool by_rows) {
    const int64_t n = by_rows ? rows : cols, inner = by_rows ? cols : rows;
    auto at = [&](int64_t i, int64_t k) { return by_rows ? m[i * cols + k] : m[k * cols + i]; };
    std::vector<double> g(static_cast<std::size_t>(n * n), 0.0);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = i; j < n; ++j) {
            double s = 0;
            for (int64_t k = 0; k < inner; ++k) s += at(i, k) * at(j, k);
            g[i * n + j] = g[j * n + i] = s;
        }
    return g;
}

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
        const Eigenpair top = top_eigenpair(gram_matrix(x, positions, channels, true), positions);
        const double sigma = std::sqrt(std::max(top.value, 0.0));
        for (int64_t p = 0; p < positions; ++p) projection[p] = sigma * top.vector[p];
    } else {
        // X^T X (K x K): its top eigenvector is v itself; project directly.
        const Eigenpair top = top_eigenpair(gram_matrix(x, positions, channels, false), channels);
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
                                           activations.dtype(), activations.device());
    return ops::relu_forward(raw);
}

MethodOutput compute_eigencam(const MethodContext& c) { return MethodOutput::of(eigencam(c.activations)); }

}  // namespace igcam::cam
