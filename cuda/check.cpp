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

std::string describe(cudnnStatus_t status) { return cudnnGetErrorString(status); }

std::string describe(cublasStatus_t status) {
    return detail::concat(cublasGetStatusName(status), " (", cublasGetStatusString(status), ")");
}

bool is_out_of_memory(cudaError_t status) { return status == cudaErrorMemoryAllocation; }
bool is_out_of_memory(cudnnStatus_t status) { return status == CUDNN_STATUS_ALLOC_FAILED; }
bool is_out_of_memory(cublasStatus_t status) { return status == CUBLAS_STATUS_ALLOC_FAILED; }

}  // namespace igcam::cuda
