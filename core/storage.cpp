#include "core/storage.h"

#include <cstdlib>

#include "core/error.h"

namespace igcam {

namespace {
constexpr std::size_t kAlignment = 64;
}

void* cpu_allocate(std::size_t bytes) {
    // aligned_alloc wants a multiple of the alignment; a zero-byte tensor still gets a
    // valid (one-line) buffer so data() is never null.
    const std::size_t rounded = ((bytes + kAlignment - 1) / kAlignment) * kAlignment;
    void* pointer = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
    IGCAM_CHECK(pointer != nullptr, OutOfMemoryError, "out of memory: could not allocate ",
                bytes, " bytes on the CPU");
    return pointer;
}

void cpu_free(void* pointer) noexcept { std::free(pointer); }

std::shared_ptr<Storage> Storage::allocate(std::size_t bytes, Device device) {
    IGCAM_CHECK(device.is_cpu(), DeviceError, "cannot allocate on ", device.to_string(),
                ": the CUDA backend does not implement tensors yet; use --device cpu");
    return std::shared_ptr<Storage>(new Storage(cpu_allocate(bytes), bytes, device));
}

Storage::~Storage() {
    if (device_.is_cpu()) cpu_free(data_);
}

}  // namespace igcam
