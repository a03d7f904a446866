#include "core/backend.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "core/cpu/blas.h"
#include "core/cpu/f32_path.h"
#include "core/cpu/parallel.h"
#include "core/error.h"
#ifdef IGCAM_WITH_CUDA
#include "cuda/memory.h"
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

int cpu_threads() { return cpu::num_threads(); }

void set_cpu_threads(int threads) {
    cpu::set_num_threads(threads);
    cpu::set_blas_threads(cpu::num_threads());
}

// The switch lives with the CUDA context, which reads it; without a CUDA backend nothing
// could use TF32.
void set_tf32(bool enabled) {
#ifdef IGCAM_WITH_CUDA
    cuda::set_tf32(enabled);
#else
    (void)enabled;
#endif
}

bool tf32_enabled() {
#ifdef IGCAM_WITH_CUDA
    return cuda::tf32_enabled();
#else
    return false;
#endif
}

Device resolve_device(const std::string& text) {
    if (text == "auto") return cuda_device_count() > 0 ? Device::cuda(0) : Device::cpu();
    const Device device = Device::parse(text);
    if (device.is_cpu()) return device;
    IGCAM_CHECK(cuda_built(), DeviceError, "--device ", text,
                ": this build has no CUDA backend (configure with -DIGCAM_CUDA=ON on a machine with the CUDA "
                "toolkit, cuBLAS and cuDNN)");
    const int count = cuda_device_count();
    IGCAM_CHECK(device.index < count, DeviceError, "--device ", text, ": ", count,
                " CUDA device(s) usable here (", backend_summary(), ")");
    return device;
}

void synchronize(Device device) {
#ifdef IGCAM_WITH_CUDA
    if (device.is_cuda()) cuda::synchronize(device.index);
#else
    (void)device;
#endif
}

std::size_t available_memory(Device device) {
#ifdef IGCAM_WITH_CUDA
    if (device.is_cuda()) return cuda::available_memory(device.index);
#else
    (void)device;
#endif
    std::size_t available = std::size_t{4} << 30;  // when /proc/meminfo cannot be read
    std::ifstream meminfo("/proc/meminfo");
    std::string key, unit;
    std::size_t kilobytes = 0;
    while (meminfo >> key >> kilobytes >> unit)
        if (key == "MemAvailable:") available = kilobytes * 1024;
    return available;
}

std::size_t release_cached_memory() {
#ifdef IGCAM_WITH_CUDA
    return cuda::empty_all_caches();
#else
    return 0;
#endif
}

std::string device_description(Device device) {
#ifdef IGCAM_WITH_CUDA
    if (device.is_cuda()) return cuda::device_name(device.index);
#else
    (void)device;
#endif
    return detail::concat("CPU (f32: ", cpu::f32_path_name(), ", f64: ", cpu::blas_name(), "; ", cpu::num_threads(),
                          " threads)");
}

std::string blas_version() { return cpu::blas_config(); }

void set_conv_algorithm(const std::string& name) {
    IGCAM_CHECK(name == "winograd" || name == "direct", ValueError, "unknown convolution algorithm '", name,
                "' (expected direct or winograd)");
    cpu::set_winograd(name == "winograd");
}

std::string conv_algorithm() { return cpu::winograd_enabled() ? "winograd" : "direct"; }

void set_bf16(bool enabled) { cpu::set_bf16(enabled); }
bool bf16_enabled() { return cpu::bf16_enabled(); }

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
