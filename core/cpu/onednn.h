// What every oneDNN call shares (built only with IGCAM_WITH_ONEDNN): the CPU engine, a
// stream per thread, igcam's thread count, the activation layouts; and oneDNN's float32 GEMM.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/cpu/f32_path.h"
#include "core/layout.h"
#include "core/storage.h"

namespace igcam::cpu::onednn {

// "oneDNN 2.6.3": the library loaded at run time.
std::string version();
// The instruction set oneDNN's kernels run with ("avx512_core_bf16", ...), and whether it
// has AVX512-BF16 (ONEDNN_MAX_CPU_ISA lowers both).
std::string cpu_isa();
bool has_bf16();

dnnl::engine& engine();
// The calling thread's stream (CPU streams run in order and are not meant to be shared).
dnnl::stream& stream();
// Makes oneDNN's parallel regions on the calling thread use igcam's thread count; call
// before creating or running a primitive there.
void use_igcam_threads();

// ---- activations handed from one oneDNN op to the next in oneDNN's layout ----

// oneDNN's channel block on this CPU: 16 floats with AVX-512, 8 with AVX2, 0 below.
int64_t channel_block();

// The layout asked for a float32 activation d = (N, C, H, W): blocked by channels (nChw16c
// with AVX-512) when C is a multiple of the block, as PyTorch asks for too; plain NCHW
// otherwise (e.g. the 3 input channels of a stem).
dnnl::memory::desc activation_desc(const dnnl::memory::dims& d);

// The right (or bottom) padding a convolution or pooling of this size really uses: never
// more than the caller's, since floor division drops the rest; 0 when it drops input.
int64_t used_padding_right(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t left);

// activation_desc's layout as igcam names it (core/layout.h) for `channels` channels.
Layout activation_layout(int64_t channels);
// The memory descriptor of float32 values d = (N, C, H, W) laid out as `layout`.
dnnl::memory::desc desc_of(const dnnl::memory::dims& d, const Layout& layout);

// A buffer of igcam's CPU allocator holding values laid out as `desc` (the operands a
// primitive wants, its scratchpad). oneDNN's own allocations would go back to the kernel
// on every call and be faulted in anew on the next; our allocator keeps large blocks.
struct Buffer {
    dnnl::memory::desc desc;
    std::shared_ptr<Storage> storage;

    static std::shared_ptr<Buffer> make(const dnnl::memory::desc& desc);
    dnnl::memory memory() const;
};

// Row-major C (m, n) = alpha * op(A) (m, k) * op(B) (k, n) + beta * C, as cpu::gemm.
void sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace igcam::cpu::onednn
