// The index arithmetic of pooling windows and bilinear taps, written once for both backends:
// core/cpu compiles it as plain C++, cuda/*.cu as host-and-device code. Keeping one copy is
// what makes the backends pick the same windows, the same first maximum and the same taps.
#pragma once

#include <cstdint>

#include "core/op_params.h"

#if defined(__CUDACC__)
#define IGCAM_HOST_DEVICE __host__ __device__
#else
#define IGCAM_HOST_DEVICE
#endif

namespace igcam::window_math {

// One pooling window, clipped to the input. `divisor` is the avg-pool divisor (PyTorch's
// rule: with count_include_pad, padded positions inside in + pad_bottom/right count).
struct Window {
    int64_t h0, h1, w0, w1;
    int64_t divisor;
};

IGCAM_HOST_DEVICE inline int64_t smaller(int64_t a, int64_t b) { return a < b ? a : b; }
IGCAM_HOST_DEVICE inline int64_t larger(int64_t a, int64_t b) { return a < b ? b : a; }

// The window of output (oh, ow): it starts at out * stride - pad (top/left).
IGCAM_HOST_DEVICE inline Window window_at(const Pool2dGeometry& g, int64_t oh, int64_t ow) {
    int64_t h0 = oh * g.stride_h - g.pad_top, w0 = ow * g.stride_w - g.pad_left;
    int64_t h1 = smaller(h0 + g.kernel_h, g.in_h + g.pad_bottom);
    int64_t w1 = smaller(w0 + g.kernel_w, g.in_w + g.pad_right);
    const int64_t padded_area = (h1 - h0) * (w1 - w0);
    h0 = larger(h0, 0);
    w0 = larger(w0, 0);
    h1 = smaller(h1, g.in_h);
    w1 = smaller(w1, g.in_w);
    const int64_t area = larger(h1 - h0, 0) * larger(w1 - w0, 0);
    return {h0, h1, w0, w1, g.count_include_pad ? padded_area : area};
}

// Flat index (within the plane (in_h, in_w)) of the first maximum of the window in
// row-major order (strict '>' while scanning), or -1 for an empty window.
template <typename T>
IGCAM_HOST_DEVICE int64_t first_max_index(const T* plane, const Window& win, int64_t in_w) {
    int64_t best = -1;
    T best_value = T(0);
    for (int64_t h = win.h0; h < win.h1; ++h)
        for (int64_t w = win.w0; w < win.w1; ++w) {
            const T v = plane[h * in_w + w];
            if (best < 0 || v > best_value) {
                best = h * in_w + w;
                best_value = v;
            }
        }
    return best;
}

// Adaptive average pooling: output cell i covers input [start, end) of `in` along one axis.
IGCAM_HOST_DEVICE inline int64_t adaptive_start(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
IGCAM_HOST_DEVICE inline int64_t adaptive_end(int64_t i, int64_t in, int64_t out) {
    return ((i + 1) * in + out - 1) / out;
}

// The source taps of output coordinate o of a bilinear resize from `in` to `out` samples:
// value = (1 - frac) * src[i0] + frac * src[i1]. PyTorch's area_pixel_compute_source_index
// for align_corners=false: the source coordinate (o + 0.5) * in / out - 0.5, clamped at 0;
// the upper tap is clamped to the last sample.
struct Tap {
    int64_t i0, i1;
    double frac;
};

IGCAM_HOST_DEVICE inline Tap bilinear_tap(int64_t o, int64_t in, int64_t out) {
    const double scale = static_cast<double>(in) / static_cast<double>(out);
    double src = (static_cast<double>(o) + 0.5) * scale - 0.5;
    if (src < 0) src = 0;
    const int64_t i0 = smaller(static_cast<int64_t>(src), in - 1);
    const int64_t i1 = smaller(i0 + 1, in - 1);
    return {i0, i1, src - static_cast<double>(i0)};
}

}  // namespace igcam::window_math
