#include "cam/linalg.h"

#include <cmath>

namespace igcam::cam {

Eigenpair top_eigenpair(std::vector<double> a, int64_t n) {
    // v accumulates the rotations: its columns become the eigenvectors.
    std::vector<double> v(static_cast<std::size_t>(n * n), 0.0);
    for (int64_t i = 0; i < n; ++i) v[i * n + i] = 1.0;
    auto at = [&](int64_t r, int64_t c) -> double& { return a[static_cast<std::size_t>(r * n + c)]; };
    for (int sweep = 0; sweep < 100; ++sweep) {
        double off = 0, total = 0;
        for (int64_t r = 0; r < n; ++r)
            for (int64_t c = 0; c < n; ++c) {
                total += at(r, c) * at(r, c);
                if (r != c) off += at(r, c) * at(r, c);
            }
        if (off <= 1e-30 * total || off == 0) break;
        for (int64_t p = 0; p < n - 1; ++p) {
            for (int64_t q = p + 1; q < n; ++q) {
                const double apq = at(p, q);
                if (std::abs(apq) < 1e-300) continue;
                // The rotation that zeroes a(p, q) (Golub & Van Loan, algorithm 8.4.1).
                const double theta = (at(q, q) - at(p, p)) / (2.0 * apq);
                const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
                const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
                for (int64_t k = 0; k < n; ++k) {  // columns p and q
                    const double akp = at(k, p), akq = at(k, q);
                    at(k, p) = c * akp - s * akq;
                    at(k, q) = s * akp + c * akq;
                }
                for (int64_t k = 0; k < n; ++k) {  // rows p and q
                    const double apk = at(p, k), aqk = at(q, k);
                    at(p, k) = c * apk - s * aqk;
                    at(q, k) = s * apk + c * aqk;
                }
                for (int64_t k = 0; k < n; ++k) {
                    const double vkp = v[k * n + p], vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    int64_t best = 0;
    for (int64_t i = 1; i < n; ++i)
        if (at(i, i) > at(best, best)) best = i;
    Eigenpair result;
    result.value = at(best, best);
    for (int64_t k = 0; k < n; ++k) result.vector.push_back(v[k * n + best]);
    return result;
}

}  // namespace igcam::cam
