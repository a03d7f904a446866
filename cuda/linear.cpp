// Fully connected layers through cuBLAS. cuBLAS is column-major: a row-major (r, c) matrix
// is its transpose, so each product below is written for the transposed result. Strict
// float32 unless TF32 is on (cuda/runtime.h).
#include <climits>

#include "cuda/runtime.h"
#include "core/error.h"
#include "cuda/check.h"
#include "cuda/context.h"
#include "cuda/kernels.h"

namespace igcam::cuda {

namespace {

int as_int(int64_t value) {
    IGCAM_CHECK(value <= INT_MAX, ShapeError, "linear: size ", value, " is too large for cuBLAS");
    return static_cast<int>(value);
}

// C (m x n, column-major, ldc = m) = op(A) op(B) with op(A) m x k and op(B) k x n.
template <typename T>
void gemm(int device, cublasOperation_t op_a, cublasOperation_t op_b, int64_t m, int64_t n, int64_t k,
          const T* a, int64_t lda, const T* b, int64_t ldb, T* c) {
    Context& ctx = context(device);
    IGCAM_CUBLAS_CHECK(cublasSetMathMode(ctx.cublas(), sizeof(T) == 4 && tf32_enabled() ? CUBLAS_TF32_TENSOR_OP_MATH
                                                                                           : CUBLAS_DEFAULT_MATH));
    const T one = 1, zero = 0;
    if constexpr (sizeof(T) == 4) {
        IGCAM_CUBLAS_CHECK(cublasSgemm(ctx.cublas(), op_a, op_b, as_int(m), as_int(n), as_int(k), &one, a,
                                       as_int(lda), b, as_int(ldb), &zero, c, as_int(m)));
    } else {
        IGCAM_CUBLAS_CHECK(cublasDgemm(ctx.cublas(), op_a, op_b, as_int(m), as_int(n), as_int(k), &one, a,
                                       as_int(lda), b, as_int(ldb), &zero, c, as_int(m)));
    }
}

}  // namespace

// y (batch, out) = x (batch, in) weight^T: y^T (out x batch) = weight (out x in) x^T.
template <typename T>
void linear_forward(int device, T* y, const T* x, const T* weight, const T* bias, int64_t batch,
                    int64_t in_features, int64_t out_features) {
    gemm<T>(device, CUBLAS_OP_T, CUBLAS_OP_N, out_features, batch, in_features, weight, in_features, x,
            in_features, y);
    if (bias != nullptr) add_row_bias<T>(device, y, bias, batch, out_features);
}

// grad_x (batch, in) = grad_y (batch, out) weight: grad_x^T (in x batch) = weight^T grad_y^T.
template <typename T>
void linear_backward_input(int device, T* grad_x, const T* grad_y, const T* weight, int64_t batch,
                           int64_t in_features, int64_t out_features) {
    gemm<T>(device, CUBLAS_OP_N, CUBLAS_OP_N, in_features, batch, out_features, weight, in_features, grad_y,
            out_features, grad_x);
}

// grad_weight (out, in) = grad_y^T x: grad_weight^T (in x out) = x^T grad_y.
template <typename T>
void linear_backward_weight(int device, T* grad_weight, const T* grad_y, const T* x, int64_t batch,
                            int64_t in_features, int64_t out_features) {
    gemm<T>(device, CUBLAS_OP_N, CUBLAS_OP_T, in_features, out_features, batch, x, in_features, grad_y,
            out_features, grad_weight);
}

template <typename T>
void linear_backward_bias(int device, T* grad_bias, const T* grad_y, int64_t batch, int64_t out_features) {
    strided_sum<T>(device, grad_bias, out_features, grad_y, {batch, out_features}, {0, 1});
}

#define IGCAM_INSTANTIATE(T)                                                                                  \
    template void linear_forward<T>(int, T*, const T*, const T*, const T*, int64_t, int64_t, int64_t);        \
    template void linear_backward_input<T>(int, T*, const T*, const T*, int64_t, int64_t, int64_t);           \
    template void linear_backward_weight<T>(int, T*, const T*, const T*, int64_t, int64_t, int64_t);          \
    template void linear_backward_bias<T>(int, T*, const T*, int64_t, int64_t);
IGCAM_INSTANTIATE(float)
IGCAM_INSTANTIATE(double)

}  // namespace igcam::cuda
