// What every oneDNN call shares (built only with IGCAM_WITH_ONEDNN): the CPU engine, a
// stream per thread, igcam's thread count; and oneDNN's float32 GEMM.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/cpu/f32_path.h"
#include "core/storage.h"

namespace igcam::cpu::onednn {

// "oneDNN 2.6.3": the library loaded at run time.
std::string version();

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

// An activation in an op's layout `desc`, held as the pending alternate of the output's
// storage (Storage::Alternate) until something other than a oneDNN op reads it.
struct Blocked {
    dnnl::memory::desc desc;
    std::shared_ptr<Storage> buffer;

    static std::shared_ptr<Blocked> make(const dnnl::memory::desc& desc);  // a fresh buffer
    dnnl::memory memory() const;
};

// The blocked values x's storage holds when they are exactly x laid out as `wanted`; null
// otherwise (none, another layout, or x is a view of part of the storage).
std::shared_ptr<Blocked> blocked_of(const F32Operand& x, const dnnl::memory::desc& wanted);

// A storage whose values are `blocked`; its plain values (`plain`: the same dims, row-major)
// are made by a reorder on first read.
std::shared_ptr<Storage> pending_storage(std::shared_ptr<Blocked> blocked, const dnnl::memory::desc& plain);

// Row-major C (m, n) = alpha * op(A) (m, k) * op(B) (k, n) + beta * C, as cpu::gemm.
void sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace igcam::cpu::onednn
