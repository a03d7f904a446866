// Row-major GEMM through the CPU BLAS (OpenBLAS): C = alpha * op(A) * op(B) + beta * C,
// with op(A) (m, k), op(B) (k, n), C (m, n), each with its leading dimension in elements.
// Float32 goes to oneDNN's sgemm instead where core/cpu/f32_path.h says so: OpenBLAS 0.3.21
// runs its generic Prescott kernels on CPUs it does not know, 3 to 7 times slower.
#pragma once

#include <cstdint>
#include <string>

namespace igcam::cpu {

template <typename T>
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, T alpha,
          const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

// The BLAS's name and its build configuration ("OpenBLAS 0.3.21 DYNAMIC_ARCH ..."), for reports.
const char* blas_name();
std::string blas_config();
// The threads the BLAS's own parallel loops use.
void set_blas_threads(int threads);

}  // namespace igcam::cpu
