#include "cuda/check.h"

#include "core/error.h"

namespace igcam::cuda {

void throw_failure(const char* call, const char* file, int line, const std::string& status,
                   bool out_of_memory) {
    const std::string message = detail::concat(call, " failed at ", file, ":", line, ": ", status);
    if (out_of_memory) throw OutOfMemoryError(message);
    throw CudaError(message);
}

std::string describe(cudaError_t status) {
    return detail::concat(cudaGetErrorName(status), " (", cudaGetErrorString(status), ")");
}

std::string describe(cudnnStatus_t status) {
    // cuDNN 9 keeps a longer account of the last failure (which check failed, on what).
    char last[512] = {};
    cudnnGetLastErrorString(last, sizeof last);
    std::string text = cudnnGetErrorString(status);
    if (last[0] != '\0') text.append(": ").append(last);
    return text;
}

std::string describe(cublasStatus_t status) {
    return detail::concat(cublasGetStatusName(status), " (", cublasGetStatusString(status), ")");
}

bool is_out_of_memory(cudaError_t status) { return status == cudaErrorMemoryAllocation; }
// cuDNN 9 splits allocation failures: 4003 is the host's (the old CUDNN_STATUS_ALLOC_FAILED
// is now its alias), 4004 the device's. Both are out of memory, so that the workspace
// fallback and the pipeline's halving of a pass react to either.
bool is_out_of_memory(cudnnStatus_t status) {
    return status == CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED ||
           status == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED;
}
bool is_out_of_memory(cublasStatus_t status) { return status == CUBLAS_STATUS_ALLOC_FAILED; }

}  // namespace igcam::cuda
