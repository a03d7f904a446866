// CPU reductions, broadcasts, softmax and summary statistics.
#pragma once

#include <cstdint>
#include <vector>

namespace igcam::cpu {

// out (out_numel elements) = sums of x (shape `dims`, contiguous), where x's element at
// index i goes to out[sum_d i_d * out_strides[d]] (stride 0 on reduced dimensions).
// Accumulates in double. Assigns out.
template <typename T>
void strided_sum(T* out, int64_t out_numel, const T* x, const std::vector<int64_t>& dims,
                 const std::vector<int64_t>& out_strides);

// Like strided_sum, with the maximum (or the minimum) instead of the sum.
template <typename T>
void strided_extreme(T* out, int64_t out_numel, const T* x, const std::vector<int64_t>& dims,
                     const std::vector<int64_t>& out_strides, bool maximum);

// out (shape `dims`, contiguous)[i] = x[sum_d i_d * x_strides[d]]: broadcast_to.
template <typename T>
void strided_copy(T* out, const std::vector<int64_t>& dims, const T* x,
                  const std::vector<int64_t>& x_strides);

// Softmax over the middle axis of x viewed as (outer, axis, inner); max-subtracted.
template <typename T>
void softmax_forward(T* y, const T* x, int64_t outer, int64_t axis, int64_t inner);
// grad_x = y * (grad_y - sum_axis(grad_y * y)).
template <typename T>
void softmax_backward(T* grad_x, const T* grad_y, const T* y, int64_t outer, int64_t axis,
                      int64_t inner);

// Index of the first element that is NaN or infinite, or -1.
template <typename T>
int64_t first_nonfinite(const T* x, int64_t n);

struct SummaryStats {
    double l2 = 0, min = 0, max = 0, zero_fraction = 0;
    int64_t count = 0;
};
// L2 norm, min, max and the fraction of exact zeros of x (n elements); all 0 when n == 0.
template <typename T>
SummaryStats summary_stats(const T* x, int64_t n);

}  // namespace igcam::cpu
