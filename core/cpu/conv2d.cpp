// im2col convolution. For a group of G images, the column matrix is
// col (in_channels * kernel_h * kernel_w, G * out_h * out_w): row r = (c, kh, kw) holds, for
// every output position p of image g, the input pixel that kernel tap meets (0 in padding).
// Then y_group (out_channels, G * out_h * out_w) = weight (out_channels, C*kh*kw) x col.
// Grouping images makes the GEMMs wide for small late-layer feature maps (7x7 x batch).
#include "core/cpu/conv2d.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "core/cpu/blas.h"
#include "core/cpu/f32_path.h"
#include "core/cpu/parallel.h"
#include "core/error.h"
#ifdef IGCAM_WITH_ONEDNN
#include "core/cpu/conv2d_onednn.h"
#endif

namespace igcam::cpu {

namespace {

// Column matrices are built for this many bytes' worth of images at a time.
constexpr int64_t kColumnBudgetBytes = int64_t{48} << 20;

int64_t spatial_out(const Conv2dGeometry& g) { return g.out_h * g.out_w; }
int64_t patch_size(const Conv2dGeometry& g) { return g.in_channels * g.kernel_h * g.kernel_w; }

bool is_pointwise(const Conv2dGeometry& g) {
    return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 &&
           g.pad_top == 0 && g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

template <typename T>
int64_t images_per_group(const Conv2dGeometry& g) {
    const int64_t per_image = patch_size(g) * spatial_out(g) * static_cast<int64_t>(sizeof(T));
    return std::clamp<int64_t>(kColumnBudgetBytes / std::max<int64_t>(per_image, 1), 1, g.batch);
}

// Writes image x_image (in_channels, in_h, in_w) into columns [g_index * P, (g_index+1) * P)
// of col, whose rows are `ld` long (P = out_h * out_w).
template <typename T>
void im2col(T* col, int64_t ld, int64_t g_index, const T* x_image, const Conv2dGeometry& g) {
    const int64_t rows = patch_size(g);
    const int64_t kernel_area = g.kernel_h * g.kernel_w;
    parallel_for(rows, 16, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
            const int64_t c = r / kernel_area;
            const int64_t kh = (r % kernel_area) / g.kernel_w;
            const int64_t kw = r % g.kernel_w;
            const T* plane = x_image + c * g.in_h * g.in_w;
            T* out = col + r * ld + g_index * spatial_out(g);
            for (int64_t oh = 0; oh < g.out_h; ++oh) {
                const int64_t ih = oh * g.stride_h - g.pad_top + kh;
                T* out_row = out + oh * g.out_w;
                if (ih < 0 || ih >= g.in_h) {
                    std::fill(out_row, out_row + g.out_w, T(0));
                    continue;
                }
                const T* in_row = plane + ih * g.in_w;
                for (int64_t ow = 0; ow < g.out_w; ++ow) {
                    const int64_t iw = ow * g.stride_w - g.pad_left + kw;
                    out_row[ow] = (iw >= 0 && iw < g.in_w) ? in_row[iw] : T(0);
                }
            }
        }
    });
}

// The adjoint of im2col: adds columns [g_index * P, (g_index+1) * P) of col back into
// grad_image (in_channels, in_h, in_w), which the caller zeroed. Parallel over channels, so
// no two threads touch the same plane.
template <typename T>
void col2im(T* grad_image, const T* col, int64_t ld, int64_t g_index, const Conv2dGeometry& g) {
    parallel_for(g.in_channels, 1, [&](int64_t begin, int64_t end) {
        for (int64_t c = begin; c < end; ++c) {
            T* plane = grad_image + c * g.in_h * g.in_w;
            for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
                for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
                    const int64_t r = (c * g.kernel_h + kh) * g.kernel_w + kw;
                    const T* in = col + r * ld + g_index * spatial_out(g);
                    for (int64_t oh = 0; oh < g.out_h; ++oh) {
                        const int64_t ih = oh * g.stride_h - g.pad_top + kh;
                        if (ih < 0 || ih >= g.in_h) continue;
                        T* row = plane + ih * g.in_w;
                        const T* in_row = in + oh * g.out_w;
                        for (int64_t ow = 0; ow < g.out_w; ++ow) {
                            const int64_t iw = ow * g.stride_w - g.pad_left + kw;
                            if (iw >= 0 && iw < g.in_w) row[iw] += in_row[ow];
                        }
                    }
                }
            }
        }
    });
}

// Gathers `count` images of `rows` rows each (src: (count, rows, p), contiguous) into a
// matrix dst (rows, count * p), image i at columns [i * p, (i + 1) * p).
template <typename T>
void gather_images(T* dst, const T* src, int64_t count, int64_t rows, int64_t p) {
    for (int64_t i = 0; i < count; ++i)
        for (int64_t r = 0; r < rows; ++r)
            std::memcpy(dst + r * count * p + i * p, src + (i * rows + r) * p,
                        static_cast<std::size_t>(p) * sizeof(T));
}

// The inverse of gather_images: src (rows, count * p) back to dst (count, rows, p).
template <typename T>
void scatter_images(T* dst, const T* src, int64_t count, int64_t rows, int64_t p) {
    for (int64_t i = 0; i < count; ++i)
        for (int64_t r = 0; r < rows; ++r)
            std::memcpy(dst + (i * rows + r) * p, src + r * count * p + i * p,
                        static_cast<std::size_t>(p) * sizeof(T));
}

template <typename T>
void add_bias(T* y_image, const T* bias, const Conv2dGeometry& g) {
    if (bias == nullptr) return;
    const int64_t p = spatial_out(g);
    for (int64_t o = 0; o < g.out_channels; ++o) {
        T* row = y_image + o * p;
        for (int64_t i = 0; i < p; ++i) row[i] += bias[o];
    }
}

}  // namespace

template <typename T>
void conv2d_forward(T* y, const T* x, const T* weight, const T* bias, const Conv2dGeometry& g) {
#ifdef IGCAM_WITH_ONEDNN
    if constexpr (std::is_same_v<T, float>) {
        if (f32_uses_onednn())
            return onednn::conv2d_forward(y, Layout::plain(), F32Activation{x, Layout::plain()}, F32Weights{weight, nullptr, {}},
                                          bias, ConvEpilogue{}, g);
    }
#endif
    const int64_t p = spatial_out(g), k = patch_size(g);
    const int64_t x_image = g.in_channels * g.in_h * g.in_w, y_image = g.out_channels * p;
    if (is_pointwise(g)) {
        for (int64_t n = 0; n < g.batch; ++n) {
            gemm<T>(false, false, g.out_channels, p, k, T(1), weight, k, x + n * x_image, p, T(0),
                    y + n * y_image, p);
            add_bias(y + n * y_image, bias, g);
        }
        return;
    }
    const int64_t group = images_per_group<T>(g);
    std::vector<T> col(static_cast<std::size_t>(k * group * p));
    std::vector<T> y_group(group > 1 ? static_cast<std::size_t>(g.out_channels * group * p) : 0);
    for (int64_t n0 = 0; n0 < g.batch; n0 += group) {
        const int64_t count = std::min(group, g.batch - n0);
        const int64_t ld = count * p;
        for (int64_t i = 0; i < count; ++i) im2col(col.data(), ld, i, x + (n0 + i) * x_image, g);
        if (count == 1) {
            gemm<T>(false, false, g.out_channels, p, k, T(1), weight, k, col.data(), ld, T(0),
                    y + n0 * y_image, p);
        } else {
            gemm<T>(false, false, g.out_channels, ld, k, T(1), weight, k, col.data(), ld, T(0),
                    y_group.data(), ld);
            // y_group rows are (out_channel, image, position): scatter to NCHW.
            scatter_images(y + n0 * y_image, y_group.data(), count, g.out_channels, p);
        }
        for (int64_t i = 0; i < count; ++i) add_bias(y + (n0 + i) * y_image, bias, g);
    }
}

template <typename T>
void conv2d_backward_data(T* grad_x, const T* grad_y, const T* weight, const Conv2dGeometry& g) {
#ifdef IGCAM_WITH_ONEDNN
    if constexpr (std::is_same_v<T, float>) {
        if (f32_uses_onednn()) return onednn::conv2d_backward_data(grad_x, grad_y, weight, g);
    }
#endif
    const int64_t p = spatial_out(g), k = patch_size(g);
    const int64_t x_image = g.in_channels * g.in_h * g.in_w, y_image = g.out_channels * p;
    if (is_pointwise(g)) {
        // grad_x_n (C, HW) = weight^T (C, O) x grad_y_n (O, HW)
        for (int64_t n = 0; n < g.batch; ++n)
            gemm<T>(true, false, k, p, g.out_channels, T(1), weight, k, grad_y + n * y_image, p,
                    T(0), grad_x + n * x_image, p);
        return;
    }
    std::fill(grad_x, grad_x + g.batch * x_image, T(0));
    const int64_t group = images_per_group<T>(g);
    std::vector<T> col(static_cast<std::size_t>(k * group * p));
    std::vector<T> dy_group(group > 1 ? static_cast<std::size_t>(g.out_channels * group * p) : 0);
    for (int64_t n0 = 0; n0 < g.batch; n0 += group) {
        const int64_t count = std::min(group, g.batch - n0);
        const int64_t ld = count * p;
        const T* dy = grad_y + n0 * y_image;
        if (count > 1) {
            gather_images(dy_group.data(), dy, count, g.out_channels, p);
            dy = dy_group.data();
        }
        // col (C*kh*kw, count*P) = weight^T (C*kh*kw, O) x dy (O, count*P)
        gemm<T>(true, false, k, ld, g.out_channels, T(1), weight, k, dy, ld, T(0), col.data(), ld);
        for (int64_t i = 0; i < count; ++i) col2im(grad_x + (n0 + i) * x_image, col.data(), ld, i, g);
    }
}

template <typename T>
void conv2d_backward_weight(T* grad_weight, const T* grad_y, const T* x, const Conv2dGeometry& g) {
    const int64_t p = spatial_out(g), k = patch_size(g);
    const int64_t x_image = g.in_channels * g.in_h * g.in_w, y_image = g.out_channels * p;
    if (g.batch == 0) {
        std::fill(grad_weight, grad_weight + g.out_channels * k, T(0));
        return;
    }
#ifdef IGCAM_WITH_ONEDNN
    if constexpr (std::is_same_v<T, float>) {
        if (f32_uses_onednn()) return onednn::conv2d_backward_weight(grad_weight, grad_y, x, g);
    }
#endif
    if (is_pointwise(g)) {
        // grad_weight (O, C) += grad_y_n (O, HW) x x_n^T (HW, C)
        for (int64_t n = 0; n < g.batch; ++n)
            gemm<T>(false, true, g.out_channels, k, p, T(1), grad_y + n * y_image, p, x + n * x_image,
                    p, n == 0 ? T(0) : T(1), grad_weight, k);
        return;
    }
    const int64_t group = images_per_group<T>(g);
    std::vector<T> col(static_cast<std::size_t>(k * group * p));
    std::vector<T> dy_group(group > 1 ? static_cast<std::size_t>(g.out_channels * group * p) : 0);
    for (int64_t n0 = 0; n0 < g.batch; n0 += group) {
        const int64_t count = std::min(group, g.batch - n0);
        const int64_t ld = count * p;
        for (int64_t i = 0; i < count; ++i) im2col(col.data(), ld, i, x + (n0 + i) * x_image, g);
        const T* dy = grad_y + n0 * y_image;
        if (count > 1) {
            gather_images(dy_group.data(), dy, count, g.out_channels, p);
            dy = dy_group.data();
        }
        // grad_weight (O, C*kh*kw) += dy (O, count*P) x col^T (count*P, C*kh*kw)
        gemm<T>(false, true, g.out_channels, k, ld, T(1), dy, ld, col.data(), ld,
                n0 == 0 ? T(0) : T(1), grad_weight, k);
    }
}

template <typename T>
void conv2d_backward_bias(T* grad_bias, const T* grad_y, const Conv2dGeometry& g) {
    const int64_t p = spatial_out(g), y_image = g.out_channels * p;
    parallel_for(g.out_channels, 8, [&](int64_t begin, int64_t end) {
        for (int64_t o = begin; o < end; ++o) {
            double sum = 0.0;  // accumulate in double: the sum runs over batch * H * W terms
            for (int64_t n = 0; n < g.batch; ++n) {
                const T* row = grad_y + n * y_image + o * p;
                for (int64_t i = 0; i < p; ++i) sum += row[i];
            }
            grad_bias[o] = static_cast<T>(sum);
        }
    });
}

void conv2d_forward_f32(float* y, const Layout& y_layout, const F32Activation& x, const F32Weights& weight,
                        const float* bias, const ConvEpilogue& epilogue, const Conv2dGeometry& g) {
#ifdef IGCAM_WITH_ONEDNN
    if (f32_uses_onednn()) return onednn::conv2d_forward(y, y_layout, x, weight, bias, epilogue, g);
#endif
    (void)y;
    (void)y_layout;
    (void)x;
    (void)weight;
    (void)bias;
    (void)epilogue;
    (void)g;
    detail::throw_error<Error>("conv2d_forward_f32: float32 convolutions do not run through oneDNN here (",
                               f32_path_name(), ")");
}

#define IGCAM_INSTANTIATE_CONV2D(T)                                                          \
    template void conv2d_forward<T>(T*, const T*, const T*, const T*, const Conv2dGeometry&); \
    template void conv2d_backward_data<T>(T*, const T*, const T*, const Conv2dGeometry&);     \
    template void conv2d_backward_weight<T>(T*, const T*, const T*, const Conv2dGeometry&);   \
    template void conv2d_backward_bias<T>(T*, const T*, const Conv2dGeometry&);
IGCAM_INSTANTIATE_CONV2D(float)
IGCAM_INSTANTIATE_CONV2D(double)
#undef IGCAM_INSTANTIATE_CONV2D

}  // namespace igcam::cpu
