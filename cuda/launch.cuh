// Shared pieces of the .cu files: the launch shape, the grid-stride loop, and small
// fixed-size arrays that carry shapes and strides into kernels by value. Include only from
// cuda/*.cu.
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "cuda/check.h"
#include "cuda/context.h"

namespace igcam::cuda {

constexpr unsigned kBlock = 256;
constexpr int kMaxDims = 8;

// for (i = global thread index; i < n; i += total threads)
#define IGCAM_GRID_LOOP(i, n)                                                                   \
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n);      \
         i += static_cast<int64_t>(blockDim.x) * gridDim.x)

// Launches kernel<<<enough blocks of kBlock threads for n, on the stream of `device`>>>
// (a variable named device must be in scope), then checks the launch. Nothing for n <= 0.
#define IGCAM_LAUNCH_1D(kernel, n, ...)                                                         \
    do {                                                                                        \
        if ((n) <= 0) break;                                                                    \
        ::igcam::cuda::Context& ctx_ = ::igcam::cuda::context(device);                          \
        kernel<<<::igcam::cuda::grid_for((n), kBlock), kBlock, 0, ctx_.stream()>>>(__VA_ARGS__); \
        IGCAM_CUDA_LAUNCH_CHECK();                                                              \
    } while (false)

// Shape and strides of up to kMaxDims dimensions, passed to kernels by value.
struct Dims {
    int rank = 0;
    int64_t size[kMaxDims] = {};
};

inline Dims to_dims(const std::vector<int64_t>& values, const char* what) {
    IGCAM_CHECK(values.size() <= static_cast<std::size_t>(kMaxDims), ShapeError, what,
                ": the CUDA backend handles at most ", kMaxDims, " dimensions, got ", values.size());
    Dims d;
    d.rank = static_cast<int>(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) d.size[i] = values[i];
    return d;
}

// Offset of flat (row-major) index `flat` of `dims` under `strides`.
__device__ inline int64_t strided_offset(int64_t flat, const Dims& dims, const Dims& strides) {
    int64_t offset = 0;
    for (int d = dims.rank - 1; d >= 0; --d) {
        const int64_t i = flat % dims.size[d];
        flat /= dims.size[d];
        offset += i * strides.size[d];
    }
    return offset;
}

}  // namespace igcam::cuda
