// Per-device state of the CUDA backend: one stream, one cuBLAS handle and one cuDNN handle
// per device, created on first use and kept for the life of the process (RAII: destroyed in
// reverse order at exit). Every op runs on its device's stream, so work is ordered without
// host synchronisation and the caching allocator can reuse a block as soon as it is freed.
// Include only from cuda/ sources.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

namespace igcam::cuda {

class Context {
public:
    explicit Context(int device);
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    int device() const { return device_; }
    cudaStream_t stream() const { return stream_; }
    cublasHandle_t cublas() const { return cublas_; }
    cudnnHandle_t cudnn() const { return cudnn_; }

private:
    int device_;
    cudaStream_t stream_ = nullptr;
    cublasHandle_t cublas_ = nullptr;
    cudnnHandle_t cudnn_ = nullptr;
};

// The context of `device`, made current (cudaSetDevice) for the calling thread. Throws
// DeviceError for an index the runtime does not have.
Context& context(int device);

// Grid size for a one-thread-per-element kernel over n elements with `block` threads,
// capped so the grid-stride loops in the kernels cover the rest.
unsigned grid_for(long long n, unsigned block);

}  // namespace igcam::cuda
