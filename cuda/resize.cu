// Bilinear resize (half-pixel centres, the taps of core/window_math.h) and zero padding
// on the GPU. The resize backward gathers: each input pixel sums the outputs whose taps
// touch it, found from a bound on the inverse map and checked exactly, so no atomics.
#include "cuda/kernels.h"
#include "core/window_math.h"
#include "cuda/launch.cuh"

namespace igcam::cuda {

namespace {

using window_math::Tap;

__device__ Tap tap_at(int64_t o, int64_t in, int64_t out) { return window_math::bilinear_tap(o, in, out); }

// The weight input index i receives from the output whose tap is t.
__device__ double weight_of(const Tap& t, int64_t i) {
    return (t.i0 == i ? 1.0 - t.frac : 0.0) + (t.i1 == i ? t.frac : 0.0);
}

// Outputs [first, last] that can read input index i: the inverse of the source map, widened
// by one on each side (the exact test is weight_of).
__device__ void readers(int64_t i, int64_t in, int64_t out, int64_t& first, int64_t& last) {
    const double inverse = static_cast<double>(out) / static_cast<double>(in);
    first = max(static_cast<int64_t>(floor((static_cast<double>(i) - 0.5) * inverse - 0.5)) - 1, int64_t(0));
    last = min(static_cast<int64_t>(ceil((static_cast<double>(i) + 1.5) * inverse - 0.5)) + 1, out - 1);
}

template <typename T>
__global__ void resize_forward_kernel(T* y, const T* x, int64_t in_h, int64_t in_w, int64_t out_h,
                                      int64_t out_w, int64_t n) {
    IGCAM_GRID_LOOP(i, n) {
        const int64_t ow = i % out_w, oh = (i / out_w) % out_h, plane = i / (out_w * out_h);
        const T* src = x + plane * in_h * in_w;
        const Tap r = tap_at(oh, in_h, out_h), c = tap_at(ow, in_w, out_w);
        const T* row0 = src + r.i0 * in_w;
        const T* row1 = src + r.i1 * in_w;
        const double top = (1 - c.frac) * row0[c.i0] + c.frac * row0[c.i1];
        const double bottom = (1 - c.frac) * row1[c.i0] + c.frac * row1[c.i1];
        y[i] = static_cast<T>((1 - r.frac) * top + r.frac * bottom);
    }
}

template <typename T>
__global__ void resize_backward_kernel(T* grad_x, const T* grad_y, int64_t in_h, int64_t in_w, int64_t out_h,
                                       int64_t out_w, int64_t n) {
    IGCAM_GRID_LOOP(i, n) {
        const int64_t w = i % in_w, h = (i / in_w) % in_h, plane = i / (in_w * in_h);
        const T* dy = grad_y + plane * out_h * out_w;
        int64_t oh0, oh1, ow0, ow1;
        readers(h, in_h, out_h, oh0, oh1);
        readers(w, in_w, out_w, ow0, ow1);
        double total = 0.0;
        for (int64_t oh = oh0; oh <= oh1; ++oh) {
            const double wr = weight_of(tap_at(oh, in_h, out_h), h);
            if (wr == 0.0) continue;
            for (int64_t ow = ow0; ow <= ow1; ++ow) {
                const double wc = weight_of(tap_at(ow, in_w, out_w), w);
                if (wc != 0.0) total += static_cast<double>(dy[oh * out_w + ow]) * wr * wc;
            }
        }
        grad_x[i] = static_cast<T>(total);
    }
}

template <typename T>
__global__ void pad_forward_kernel(T* y, const T* x, int64_t in_h, int64_t in_w, Padding2d pad, int64_t n) {
    const int64_t out_h = in_h + pad.top + pad.bottom, out_w = in_w + pad.left + pad.right;
    IGCAM_GRID_LOOP(i, n) {
        const int64_t w = i % out_w - pad.left, h = (i / out_w) % out_h - pad.top, plane = i / (out_w * out_h);
        y[i] = (h >= 0 && h < in_h && w >= 0 && w < in_w) ? x[(plane * in_h + h) * in_w + w] : T(0);
    }
}

template <typename T>
__global__ void pad_backward_kernel(T* grad_x, const T* grad_y, int64_t in_h, int64_t in_w, Padding2d pad,
                                    int64_t n) {
    const int64_t out_h = in_h + pad.top + pad.bottom, out_w = in_w + pad.left + pad.right;
    IGCAM_GRID_LOOP(i, n) {
        const int64_t w = i % in_w, h = (i / in_w) % in_h, plane = i / (in_w * in_h);
        grad_x[i] = grad_y[(plane * out_h + h + pad.top) * out_w + w + pad.left];
    }
}

}  // namespace

template <typename T>
void resize_bilinear_forward(int device, T* y, const T* x, int64_t planes, int64_t in_h, int64_t in_w,
                             int64_t out_h, int64_t out_w) {
    const int64_t n = planes * out_h * out_w;
    IGCAM_LAUNCH_1D(resize_forward_kernel<T>, n, y, x, in_h, in_w, out_h, out_w, n);
}

template <typename T>
void resize_bilinear_backward(int device, T* grad_x, const T* grad_y, int64_t planes, int64_t in_h,
                              int64_t in_w, int64_t out_h, int64_t out_w) {
    const int64_t n = planes * in_h * in_w;
    IGCAM_LAUNCH_1D(resize_backward_kernel<T>, n, grad_x, grad_y, in_h, in_w, out_h, out_w, n);
}

template <typename T>
void pad2d_forward(int device, T* y, const T* x, int64_t planes, int64_t in_h, int64_t in_w,
                   const Padding2d& pad) {
    const int64_t n = planes * (in_h + pad.top + pad.bottom) * (in_w + pad.left + pad.right);
    IGCAM_LAUNCH_1D(pad_forward_kernel<T>, n, y, x, in_h, in_w, pad, n);
}

template <typename T>
void pad2d_backward(int device, T* grad_x, const T* grad_y, int64_t planes, int64_t in_h, int64_t in_w,
                    const Padding2d& pad) {
    const int64_t n = planes * in_h * in_w;
    IGCAM_LAUNCH_1D(pad_backward_kernel<T>, n, grad_x, grad_y, in_h, in_w, pad, n);
}

#define IGCAM_INSTANTIATE(T)                                                                            \
    template void resize_bilinear_forward<T>(int, T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t); \
    template void resize_bilinear_backward<T>(int, T*, const T*, int64_t, int64_t, int64_t, int64_t,   \
                                              int64_t);                                                 \
    template void pad2d_forward<T>(int, T*, const T*, int64_t, int64_t, int64_t, const Padding2d&);     \
    template void pad2d_backward<T>(int, T*, const T*, int64_t, int64_t, int64_t, const Padding2d&);
IGCAM_INSTANTIATE(float)
IGCAM_INSTANTIATE(double)

}  // namespace igcam::cuda
