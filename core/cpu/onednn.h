// What every oneDNN call shares (built only with IGCAM_WITH_ONEDNN): the CPU engine, a
// stream per thread, igcam's thread count; and oneDNN's float32 GEMM.
#pragma once

#include <cstdint>
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

namespace igcam::cpu::onednn {

// "oneDNN 2.6.3": the library loaded at run time.
std::string version();

dnnl::engine& engine();
// The calling thread's stream (CPU streams run in order and are not meant to be shared).
dnnl::stream& stream();
// Makes oneDNN's parallel regions on the calling thread use igcam's thread count; call
// before creating or running a primitive there.
void use_igcam_threads();

// Row-major C (m, n) = alpha * op(A) (m, k) * op(B) (k, n) + beta * C, as cpu::gemm.
void sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace igcam::cpu::onednn
