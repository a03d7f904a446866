// IG-CAM under a memory budget, on any device: shared by the CPU suite and the GPU suite.
#pragma once

#include "core/device.h"
#include "core/dtype.h"

namespace igcam::test {

// Explains a random ResNet once without a budget (batch 16, one pass) and once with a
// storage budget between the peak of a one-row pass and that of the 16-row pass: the second
// run must run out of memory, retry at smaller chunks, and give the same map (within
// `tolerance` relative) and the same completeness sums.
void check_memory_fallback(Device device, DType dtype, double tolerance);

}  // namespace igcam::test
