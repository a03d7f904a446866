// The one check-macro family for CUDA, cuDNN and cuBLAS calls. A failing call throws
// igcam::CudaError (igcam::OutOfMemoryError for allocation failures) whose message names
// the call as written, the file and line, and the library's own description of the status.
// Include only from cuda/ sources.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <string>

namespace igcam::cuda {

// Throws the error for a failed call; `out_of_memory` selects OutOfMemoryError.
[[noreturn]] void throw_failure(const char* call, const char* file, int line, const std::string& status,
                                bool out_of_memory);

std::string describe(cudaError_t status);
std::string describe(cudnnStatus_t status);
std::string describe(cublasStatus_t status);
bool is_out_of_memory(cudaError_t status);
bool is_out_of_memory(cudnnStatus_t status);
bool is_out_of_memory(cublasStatus_t status);

}  // namespace igcam::cuda

#define IGCAM_GPU_CHECK_GENERIC(call, success)                                                  \
    do {                                                                                        \
        const auto igcam_status_ = (call);                                                      \
        if (igcam_status_ != (success))                                                         \
            ::igcam::cuda::throw_failure(#call, __FILE__, __LINE__,                             \
                                         ::igcam::cuda::describe(igcam_status_),                \
                                         ::igcam::cuda::is_out_of_memory(igcam_status_));       \
    } while (false)

#define IGCAM_CUDA_CHECK(call) IGCAM_GPU_CHECK_GENERIC(call, cudaSuccess)
#define IGCAM_CUDNN_CHECK(call) IGCAM_GPU_CHECK_GENERIC(call, CUDNN_STATUS_SUCCESS)
#define IGCAM_CUBLAS_CHECK(call) IGCAM_GPU_CHECK_GENERIC(call, CUBLAS_STATUS_SUCCESS)
// After every kernel launch: reports a bad launch configuration at the launch site.
#define IGCAM_CUDA_LAUNCH_CHECK() IGCAM_CUDA_CHECK(cudaGetLastError())
