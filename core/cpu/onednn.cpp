#include "core/cpu/onednn.h"

#include <algorithm>

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

std::string cpu_isa() {
    switch (dnnl::get_effective_cpu_isa()) {
        case dnnl::cpu_isa::sse41: return "sse41";
        case dnnl::cpu_isa::avx: return "avx";
        case dnnl::cpu_isa::avx2: return "avx2";
        case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
        case dnnl::cpu_isa::avx512_core: return "avx512_core";
        case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
        case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
        case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
        default: return "an instruction set without AVX512-BF16";
    }
}

bool has_bf16() {
    // The ISA values are nested bit sets: AMX includes BF16, which includes AVX512-VNNI.
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
    return (isa & bf16) == bf16;
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

int64_t channel_block() {
    static const int64_t block = [] {
        const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
        const auto has = [isa](dnnl_cpu_isa_t level) { return (isa & level) == static_cast<unsigned>(level); };
        return has(dnnl_cpu_isa_avx512_core) ? int64_t{16} : has(dnnl_cpu_isa_avx2) ? int64_t{8} : int64_t{0};
    }();
    return block;
}

dnnl::memory::desc activation_desc(const dnnl::memory::dims& d) { return desc_of(d, activation_layout(d[1])); }

int64_t used_padding_right(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t left) {
    return std::max<int64_t>(0, (out - 1) * stride + kernel - in - left);
}

Layout activation_layout(int64_t channels) {
    const int64_t block = channel_block();
    return block == 0 || channels % block != 0 ? Layout::plain() : Layout::channel_blocked(block);
}

dnnl::memory::desc desc_of(const dnnl::memory::dims& d, const Layout& layout) {
    using Tag = dnnl::memory::format_tag;
    Tag tag = Tag::nchw;
    if (layout.channel_block() == 16) tag = Tag::nChw16c;
    else if (layout.channel_block() == 8) tag = Tag::nChw8c;
    else if (layout.channel_block() == 4) tag = Tag::nChw4c;
    else IGCAM_CHECK(layout.is_plain(), ValueError, "oneDNN has no ", layout.to_string(), " layout");
    return dnnl::memory::desc(d, dnnl::memory::data_type::f32, tag);
}

std::shared_ptr<Buffer> Buffer::make(const dnnl::memory::desc& desc) {
    return std::make_shared<Buffer>(Buffer{desc, Storage::allocate(desc.get_size(), Device::cpu())});
}

dnnl::memory Buffer::memory() const { return dnnl::memory(desc, engine(), storage->mutable_data()); }

void sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
    use_igcam_threads();
    const dnnl_status_t status = dnnl_sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', m, n, k, alpha, a,
                                            lda, b, ldb, beta, c, ldc);
    IGCAM_CHECK(status == dnnl_success, Error, "oneDNN sgemm (", m, " x ", n, " x ", k, ") failed with status ",
                static_cast<int>(status), "; IGCAM_CPU_CONV=blas runs OpenBLAS instead");
}

}  // namespace igcam::cpu::onednn
