#include "core/cpu/pool2d.h"

#include <algorithm>

#include "core/cpu/parallel.h"
#ifdef IGCAM_WITH_ONEDNN
#include "core/cpu/pool2d_onednn.h"
#endif
#include "core/window_math.h"

namespace igcam::cpu {

namespace {

using window_math::first_max_index;
using window_math::Window;
using window_math::window_at;

int64_t grain_for(int64_t plane_elements) {
    return std::max<int64_t>(1, 4096 / std::max<int64_t>(plane_elements, 1));
}

// One output row of max pooling, out (out_w) from the plane `in` (in_h, in_w). Windows
// that lie inside the input along W (all but a few at the edges) are computed a window tap
// at a time across the row, which the compiler vectorises; the order of the comparisons per
// window, and so the result, is the one of first_max_index.
template <typename T>
void max_pool2d_row(T* out, const T* in, int64_t oh, const Pool2dGeometry& g) {
    const Window rows = window_at(g, oh, 0);
    // Columns whose window starts at or after 0 and ends by in_w.
    const int64_t first = std::min(g.out_w, (g.pad_left + g.stride_w - 1) / g.stride_w);
    int64_t last = first;
    while (last < g.out_w && last * g.stride_w - g.pad_left + g.kernel_w <= g.in_w) ++last;
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
        if (ow == first && rows.h0 < rows.h1) ow = last;  // the inside is done below
        if (ow >= g.out_w) break;
        const int64_t best = first_max_index(in, window_at(g, oh, ow), g.in_w);
        out[ow] = best < 0 ? T(0) : in[best];
    }
    if (rows.h0 >= rows.h1) return;
    const int64_t s = g.stride_w, start = first * s - g.pad_left;
    for (int64_t ow = first; ow < last; ++ow) out[ow] = in[rows.h0 * g.in_w + (ow - first) * s + start];
    for (int64_t h = rows.h0; h < rows.h1; ++h)
        for (int64_t kw = h == rows.h0 ? 1 : 0; kw < g.kernel_w; ++kw) {
            const T* tap = in + h * g.in_w + start + kw;
            for (int64_t ow = first; ow < last; ++ow) {
                const T v = tap[(ow - first) * s];
                out[ow] = v > out[ow] ? v : out[ow];
            }
        }
}

}  // namespace

template <typename T>
void max_pool2d_forward(T* y, const T* x, const Pool2dGeometry& g) {
    parallel_for(g.planes, grain_for(g.in_h * g.in_w), [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
            const T* in = x + plane * g.in_h * g.in_w;
            T* out = y + plane * g.out_h * g.out_w;
            for (int64_t oh = 0; oh < g.out_h; ++oh) max_pool2d_row(out + oh * g.out_w, in, oh, g);
        }
    });
}

template <typename T>
void max_pool2d_backward(T* grad_x, const T* grad_y, const T* x, const Pool2dGeometry& g) {
    parallel_for(g.planes, grain_for(g.in_h * g.in_w), [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
            const T* in = x + plane * g.in_h * g.in_w;
            const T* dy = grad_y + plane * g.out_h * g.out_w;
            T* dx = grad_x + plane * g.in_h * g.in_w;
            std::fill(dx, dx + g.in_h * g.in_w, T(0));
            for (int64_t oh = 0; oh < g.out_h; ++oh)
                for (int64_t ow = 0; ow < g.out_w; ++ow) {
                    const int64_t best = first_max_index(in, window_at(g, oh, ow), g.in_w);
                    if (best >= 0) dx[best] += dy[oh * g.out_w + ow];
                }
        }
    });
}

template <typename T>
void avg_pool2d_forward(T* y, const T* x, const Pool2dGeometry& g) {
    parallel_for(g.planes, grain_for(g.in_h * g.in_w), [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
            const T* in = x + plane * g.in_h * g.in_w;
            T* out = y + plane * g.out_h * g.out_w;
            for (int64_t oh = 0; oh < g.out_h; ++oh)
                for (int64_t ow = 0; ow < g.out_w; ++ow) {
                    const Window win = window_at(g, oh, ow);
                    T sum = T(0);
                    for (int64_t h = win.h0; h < win.h1; ++h)
                        for (int64_t w = win.w0; w < win.w1; ++w) sum += in[h * g.in_w + w];
                    out[oh * g.out_w + ow] = win.divisor > 0 ? sum / static_cast<T>(win.divisor) : T(0);
                }
        }
    });
}

template <typename T>
void avg_pool2d_backward(T* grad_x, const T* grad_y, const Pool2dGeometry& g) {
    parallel_for(g.planes, grain_for(g.in_h * g.in_w), [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
            const T* dy = grad_y + plane * g.out_h * g.out_w;
            T* dx = grad_x + plane * g.in_h * g.in_w;
            std::fill(dx, dx + g.in_h * g.in_w, T(0));
            for (int64_t oh = 0; oh < g.out_h; ++oh)
                for (int64_t ow = 0; ow < g.out_w; ++ow) {
                    const Window win = window_at(g, oh, ow);
                    if (win.divisor <= 0) continue;
                    const T share = dy[oh * g.out_w + ow] / static_cast<T>(win.divisor);
                    for (int64_t h = win.h0; h < win.h1; ++h)
                        for (int64_t w = win.w0; w < win.w1; ++w) dx[h * g.in_w + w] += share;
                }
        }
    });
}

using window_math::adaptive_end;
using window_math::adaptive_start;

template <typename T>
void adaptive_avg_pool2d_forward(T* y, const T* x, int64_t planes, int64_t in_h, int64_t in_w,
                                 int64_t out_h, int64_t out_w) {
    parallel_for(planes, grain_for(in_h * in_w), [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
            const T* in = x + plane * in_h * in_w;
            T* out = y + plane * out_h * out_w;
            for (int64_t oh = 0; oh < out_h; ++oh) {
                const int64_t h0 = adaptive_start(oh, in_h, out_h), h1 = adaptive_end(oh, in_h, out_h);
                for (int64_t ow = 0; ow < out_w; ++ow) {
                    const int64_t w0 = adaptive_start(ow, in_w, out_w), w1 = adaptive_end(ow, in_w, out_w);
                    T sum = T(0);
                    for (int64_t h = h0; h < h1; ++h)
                        for (int64_t w = w0; w < w1; ++w) sum += in[h * in_w + w];
                    out[oh * out_w + ow] = sum / static_cast<T>((h1 - h0) * (w1 - w0));
                }
            }
        }
    });
}

template <typename T>
void adaptive_avg_pool2d_backward(T* grad_x, const T* grad_y, int64_t planes, int64_t in_h,
                                  int64_t in_w, int64_t out_h, int64_t out_w) {
    parallel_for(planes, grain_for(in_h * in_w), [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
            const T* dy = grad_y + plane * out_h * out_w;
            T* dx = grad_x + plane * in_h * in_w;
            std::fill(dx, dx + in_h * in_w, T(0));
            for (int64_t oh = 0; oh < out_h; ++oh) {
                const int64_t h0 = adaptive_start(oh, in_h, out_h), h1 = adaptive_end(oh, in_h, out_h);
                for (int64_t ow = 0; ow < out_w; ++ow) {
                    const int64_t w0 = adaptive_start(ow, in_w, out_w), w1 = adaptive_end(ow, in_w, out_w);
                    const T share = dy[oh * out_w + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
                    for (int64_t h = h0; h < h1; ++h)
                        for (int64_t w = w0; w < w1; ++w) dx[h * in_w + w] += share;
                }
            }
        }
    });
}

#define IGCAM_INSTANTIATE_POOL2D(T)                                                          \
    template void max_pool2d_forward<T>(T*, const T*, const Pool2dGeometry&);                \
    template void max_pool2d_backward<T>(T*, const T*, const T*, const Pool2dGeometry&);     \
    template void avg_pool2d_forward<T>(T*, const T*, const Pool2dGeometry&);                \
    template void avg_pool2d_backward<T>(T*, const T*, const Pool2dGeometry&);               \
    template void adaptive_avg_pool2d_forward<T>(T*, const T*, int64_t, int64_t, int64_t,    \
                                                 int64_t, int64_t);                          \
    template void adaptive_avg_pool2d_backward<T>(T*, const T*, int64_t, int64_t, int64_t,   \
                                                  int64_t, int64_t);
IGCAM_INSTANTIATE_POOL2D(float)
IGCAM_INSTANTIATE_POOL2D(double)
#undef IGCAM_INSTANTIATE_POOL2D

void max_pool2d_forward_blocked(float* y, const float* x, const Layout& layout, int64_t batch, int64_t channels,
                                const Pool2dGeometry& g) {
#ifdef IGCAM_WITH_ONEDNN
    if (f32_uses_onednn()) return onednn::max_pool2d_forward(y, x, layout, batch, channels, g);
#endif
    (void)y;
    (void)x;
    (void)batch;
    (void)channels;
    (void)g;
    detail::throw_error<Error>("max_pool2d_forward_blocked: no oneDNN here for the ", layout.to_string(), " layout (",
                               f32_path_name(), ")");
}

}  // namespace igcam::cpu
