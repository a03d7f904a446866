// Reductions, broadcasts, softmax and statistics on the GPU. Every reduction is done by one
// thread block per output in a fixed order (strided partial sums, then a shared-memory
// tree), never by atomics, so the same input gives bitwise the same output on every run.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cuda/kernels.h"
#include "cuda/launch.cuh"
#include "cuda/memory.h"

namespace igcam::cuda {

namespace {

// How a reduction walks x: the kept axes (in order, with x's strides) select the output,
// the reduced axes (with x's strides) enumerate the elements folded into it.
struct ReductionPlan {
    Dims kept, kept_strides, reduced, reduced_strides;
    int64_t count = 1;  // elements per output
};

ReductionPlan plan_reduction(const std::vector<int64_t>& dims, const std::vector<int64_t>& out_strides) {
    std::vector<int64_t> x_strides(dims.size(), 1);
    for (int d = static_cast<int>(dims.size()) - 2; d >= 0; --d) x_strides[d] = x_strides[d + 1] * dims[d + 1];
    std::vector<int64_t> kept, kept_strides, reduced, reduced_strides;
    ReductionPlan plan;
    for (std::size_t d = 0; d < dims.size(); ++d) {
        if (out_strides[d] == 0 && dims[d] != 1) {
            reduced.push_back(dims[d]);
            reduced_strides.push_back(x_strides[d]);
            plan.count *= dims[d];
        } else if (dims[d] != 1) {
            kept.push_back(dims[d]);
            kept_strides.push_back(x_strides[d]);
        }
    }
    plan.kept = to_dims(kept, "reduction");
    plan.kept_strides = to_dims(kept_strides, "reduction");
    plan.reduced = to_dims(reduced, "reduction");
    plan.reduced_strides = to_dims(reduced_strides, "reduction");
    return plan;
}

// Threads per block for `count` elements per output: a power of two from 32 to 256.
unsigned block_for(int64_t count) {
    unsigned block = 32;
    while (block < kBlock && block < count) block *= 2;
    return block;
}

enum class Fold { Sum, Max, Min };

template <Fold kind>
__device__ double combine(double a, double b) {
    if constexpr (kind == Fold::Sum) return a + b;
    else if constexpr (kind == Fold::Max) return b > a ? b : a;
    else return b < a ? b : a;
}

// One block per output element: each thread folds a strided subset, then the block folds
// the partials pairwise in shared memory.
template <typename T, Fold kind>
__global__ void reduce_kernel(T* out, int64_t out_numel, const T* x, ReductionPlan plan) {
    extern __shared__ double partial[];
    for (int64_t o = blockIdx.x; o < out_numel; o += gridDim.x) {
        const int64_t base = strided_offset(o, plan.kept, plan.kept_strides);
        bool any = false;
        double acc = 0.0;
        for (int64_t r = threadIdx.x; r < plan.count; r += blockDim.x) {
            const double v = x[base + strided_offset(r, plan.reduced, plan.reduced_strides)];
            acc = any ? combine<kind>(acc, v) : v;
            any = true;
        }
        // Threads without elements hold the first element (a neutral value for max/min).
        if (!any) acc = kind == Fold::Sum ? 0.0 : static_cast<double>(x[base]);
        partial[threadIdx.x] = acc;
        __syncthreads();
        for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
            if (threadIdx.x < half) partial[threadIdx.x] = combine<kind>(partial[threadIdx.x], partial[threadIdx.x + half]);
            __syncthreads();
        }
        if (threadIdx.x == 0) out[o] = static_cast<T>(partial[0]);
        __syncthreads();
    }
}

template <typename T, Fold kind>
void reduce(int device, T* out, int64_t out_numel, const T* x, const std::vector<int64_t>& dims,
            const std::vector<int64_t>& out_strides) {
    if (out_numel <= 0) return;
    const ReductionPlan plan = plan_reduction(dims, out_strides);
    const unsigned block = block_for(plan.count);
    const unsigned grid = static_cast<unsigned>(std::min<int64_t>(out_numel, 65535LL * 16));
    Context& ctx = context(device);
    reduce_kernel<T, kind><<<grid, block, block * sizeof(double), ctx.stream()>>>(out, out_numel, x, plan);
    IGCAM_CUDA_LAUNCH_CHECK();
}

template <typename T>
__global__ void strided_copy_kernel(T* out, Dims dims, const T* x, Dims x_strides, int64_t n) {
    IGCAM_GRID_LOOP(i, n) out[i] = x[strided_offset(i, dims, x_strides)];
}

// One thread per (outer, inner) line; the axis is short (class scores), so a loop suffices.
template <typename T>
__global__ void softmax_forward_kernel(T* y, const T* x, int64_t outer, int64_t axis, int64_t inner) {
    IGCAM_GRID_LOOP(line, outer * inner) {
        const int64_t base = (line / inner) * axis * inner + line % inner;
        T largest = x[base];
        for (int64_t i = 1; i < axis; ++i) largest = x[base + i * inner] > largest ? x[base + i * inner] : largest;
        double total = 0.0;
        for (int64_t i = 0; i < axis; ++i) {
            const T e = exp(x[base + i * inner] - largest);
            y[base + i * inner] = e;
            total += e;
        }
        for (int64_t i = 0; i < axis; ++i) y[base + i * inner] = static_cast<T>(y[base + i * inner] / total);
    }
}

template <typename T>
__global__ void softmax_backward_kernel(T* grad_x, const T* grad_y, const T* y, int64_t outer, int64_t axis,
                                        int64_t inner) {
    IGCAM_GRID_LOOP(line, outer * inner) {
        const int64_t base = (line / inner) * axis * inner + line % inner;
        double dot = 0.0;
        for (int64_t i = 0; i < axis; ++i) dot += static_cast<double>(grad_y[base + i * inner]) * y[base + i * inner];
        for (int64_t i = 0; i < axis; ++i) {
            const int64_t k = base + i * inner;
            grad_x[k] = static_cast<T>(y[k] * (grad_y[k] - dot));
        }
    }
}

template <typename T>
__global__ void first_nonfinite_kernel(unsigned long long* first, const T* x, int64_t n) {
    IGCAM_GRID_LOOP(i, n) {
        if (!isfinite(x[i])) atomicMin(first, static_cast<unsigned long long>(i));  // min: order-free
    }
}

constexpr unsigned kStatsBlocks = 256;

// Each block folds a contiguous chunk into (sum of squares, min, max, zeros); the host
// combines the kStatsBlocks partials in order.
template <typename T>
__global__ void stats_kernel(double* partials, const T* x, int64_t n) {
    __shared__ double squares[kBlock], lo[kBlock], hi[kBlock], zeros[kBlock];
    const int64_t chunk = (n + gridDim.x - 1) / gridDim.x;
    const int64_t begin = blockIdx.x * chunk;
    const int64_t end = begin + chunk < n ? begin + chunk : n;
    double s = 0, z = 0, a = INFINITY, b = -INFINITY;
    for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
        const double v = x[i];
        s += v * v;
        z += v == 0.0;
        a = v < a ? v : a;
        b = v > b ? v : b;
    }
    squares[threadIdx.x] = s;
    zeros[threadIdx.x] = z;
    lo[threadIdx.x] = a;
    hi[threadIdx.x] = b;
    __syncthreads();
    for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) {
            squares[threadIdx.x] += squares[threadIdx.x + half];
            zeros[threadIdx.x] += zeros[threadIdx.x + half];
            lo[threadIdx.x] = fmin(lo[threadIdx.x], lo[threadIdx.x + half]);
            hi[threadIdx.x] = fmax(hi[threadIdx.x], hi[threadIdx.x + half]);
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        partials[4 * blockIdx.x + 0] = squares[0];
        partials[4 * blockIdx.x + 1] = lo[0];
        partials[4 * blockIdx.x + 2] = hi[0];
        partials[4 * blockIdx.x + 3] = zeros[0];
    }
}

}  // namespace

template <typename T>
void strided_sum(int device, T* out, int64_t out_numel, const T* x, const std::vector<int64_t>& dims,
                 const std::vector<int64_t>& out_strides) {
    reduce<T, Fold::Sum>(device, out, out_numel, x, dims, out_strides);
}

template <typename T>
void strided_extreme(int device, T* out, int64_t out_numel, const T* x, const std::vector<int64_t>& dims,
                     const std::vector<int64_t>& out_strides, bool maximum) {
    if (maximum) reduce<T, Fold::Max>(device, out, out_numel, x, dims, out_strides);
    else reduce<T, Fold::Min>(device, out, out_numel, x, dims, out_strides);
}

template <typename T>
void strided_copy(int device, T* out, const std::vector<int64_t>& dims, const T* x,
                  const std::vector<int64_t>& x_strides) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    if (n <= 0) return;
    const Dims out_dims = to_dims(dims, "broadcast_to"), x_dims = to_dims(x_strides, "broadcast_to");
    Context& ctx = context(device);
    strided_copy_kernel<T><<<grid_for(n, kBlock), kBlock, 0, ctx.stream()>>>(out, out_dims, x, x_dims, n);
    IGCAM_CUDA_LAUNCH_CHECK();
}

template <typename T>
void softmax_forward(int device, T* y, const T* x, int64_t outer, int64_t axis, int64_t inner) {
    Context& ctx = context(device);
    softmax_forward_kernel<T><<<grid_for(outer * inner, kBlock), kBlock, 0, ctx.stream()>>>(y, x, outer, axis, inner);
    IGCAM_CUDA_LAUNCH_CHECK();
}

template <typename T>
void softmax_backward(int device, T* grad_x, const T* grad_y, const T* y, int64_t outer, int64_t axis,
                      int64_t inner) {
    Context& ctx = context(device);
    softmax_backward_kernel<T><<<grid_for(outer * inner, kBlock), kBlock, 0, ctx.stream()>>>(
        grad_x, grad_y, y, outer, axis, inner);
    IGCAM_CUDA_LAUNCH_CHECK();
}

template <typename T>
int64_t first_nonfinite(int device, const T* x, int64_t n) {
    if (n <= 0) return -1;
    Context& ctx = context(device);
    DeviceBuffer first(device, sizeof(unsigned long long));
    IGCAM_CUDA_CHECK(cudaMemsetAsync(first.as<void>(), 0xFF, sizeof(unsigned long long), ctx.stream()));
    first_nonfinite_kernel<T><<<grid_for(n, kBlock), kBlock, 0, ctx.stream()>>>(first.as<unsigned long long>(), x, n);
    IGCAM_CUDA_LAUNCH_CHECK();
    unsigned long long host = 0;
    copy_device_to_host(&host, first.as<void>(), sizeof host, device);
    return host == ~0ULL ? -1 : static_cast<int64_t>(host);
}

template <typename T>
SummaryStats summary_stats(int device, const T* x, int64_t n) {
    SummaryStats s;
    if (n <= 0) return s;
    Context& ctx = context(device);
    DeviceBuffer partials(device, 4 * kStatsBlocks * sizeof(double));
    stats_kernel<T><<<kStatsBlocks, kBlock, 0, ctx.stream()>>>(partials.as<double>(), x, n);
    IGCAM_CUDA_LAUNCH_CHECK();
    std::vector<double> host(4 * kStatsBlocks);
    copy_device_to_host(host.data(), partials.as<void>(), host.size() * sizeof(double), device);
    double squares = 0, zeros = 0, lo = INFINITY, hi = -INFINITY;
    for (unsigned b = 0; b < kStatsBlocks; ++b) {
        squares += host[4 * b];
        lo = std::min(lo, host[4 * b + 1]);
        hi = std::max(hi, host[4 * b + 2]);
        zeros += host[4 * b + 3];
    }
    s.l2 = std::sqrt(squares);
    s.min = lo;
    s.max = hi;
    s.zero_fraction = zeros / static_cast<double>(n);
    return s;
}

#define IGCAM_INSTANTIATE(T)                                                                            \
    template void strided_sum<T>(int, T*, int64_t, const T*, const std::vector<int64_t>&,               \
                                 const std::vector<int64_t>&);                                          \
    template void strided_extreme<T>(int, T*, int64_t, const T*, const std::vector<int64_t>&,           \
                                     const std::vector<int64_t>&, bool);                                \
    template void strided_copy<T>(int, T*, const std::vector<int64_t>&, const T*,                       \
                                  const std::vector<int64_t>&);                                         \
    template void softmax_forward<T>(int, T*, const T*, int64_t, int64_t, int64_t);                     \
    template void softmax_backward<T>(int, T*, const T*, const T*, int64_t, int64_t, int64_t);          \
    template int64_t first_nonfinite<T>(int, const T*, int64_t);                                        \
    template SummaryStats summary_stats<T>(int, const T*, int64_t);
IGCAM_INSTANTIATE(float)
IGCAM_INSTANTIATE(double)

}  // namespace igcam::cuda
