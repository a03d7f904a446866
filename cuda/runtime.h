// What the CUDA runtime says about this machine. Free of CUDA headers, so core/ can ask.
// "No GPU" is a normal state: a missing driver or device yields 0, never an exception.
#pragma once

#include <string>

namespace igcam::cuda {

// Devices the runtime can use; 0 when there is no driver, no device, or any failure.
// Asked once; later calls return the cached answer.
int device_count() noexcept;
// "CUDA runtime 13.0, cuDNN 9.x.y, cuBLAS 13.x; N device(s)" or why none is usable.
std::string describe_runtime();

// TF32 tensor-core math for float32 convolutions and GEMMs on every device (cuDNN
// tensor-op math, cuBLAS TF32): off by default, switched by core/backend.h's set_tf32.
void set_tf32(bool enabled) noexcept;
bool tf32_enabled() noexcept;

}  // namespace igcam::cuda
