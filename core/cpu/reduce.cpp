#include "core/cpu/reduce.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/cpu/parallel.h"
#include "core/cpu/strided.h"

namespace igcam::cpu {

template <typename T>
void strided_sum(T* out, int64_t out_numel, const T* x, const std::vector<int64_t>& dims,
                 const std::vector<int64_t>& out_strides) {
    std::vector<double> acc(static_cast<std::size_t>(out_numel), 0.0);
    const std::vector<int64_t> x_strides = contiguous_strides(dims);
    for_each_offset<2>(dims, {&x_strides, &out_strides},
                       [&](const std::array<int64_t, 2>& o) { acc[o[1]] += x[o[0]]; });
    for (int64_t i = 0; i < out_numel; ++i) out[i] = static_cast<T>(acc[i]);
}

template <typename T>
void strided_extreme(T* out, int64_t out_numel, const T* x, const std::vector<int64_t>& dims,
                     const std::vector<int64_t>& out_strides, bool maximum) {
    std::vector<bool> seen(static_cast<std::size_t>(out_numel), false);
    const std::vector<int64_t> x_strides = contiguous_strides(dims);
    for_each_offset<2>(dims, {&x_strides, &out_strides}, [&](const std::array<int64_t, 2>& o) {
        const T v = x[o[0]];
        T& best = out[o[1]];
        if (!seen[o[1]] || (maximum ? v > best : v < best)) best = v;
        seen[o[1]] = true;
    });
}

template <typename T>
void strided_copy(T* out, const std::vector<int64_t>& dims, const T* x,
                  const std::vector<int64_t>& x_strides) {
    const std::vector<int64_t> out_strides = contiguous_strides(dims);
    for_each_offset<2>(dims, {&out_strides, &x_strides},
                       [&](const std::array<int64_t, 2>& o) { out[o[0]] = x[o[1]]; });
}

template <typename T>
void softmax_forward(T* y, const T* x, int64_t outer, int64_t axis, int64_t inner) {
    parallel_for(outer * inner, 64, [&](int64_t begin, int64_t end) {
        for (int64_t line = begin; line < end; ++line) {
            const int64_t base = (line / inner) * axis * inner + line % inner;
            T largest = x[base];
            for (int64_t i = 1; i < axis; ++i) largest = std::max(largest, x[base + i * inner]);
            double total = 0.0;
            for (int64_t i = 0; i < axis; ++i) {
                const T e = std::exp(x[base + i * inner] - largest);
                y[base + i * inner] = e;
                total += e;
            }
            for (int64_t i = 0; i < axis; ++i) y[base + i * inner] = static_cast<T>(y[base + i * inner] / total);
        }
    });
}

template <typename T>
void softmax_backward(T* grad_x, const T* grad_y, const T* y, int64_t outer, int64_t axis,
                      int64_t inner) {
    parallel_for(outer * inner, 64, [&](int64_t begin, int64_t end) {
        for (int64_t line = begin; line < end; ++line) {
            const int64_t base = (line / inner) * axis * inner + line % inner;
            double dot = 0.0;
            for (int64_t i = 0; i < axis; ++i) dot += grad_y[base + i * inner] * y[base + i * inner];
            for (int64_t i = 0; i < axis; ++i) {
                const int64_t k = base + i * inner;
                grad_x[k] = static_cast<T>(y[k] * (grad_y[k] - dot));
            }
        }
    });
}

template <typename T>
int64_t first_nonfinite(const T* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(x[i])) return i;
    return -1;
}

template <typename T>
SummaryStats summary_stats(const T* x, int64_t n) {
    SummaryStats s;
    s.count = n;
    if (n == 0) return s;
    double squares = 0.0;
    int64_t zeros = 0;
    T lo = x[0], hi = x[0];
    for (int64_t i = 0; i < n; ++i) {
        const T v = x[i];
        squares += static_cast<double>(v) * static_cast<double>(v);
        zeros += (v == T(0));
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    s.l2 = std::sqrt(squares);
    s.min = lo;
    s.max = hi;
    s.zero_fraction = static_cast<double>(zeros) / static_cast<double>(n);
    return s;
}

#define IGCAM_INSTANTIATE_REDUCE(T)                                                              \
    template void strided_sum<T>(T*, int64_t, const T*, const std::vector<int64_t>&,            \
                                 const std::vector<int64_t>&);                                   \
    template void strided_extreme<T>(T*, int64_t, const T*, const std::vector<int64_t>&,        \
                                     const std::vector<int64_t>&, bool);                         \
    template void strided_copy<T>(T*, const std::vector<int64_t>&, const T*,                    \
                                  const std::vector<int64_t>&);                                  \
    template void softmax_forward<T>(T*, const T*, int64_t, int64_t, int64_t);                  \
    template void softmax_backward<T>(T*, const T*, const T*, int64_t, int64_t, int64_t);       \
    template SummaryStats summary_stats<T>(const T*, int64_t);                                   \
    template int64_t first_nonfinite<T>(const T*, int64_t);
IGCAM_INSTANTIATE_REDUCE(float)
IGCAM_INSTANTIATE_REDUCE(double)
#undef IGCAM_INSTANTIATE_REDUCE

}  // namespace igcam::cpu
