// Which backends this build has and what the machine offers, for --device auto and reports.
#pragma once

#include <cstddef>
#include <string>

#include "core/device.h"

namespace igcam {

// True when the CUDA backend was compiled in (IGCAM_CUDA=AUTO found it, or ON).
bool cuda_built();
// CUDA devices usable now (0 without a build, a driver or a device). IGCAM_DEVICE=cpu
// forces 0.
int cuda_device_count();
// Threads igcam's CPU work runs on (IGCAM_NUM_THREADS, else one per core).
int cpu_threads();
// Sets that count, for igcam's loops, oneDNN and the BLAS alike; only before any CPU work
// (std::logic_error after, unless it is the same count). An MPI rank gets its share of the
// node's cores this way.
void set_cpu_threads(int threads);
// One line for logs and reports: BLAS, threads, the float32 convolution path, CUDA state.
std::string backend_summary();

// TF32 tensor-core math for float32 convolutions and GEMMs on the GPU (cuDNN tensor-op
// math, cuBLAS TF32). Off by default: strict IEEE float32 with FMA. Inputs are rounded to
// 10-bit mantissas when on, so maps differ from the CPU by about 1e-3 relative. A build
// without the CUDA backend has no TF32: tf32_enabled() stays false.
void set_tf32(bool enabled);
bool tf32_enabled();

// How float32 convolutions on the CPU are computed: "direct" (the default, or IGCAM_CONV), or
// "winograd": 3x3 stride-1 convolutions as oneDNN's Winograd F(4x4, 3x3) where it has a
// kernel for the shape (faster; results differ at the rounding level with the batch an image
// is in). float64 never uses Winograd. ValueError for other text.
void set_conv_algorithm(const std::string& name);
std::string conv_algorithm();

// bfloat16 inputs and weights for float32 convolutions on the CPU (float32 accumulation and
// output), off by default. ValueError naming the CPU's instruction set where it lacks
// AVX512-BF16, or where float32 does not run on oneDNN. Not on a GPU yet.
void set_bf16(bool enabled);
bool bf16_enabled();

// Picks the device for --device: "auto" is cuda:0 when a CUDA device is usable, else the
// CPU; "cpu", "cuda" and "cuda:N" are taken as written. Throws ValueError for other text
// and DeviceError for a CUDA device this build or machine does not have.
Device resolve_device(const std::string& text);
// Waits until the device has finished the work queued so far (nothing on the CPU, whose
// ops are synchronous). For timing.
void synchronize(Device device);
// Bytes the device can still give to tensors: MemAvailable on the CPU; free device memory
// plus the allocator's cached blocks on a GPU.
std::size_t available_memory(Device device);
// Hands the blocks the GPU allocator keeps for reuse, on every device, back to the driver,
// after the work queued on them; returns the bytes released (0 where no GPU block is
// cached, and always without a CUDA build). The CPU allocator's kept blocks are not touched.
std::size_t release_cached_memory();
// "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB)" or the CPU summary, for reports.
std::string device_description(Device device);

// The BLAS build ("OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64").
std::string blas_version();

}  // namespace igcam
