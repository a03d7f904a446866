// Which library runs the CPU's float32 convolutions and matrix products: oneDNN when the
// build has it (IGCAM_WITH_ONEDNN), unless IGCAM_CPU_CONV=blas asks for im2col + OpenBLAS,
// the path of builds without oneDNN (for comparisons). Float64 (audits, gradchecks) always
// runs on im2col + OpenBLAS. The environment is read once.
#pragma once

#include <cstddef>
#include <string>

#include "core/layout.h"
#include "core/weight_cache.h"

namespace igcam::cpu {

// True when float32 goes to oneDNN. Throws ValueError when IGCAM_CPU_CONV is neither blas
// nor onednn, or asks for onednn in a build without it.
bool f32_uses_onednn();

// For reports: "oneDNN 2.6.3, Winograd for 3x3 stride 1", or "im2col + OpenBLAS
// (IGCAM_CPU_CONV=blas)" and the like.
std::string f32_path_name();

// Whether float32 3x3 stride-1 convolutions on oneDNN may run as Winograd F(4x4, 3x3)
// (where oneDNN has a kernel for the shape; others stay direct). The first value comes from
// IGCAM_CONV: "direct" (the default: never) or "winograd"; ValueError for anything else.
// float64 never uses Winograd: it runs on im2col + OpenBLAS.
bool winograd_enabled();
void set_winograd(bool enabled);

// Whether float32 convolutions' forward on oneDNN reads bfloat16 copies of its input and
// weights (float32 accumulation and output; always direct convolution, even with
// winograd_enabled(): oneDNN has no bfloat16 Winograd): off by default. set_bf16(true) throws
// ValueError where the CPU lacks AVX512-BF16 (or ONEDNN_MAX_CPU_ISA caps it below
// AVX512_CORE_BF16) or the build has no oneDNN, naming what was found.
bool bf16_enabled();
void set_bf16(bool enabled);

// A float32 (N, C, H, W) activation as a oneDNN op reads it: the values and their layout
// (core/layout.h), so values a previous oneDNN op left channel-blocked are read as they are.
struct F32Activation {
    const float* data = nullptr;  // null: no such operand
    Layout layout;
};

// A layer's float32 weights (out_channels, in_channels, kh, kw), plain, with the cache their
// reordered copy is kept in between calls (core/weight_cache.h; null: made for one call).
struct F32Weights {
    const float* values = nullptr;
    WeightCache* cache = nullptr;
    WeightCache::Source source;  // what the weights are now (with a cache)
};

// The layout oneDNN's kernels want for a float32 activation with `channels` channels:
// channel-blocked by the CPU's block (16 with AVX-512, 8 with AVX2) when channels is a
// multiple of it, else plain; always plain without oneDNN.
Layout f32_activation_layout(int64_t channels);

}  // namespace igcam::cpu
