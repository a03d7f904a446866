#include "core/cpu/blas.h"

#include <cblas.h>

#include <string>

#include "core/cpu/f32_path.h"
#ifdef IGCAM_WITH_ONEDNN
#include "core/cpu/onednn.h"
#endif

namespace igcam::cpu {

template <>
void gemm<float>(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc) {
#ifdef IGCAM_WITH_ONEDNN
    if (f32_uses_onednn()) return onednn::sgemm(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
    cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
                transpose_b ? CblasTrans : CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta,
                c, static_cast<int>(ldc));
}

template <>
void gemm<double>(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                  double alpha, const double* a, int64_t lda, const double* b, int64_t ldb,
                  double beta, double* c, int64_t ldc) {
    // NOTE: a product with one column (or row) is a matrix-vector product. As a GEMM,
    // OpenBLAS would first pack the whole matrix (dgemm_oncopy): a single image's late
    // convolutions (one output position) spent 4 times longer packing their weights than
    // multiplying them.
    if (n == 1) {
        cblas_dgemv(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, static_cast<int>(transpose_a ? k : m),
                    static_cast<int>(transpose_a ? m : k), alpha, a, static_cast<int>(lda), b,
                    static_cast<int>(transpose_b ? 1 : ldb), beta, c, static_cast<int>(ldc));
        return;
    }
    if (m == 1) {
        cblas_dgemv(CblasRowMajor, transpose_b ? CblasNoTrans : CblasTrans, static_cast<int>(transpose_b ? n : k),
                    static_cast<int>(transpose_b ? k : n), alpha, b, static_cast<int>(ldb), a,
                    static_cast<int>(transpose_a ? lda : 1), beta, c, 1);
        return;
    }
    cblas_dgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
                transpose_b ? CblasTrans : CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta,
                c, static_cast<int>(ldc));
}

const char* blas_name() { return "OpenBLAS"; }

std::string blas_config() { return openblas_get_config(); }

void set_blas_threads(int threads) { openblas_set_num_threads(threads); }

}  // namespace igcam::cpu
