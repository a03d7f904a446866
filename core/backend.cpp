#include "core/backend.h"

#include <cstdlib>
#include <string>

#include "core/cpu/blas.h"
#include "core/cpu/f32_path.h"
#include "core/cpu/parallel.h"
#include "core/error.h"
#ifdef IGCAM_WITH_CUDA
#include "cuda/runtime.h"
#endif

namespace igcam {

namespace {
[[maybe_unused]] bool forced_cpu() {  // used by CUDA builds only
    const char* env = std::getenv("IGCAM_DEVICE");
    return env != nullptr && std::string(env) == "cpu";
}
}  // namespace

bool cuda_built() {
#ifdef IGCAM_WITH_CUDA
    return true;
#else
    return false;
#endif
}

int cuda_device_count() {
#ifdef IGCAM_WITH_CUDA
    return forced_cpu() ? 0 : cuda::device_count();
#else
    return 0;
#endif
}

std::string blas_version() { return cpu::blas_config(); }

std::string backend_summary() {
    std::string text = detail::concat("cpu: ", cpu::num_threads(), " threads; conv + GEMM f32: ", cpu::f32_path_name(),
                                      ", f64: ", cpu::blas_name(), "; ");
#ifdef IGCAM_WITH_CUDA
    text += "cuda: built (" + cuda::describe_runtime() + ")";
    if (forced_cpu()) text += ", disabled by IGCAM_DEVICE=cpu";
#else
    text += "cuda: not built";
#endif
    return text;
}

}  // namespace igcam
