// Which backends this build has and what the machine offers, for --device auto and reports.
#pragma once

#include <string>

namespace igcam {

// True when the CUDA backend was compiled in (IGCAM_CUDA=AUTO found it, or ON).
bool cuda_built();
// CUDA devices usable now (0 without a build, a driver or a device). IGCAM_DEVICE=cpu
// forces 0.
int cuda_device_count();
// One line for logs and reports: BLAS, threads, the float32 convolution path, CUDA state.
std::string backend_summary();

// The BLAS build ("OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64").
std::string blas_version();

}  // namespace igcam
