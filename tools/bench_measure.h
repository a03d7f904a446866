// What igcam-bench measures besides the methods themselves: run times with peak memory,
// the arithmetic of a forward pass, and the practical peak rates of the CPU paths.
#pragma once

#include <functional>

#include "core/tensor.h"
#include "models/model.h"

namespace igcam::bench {

struct Timing {
    double median_ms = 0, min_ms = 0;
    int repeats = 0;
    // Peak resident memory during the warm-up and timed runs, above the resident memory
    // just before them (Linux: VmHWM after resetting it, minus VmRSS, with glibc's spare
    // memory returned first), in MiB.
    double peak_rss_growth_mib = 0;
    // On a GPU: the peak bytes of live tensor storage on the device during the runs, above
    // what was live before them, in MiB (cuDNN workspaces and cached blocks not counted).
    double peak_device_growth_mib = 0;
};

// Median and minimum over `repeats` timed runs of fn, after `warmup` untimed ones; each run
// is timed until `device` has finished its work.
Timing time_runs(int warmup, int repeats, const std::function<void()>& fn, Device device = Device::cpu());

// Multiply-adds x 2 of every Conv2d and Linear in a forward pass of `input`, from the
// shapes that pass records.
double forward_flops(const models::Model& model, const Tensor& input);

// GFLOP/s, best of a few runs through the op API, float32, on `device`:
// a GEMM (ops::linear_forward: the CPU BLAS, 1024 x 2048 x 2048; cuBLAS, 8192 x 8192 x 8192) ...
double gemm_gflops(Device device = Device::cpu());
// ... and a 3x3 convolution, 256 -> 256 channels at 56 x 56, batch 1 on the CPU and 32 on a
// GPU (ops::conv2d_forward: oneDNN when the build has it, else im2col + BLAS; cuDNN).
double conv_gflops(Device device = Device::cpu());

}  // namespace igcam::bench
