// The CUDA/cuDNN/cuBLAS check macros, fed fake failing statuses: the message names the call
// as written, the file and line, and the library's description; allocation failures are
// OutOfMemoryError. Runs without a GPU (no call reaches a device).
#include "cuda/check.h"
#include "cuda/runtime.h"
#include "tests/test_util.h"

using namespace igcam;

namespace {
cudaError_t fake_cuda(cudaError_t status) { return status; }
cudnnStatus_t fake_cudnn(cudnnStatus_t status) { return status; }
cublasStatus_t fake_cublas(cublasStatus_t status) { return status; }

std::string message_of(void (*fn)()) {
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no exception)";
}
}  // namespace

TEST_CASE("cuda check: a failing CUDA call names call, file, line and status") {
    const int line = __LINE__ + 1;
    auto fail = [] { IGCAM_CUDA_CHECK(fake_cuda(cudaErrorInvalidValue)); };
    const std::string text = message_of(fail);
    CHECK(text.find("fake_cuda(cudaErrorInvalidValue) failed at ") == 0);
    CHECK(text.find("test_check.cpp:" + std::to_string(line)) != std::string::npos);
    CHECK(text.find("cudaErrorInvalidValue (invalid argument)") != std::string::npos);
    CHECK_THROWS_AS(fail(), CudaError);
    CHECK_NOTHROW(IGCAM_CUDA_CHECK(fake_cuda(cudaSuccess)));
}

TEST_CASE("cuda check: allocation failures are OutOfMemoryError") {
    CHECK_THROWS_AS(IGCAM_CUDA_CHECK(fake_cuda(cudaErrorMemoryAllocation)), OutOfMemoryError);
    // cuDNN 9: 4003 the host's allocation failure, 4004 the device's; both out of memory.
    CHECK(static_cast<int>(CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED) == 4003);
    CHECK(static_cast<int>(CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED) == 4004);
    CHECK_THROWS_AS(IGCAM_CUDNN_CHECK(fake_cudnn(static_cast<cudnnStatus_t>(4003))), OutOfMemoryError);
    CHECK_THROWS_AS(IGCAM_CUDNN_CHECK(fake_cudnn(static_cast<cudnnStatus_t>(4004))), OutOfMemoryError);
    CHECK_THROWS_AS(IGCAM_CUDNN_CHECK(fake_cudnn(CUDNN_STATUS_INTERNAL_ERROR)), CudaError);
    CHECK_FALSE(cuda::is_out_of_memory(CUDNN_STATUS_INTERNAL_ERROR));
    CHECK_THROWS_AS(IGCAM_CUBLAS_CHECK(fake_cublas(CUBLAS_STATUS_ALLOC_FAILED)), OutOfMemoryError);
}

TEST_CASE("cuda check: cuDNN and cuBLAS statuses are described by their libraries") {
    const std::string cudnn = message_of([] { IGCAM_CUDNN_CHECK(fake_cudnn(CUDNN_STATUS_BAD_PARAM)); });
    CHECK(cudnn.find("fake_cudnn(CUDNN_STATUS_BAD_PARAM) failed at ") == 0);
    CHECK(cudnn.find("CUDNN_STATUS_BAD_PARAM") != std::string::npos);
    const std::string cublas = message_of([] { IGCAM_CUBLAS_CHECK(fake_cublas(CUBLAS_STATUS_NOT_INITIALIZED)); });
    CHECK(cublas.find("fake_cublas(CUBLAS_STATUS_NOT_INITIALIZED) failed at ") == 0);
    CHECK(cublas.find("CUBLAS_STATUS_NOT_INITIALIZED") != std::string::npos);
}

TEST_CASE("cuda runtime: no GPU is a normal state, not an error") {
    const int count = cuda::device_count();
    CHECK(count >= 0);
    const std::string text = cuda::describe_runtime();
    CHECK(text.find("CUDA runtime ") == 0);
    if (count == 0) MESSAGE("no usable GPU here: " << text);
}
