// Pooling on the GPU. Forward: one thread per output element. Backward: one thread per
// input element, gathering the outputs whose windows hold it (the window arithmetic is the
// CPU's: core/window_math.h), so no atomics and a fixed summation order.
#include "cuda/kernels.h"
#include "core/window_math.h"
#include "cuda/launch.cuh"

namespace igcam::cuda {

namespace {

using window_math::adaptive_end;
using window_math::adaptive_start;
using window_math::first_max_index;
using window_math::Window;
using window_math::window_at;

// Output indices [first, last] along one axis whose (unclipped) windows can cover `i`.
__device__ void covering(int64_t i, int64_t pad, int64_t kernel, int64_t stride, int64_t out,
                         int64_t& first, int64_t& last) {
    const int64_t shifted = i + pad;
    last = min(shifted / stride, out - 1);
    first = shifted - kernel < 0 ? 0 : (shifted - kernel) / stride + 1;
}

template <typename T>
__global__ void max_forward_kernel(T* y, const T* x, Pool2dGeometry g, int64_t n) {
    IGCAM_GRID_LOOP(i, n) {
        const int64_t ow = i % g.out_w, oh = (i / g.out_w) % g.out_h, plane = i / (g.out_w * g.out_h);
        const T* in = x + plane * g.in_h * g.in_w;
        const int64_t best = first_max_index(in, window_at(g, oh, ow), g.in_w);
        y[i] = best < 0 ? T(0) : in[best];
    }
}

template <typename T>
__global__ void max_backward_kernel(T* grad_x, const T* grad_y, const T* x, Pool2dGeometry g, int64_t n) {
    IGCAM_GRID_LOOP(i, n) {
        const int64_t w = i % g.in_w, h = (i / g.in_w) % g.in_h, plane = i / (g.in_w * g.in_h);
        const T* in = x + plane * g.in_h * g.in_w;
        const T* dy = grad_y + plane * g.out_h * g.out_w;
        int64_t oh0, oh1, ow0, ow1;
        covering(h, g.pad_top, g.kernel_h, g.stride_h, g.out_h, oh0, oh1);
        covering(w, g.pad_left, g.kernel_w, g.stride_w, g.out_w, ow0, ow1);
        T total = T(0);
        for (int64_t oh = oh0; oh <= oh1; ++oh)
            for (int64_t ow = ow0; ow <= ow1; ++ow)
                if (first_max_index(in, window_at(g, oh, ow), g.in_w) == h * g.in_w + w) total += dy[oh * g.out_w + ow];
        grad_x[i] = total;
    }
}

template <typename T>
__global__ void avg_forward_kernel(T* y, const T* x, Pool2dGeometry g, int64_t n) {
    IGCAM_GRID_LOOP(i, n) {
        const int64_t ow = i % g.out_w, oh = (i / g.out_w) % g.out_h, plane = i / (g.out_w * g.out_h);
        const T* in = x + plane * g.in_h * g.in_w;
        const Window win = window_at(g, oh, ow);
        T sum = T(0);
        for (int64_t h = win.h0; h < win.h1; ++h)
            for (int64_t w = win.w0; w < win.w1; ++w) sum += in[h * g.in_w + w];
        y[i] = win.divisor > 0 ? sum / static_cast<T>(win.divisor) : T(0);
    }
}

template <typename T>
__global__ void avg_backward_kernel(T* grad_x, const T* grad_y, Pool2dGeometry g, int64_t n) {
    IGCAM_GRID_LOOP(i, n) {
        const int64_t w = i % g.in_w, h = (i / g.in_w) % g.in_h, plane = i / (g.in_w * g.in_h);
        const T* dy = grad_y + plane * g.out_h * g.out_w;
        int64_t oh0, oh1, ow0, ow1;
        covering(h, g.pad_top, g.kernel_h, g.stride_h, g.out_h, oh0, oh1);
        covering(w, g.pad_left, g.kernel_w, g.stride_w, g.out_w, ow0, ow1);
        T total = T(0);
        for (int64_t oh = oh0; oh <= oh1; ++oh)
            for (int64_t ow = ow0; ow <= ow1; ++ow) {
                const Window win = window_at(g, oh, ow);
                if (win.divisor > 0 && h >= win.h0 && h < win.h1 && w >= win.w0 && w < win.w1)
                    total += dy[oh * g.out_w + ow] / static_cast<T>(win.divisor);
            }
        grad_x[i] = total;
    }
}

template <typename T>
__global__ void adaptive_forward_kernel(T* y, const T* x, int64_t in_h, int64_t in_w, int64_t out_h,
                                        int64_t out_w, int64_t n) {
    IGCAM_GRID_LOOP(i, n) {
        const int64_t ow = i % out_w, oh = (i / out_w) % out_h, plane = i / (out_w * out_h);
        const T* in = x + plane * in_h * in_w;
        const int64_t h0 = adaptive_start(oh, in_h, out_h), h1 = adaptive_end(oh, in_h, out_h);
        const int64_t w0 = adaptive_start(ow, in_w, out_w), w1 = adaptive_end(ow, in_w, out_w);
        T sum = T(0);
        for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) sum += in[h * in_w + w];
        y[i] = sum / static_cast<T>((h1 - h0) * (w1 - w0));
    }
}

template <typename T>
__global__ void adaptive_backward_kernel(T* grad_x, const T* grad_y, int64_t in_h, int64_t in_w, int64_t out_h,
                                         int64_t out_w, int64_t n) {
    IGCAM_GRID_LOOP(i, n) {
        const int64_t w = i % in_w, h = (i / in_w) % in_h, plane = i / (in_w * in_h);
        const T* dy = grad_y + plane * out_h * out_w;
        T total = T(0);
        for (int64_t oh = 0; oh < out_h; ++oh) {
            const int64_t h0 = adaptive_start(oh, in_h, out_h), h1 = adaptive_end(oh, in_h, out_h);
            if (h < h0 || h >= h1) continue;
            for (int64_t ow = 0; ow < out_w; ++ow) {
                const int64_t w0 = adaptive_start(ow, in_w, out_w), w1 = adaptive_end(ow, in_w, out_w);
                if (w >= w0 && w < w1) total += dy[oh * out_w + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
            }
        }
        grad_x[i] = total;
    }
}

}  // namespace


template <typename T>
void max_pool2d_forward(int device, T* y, const T* x, const Pool2dGeometry& g) {
    const int64_t n = g.planes * g.out_h * g.out_w;
    IGCAM_LAUNCH_1D(max_forward_kernel<T>, n, y, x, g, n);
}

template <typename T>
void max_pool2d_backward(int device, T* grad_x, const T* grad_y, const T* x, const Pool2dGeometry& g) {
    const int64_t n = g.planes * g.in_h * g.in_w;
    IGCAM_LAUNCH_1D(max_backward_kernel<T>, n, grad_x, grad_y, x, g, n);
}

template <typename T>
void avg_pool2d_forward(int device, T* y, const T* x, const Pool2dGeometry& g) {
    const int64_t n = g.planes * g.out_h * g.out_w;
    IGCAM_LAUNCH_1D(avg_forward_kernel<T>, n, y, x, g, n);
}

template <typename T>
void avg_pool2d_backward(int device, T* grad_x, const T* grad_y, const Pool2dGeometry& g) {
    const int64_t n = g.planes * g.in_h * g.in_w;
    IGCAM_LAUNCH_1D(avg_backward_kernel<T>, n, grad_x, grad_y, g, n);
}

template <typename T>
void adaptive_avg_pool2d_forward(int device, T* y, const T* x, int64_t planes, int64_t in_h, int64_t in_w,
                                 int64_t out_h, int64_t out_w) {
    const int64_t n = planes * out_h * out_w;
    IGCAM_LAUNCH_1D(adaptive_forward_kernel<T>, n, y, x, in_h, in_w, out_h, out_w, n);
}

template <typename T>
void adaptive_avg_pool2d_backward(int device, T* grad_x, const T* grad_y, int64_t planes, int64_t in_h,
                                  int64_t in_w, int64_t out_h, int64_t out_w) {
    const int64_t n = planes * in_h * in_w;
    IGCAM_LAUNCH_1D(adaptive_backward_kernel<T>, n, grad_x, grad_y, in_h, in_w, out_h, out_w, n);
}

#define IGCAM_INSTANTIATE(T)                                                                       \
    template void max_pool2d_forward<T>(int, T*, const T*, const Pool2dGeometry&);                 \
    template void max_pool2d_backward<T>(int, T*, const T*, const T*, const Pool2dGeometry&);      \
    template void avg_pool2d_forward<T>(int, T*, const T*, const Pool2dGeometry&);                 \
    template void avg_pool2d_backward<T>(int, T*, const T*, const Pool2dGeometry&);                \
    template void adaptive_avg_pool2d_forward<T>(int, T*, const T*, int64_t, int64_t, int64_t,     \
                                                 int64_t, int64_t);                                \
    template void adaptive_avg_pool2d_backward<T>(int, T*, const T*, int64_t, int64_t, int64_t,    \
                                                  int64_t, int64_t);
IGCAM_INSTANTIATE(float)
IGCAM_INSTANTIATE(double)

}  // namespace igcam::cuda
