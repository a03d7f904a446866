#include "cuda/runtime.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "core/error.h"

namespace igcam::cuda {

namespace {
struct Probe {
    int count = 0;
    cudaError_t status = cudaSuccess;
};

const Probe& probe() {
    static const Probe result = [] {
        Probe p;
        p.status = cudaGetDeviceCount(&p.count);
        // cudaErrorInsufficientDriver / cudaErrorNoDevice (and anything else) mean "no GPU".
        if (p.status != cudaSuccess) p.count = 0;
        return p;
    }();
    return result;
}

std::string version_text(int v) { return detail::concat(v / 1000, ".", (v % 1000) / 10); }
}  // namespace

int device_count() noexcept {
    try {
        return probe().count;
    } catch (...) {
        return 0;
    }
}

std::string describe_runtime() {
    int runtime = 0;
    cudaRuntimeGetVersion(&runtime);
    const size_t cudnn = cudnnGetVersion();
    std::string text = detail::concat("CUDA runtime ", version_text(runtime), ", cuDNN ", cudnn / 10000,
                                      ".", (cudnn % 10000) / 100, ".", cudnn % 100, "; ");
    const Probe& p = probe();
    if (p.status != cudaSuccess) return text + "no usable GPU (" + cudaGetErrorName(p.status) + ")";
    return text + std::to_string(p.count) + " device(s)";
}

}  // namespace igcam::cuda
