#include "core/storage.h"

#include "core/error.h"

namespace igcam {

std::shared_ptr<Storage> Storage::allocate(std::size_t bytes, Device device) {
    IGCAM_CHECK(device.is_cpu(), DeviceError, "cannot allocate on ", device.to_string(),
                ": the CUDA backend does not implement tensors yet; use --device cpu");
    return std::shared_ptr<Storage>(new Storage(cpu_allocate(bytes), bytes, device));
}

Storage::~Storage() {
    if (device_.is_cpu()) cpu_free(data_);
}

}  // namespace igcam
