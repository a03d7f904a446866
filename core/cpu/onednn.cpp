#include "core/cpu/onednn.h"

#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
#include <omp.h>
#endif

#include "core/cpu/parallel.h"
#include "core/error.h"

namespace igcam::cpu::onednn {

std::string version() {
    const dnnl_version_t* v = dnnl::version();
    return detail::concat("oneDNN ", v->major, ".", v->minor, ".", v->patch);
}

dnnl::engine& engine() {
    static dnnl::engine instance(dnnl::engine::kind::cpu, 0);
    return instance;
}

dnnl::stream& stream() {
    thread_local dnnl::stream instance(engine());
    return instance;
}

// NOTE: with the OpenMP runtime oneDNN sizes its parallel regions (and its kernels'
// blocking, at primitive creation) by omp_get_max_threads() of the calling thread, which
// is the core count or OMP_NUM_THREADS. Set it to igcam's count (IGCAM_NUM_THREADS), once
// per calling thread.
void use_igcam_threads() {
#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
    thread_local const bool done = [] {
        omp_set_num_threads(num_threads());
        return true;
    }();
    (void)done;
#endif
}

void sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
    use_igcam_threads();
    const dnnl_status_t status = dnnl_sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', m, n, k, alpha, a,
                                            lda, b, ldb, beta, c, ldc);
    IGCAM_CHECK(status == dnnl_success, Error, "oneDNN sgemm (", m, " x ", n, " x ", k, ") failed with status ",
                static_cast<int>(status), "; IGCAM_CPU_CONV=blas runs OpenBLAS instead");
}

}  // namespace igcam::cpu::onednn
