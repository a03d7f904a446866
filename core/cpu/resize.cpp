#include "core/cpu/resize.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/cpu/parallel.h"
#include "core/window_math.h"

namespace igcam::cpu {

namespace {

using window_math::Tap;

std::vector<Tap> taps(int64_t in, int64_t out) {
    std::vector<Tap> result(static_cast<std::size_t>(out));
    for (int64_t o = 0; o < out; ++o) result[static_cast<std::size_t>(o)] = window_math::bilinear_tap(o, in, out);
    return result;
}

}  // namespace

template <typename T>
void resize_bilinear_forward(T* y, const T* x, int64_t planes, int64_t in_h, int64_t in_w,
                             int64_t out_h, int64_t out_w) {
    const std::vector<Tap> rows = taps(in_h, out_h), cols = taps(in_w, out_w);
    parallel_for(planes, 1, [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
            const T* in = x + plane * in_h * in_w;
            T* out = y + plane * out_h * out_w;
            for (int64_t oh = 0; oh < out_h; ++oh) {
                const Tap& r = rows[static_cast<std::size_t>(oh)];
                const T* row0 = in + r.i0 * in_w;
                const T* row1 = in + r.i1 * in_w;
                for (int64_t ow = 0; ow < out_w; ++ow) {
                    const Tap& c = cols[static_cast<std::size_t>(ow)];
                    const double top = (1 - c.frac) * row0[c.i0] + c.frac * row0[c.i1];
                    const double bottom = (1 - c.frac) * row1[c.i0] + c.frac * row1[c.i1];
                    out[oh * out_w + ow] = static_cast<T>((1 - r.frac) * top + r.frac * bottom);
                }
            }
        }
    });
}

template <typename T>
void resize_bilinear_backward(T* grad_x, const T* grad_y, int64_t planes, int64_t in_h,
                              int64_t in_w, int64_t out_h, int64_t out_w) {
    const std::vector<Tap> rows = taps(in_h, out_h), cols = taps(in_w, out_w);
    parallel_for(planes, 1, [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
            const T* dy = grad_y + plane * out_h * out_w;
            T* dx = grad_x + plane * in_h * in_w;
            std::fill(dx, dx + in_h * in_w, T(0));
            for (int64_t oh = 0; oh < out_h; ++oh) {
                const Tap& r = rows[static_cast<std::size_t>(oh)];
                for (int64_t ow = 0; ow < out_w; ++ow) {
                    const Tap& c = cols[static_cast<std::size_t>(ow)];
                    const double g = dy[oh * out_w + ow];
                    dx[r.i0 * in_w + c.i0] += static_cast<T>(g * (1 - r.frac) * (1 - c.frac));
                    dx[r.i0 * in_w + c.i1] += static_cast<T>(g * (1 - r.frac) * c.frac);
                    dx[r.i1 * in_w + c.i0] += static_cast<T>(g * r.frac * (1 - c.frac));
                    dx[r.i1 * in_w + c.i1] += static_cast<T>(g * r.frac * c.frac);
                }
            }
        }
    });
}

template <typename T>
void pad2d_forward(T* y, const T* x, int64_t planes, int64_t in_h, int64_t in_w, const Padding2d& pad) {
    const int64_t out_h = in_h + pad.top + pad.bottom, out_w = in_w + pad.left + pad.right;
    parallel_for(planes, 1, [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
            T* out = y + plane * out_h * out_w;
            std::fill(out, out + out_h * out_w, T(0));
            const T* in = x + plane * in_h * in_w;
            for (int64_t h = 0; h < in_h; ++h)
                std::memcpy(out + (h + pad.top) * out_w + pad.left, in + h * in_w,
                            static_cast<std::size_t>(in_w) * sizeof(T));
        }
    });
}

template <typename T>
void pad2d_backward(T* grad_x, const T* grad_y, int64_t planes, int64_t in_h, int64_t in_w,
                    const Padding2d& pad) {
    const int64_t out_h = in_h + pad.top + pad.bottom, out_w = in_w + pad.left + pad.right;
    parallel_for(planes, 1, [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
            const T* dy = grad_y + plane * out_h * out_w;
            T* dx = grad_x + plane * in_h * in_w;
            for (int64_t h = 0; h < in_h; ++h)
                std::memcpy(dx + h * in_w, dy + (h + pad.top) * out_w + pad.left,
                            static_cast<std::size_t>(in_w) * sizeof(T));
        }
    });
}

#define IGCAM_INSTANTIATE_RESIZE(T)                                                               \
    template void resize_bilinear_forward<T>(T*, const T*, int64_t, int64_t, int64_t, int64_t,   \
                                             int64_t);                                            \
    template void resize_bilinear_backward<T>(T*, const T*, int64_t, int64_t, int64_t, int64_t,  \
                                              int64_t);                                           \
    template void pad2d_forward<T>(T*, const T*, int64_t, int64_t, int64_t, const Padding2d&);   \
    template void pad2d_backward<T>(T*, const T*, int64_t, int64_t, int64_t, const Padding2d&);
IGCAM_INSTANTIATE_RESIZE(float)
IGCAM_INSTANTIATE_RESIZE(double)
#undef IGCAM_INSTANTIATE_RESIZE

}  // namespace igcam::cpu
