#include "cuda/context.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "core/error.h"
#include "cuda/check.h"
#include "cuda/runtime.h"

namespace igcam::cuda {

namespace {
std::atomic<bool> tf32{false};
}

void set_tf32(bool enabled) noexcept { tf32.store(enabled, std::memory_order_relaxed); }
bool tf32_enabled() noexcept { return tf32.load(std::memory_order_relaxed); }

Context::Context(int device) : device_(device) {
    IGCAM_CUDA_CHECK(cudaSetDevice(device));
    IGCAM_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    IGCAM_CUBLAS_CHECK(cublasCreate(&cublas_));
    IGCAM_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
    IGCAM_CUDNN_CHECK(cudnnCreate(&cudnn_));
    IGCAM_CUDNN_CHECK(cudnnSetStream(cudnn_, stream_));
}

Context::~Context() {
    // Destructors must not throw; at process exit the driver may already be unloading, so
    // the statuses are ignored.
    if (cudnn_ != nullptr) cudnnDestroy(cudnn_);
    if (cublas_ != nullptr) cublasDestroy(cublas_);
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

Context& context(int device) {
    static std::mutex mutex;
    // Never destroyed, on purpose: a static vector would be destroyed after cuDNN's and
    // cuBLAS's own statics, and cudnnDestroy / cublasDestroy at exit could then crash a
    // process that had finished its work (PyTorch leaks its handles for the same reason).
    // The driver reclaims everything when the process ends.
    static auto* contexts = new std::vector<std::unique_ptr<Context>>();
    const int count = device_count();
    IGCAM_CHECK(device >= 0 && device < count, DeviceError, "cuda:", device,
                " is not available (", count, " CUDA device(s) usable: ", describe_runtime(), ")");
    std::lock_guard<std::mutex> lock(mutex);
    if (contexts->size() < static_cast<std::size_t>(count)) contexts->resize(static_cast<std::size_t>(count));
    std::unique_ptr<Context>& slot = (*contexts)[static_cast<std::size_t>(device)];
    if (!slot) slot = std::make_unique<Context>(device);
    IGCAM_CUDA_CHECK(cudaSetDevice(device));
    return *slot;
}

unsigned grid_for(long long n, unsigned block) {
    const long long blocks = (n + block - 1) / block;
    // 65535 * 16 blocks keep every SM busy; grid-stride loops take the rest.
    const long long cap = 65535LL * 16;
    return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > cap ? cap : blocks));
}

}  // namespace igcam::cuda
