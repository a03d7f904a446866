// Small dense linear algebra for Eigen-CAM, in double on the host.
#pragma once

#include <cstdint>
#include <vector>

namespace igcam::cam {

// The largest eigenvalue of the symmetric n x n matrix `m` (row-major) and a unit
// eigenvector for it, by cyclic Jacobi rotations (robust when eigenvalues are close).
struct Eigenpair {
    double value = 0;
    std::vector<double> vector;
};
Eigenpair top_eigenpair(std::vector<double> m, int64_t n);

}  // namespace igcam::cam
