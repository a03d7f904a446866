// parallel_for: splits [0, count) into contiguous ranges run on a small persistent thread
// pool (one thread per core, or IGCAM_NUM_THREADS). Nested calls run inline, so kernels
// can call it freely. Workers sleep on a condition variable, never spin, so they do not
// steal cores from OpenBLAS between our loops.
//
// With oneDNN built on OpenMP (IGCAM_PARALLEL_OPENMP), the ranges run on OpenMP's team
// instead, the same threads that run oneDNN's convolutions: libgomp's threads spin for a
// while after each parallel region (GOMP_SPINCOUNT), and a second pool beside them got
// only part of the cores (on 2 cores ResNet-50's batch-norm, ReLU and pooling ran at
// about half speed right after each convolution).
#pragma once

#include <cstdint>
#include <functional>

namespace igcam::cpu {

// Runs body(begin, end) over disjoint ranges covering [0, count). Ranges hold at least
// `min_per_thread` items, so tiny loops stay on the calling thread.
void parallel_for(int64_t count, int64_t min_per_thread,
                  const std::function<void(int64_t begin, int64_t end)>& body);

// Threads parallel_for uses (including the caller).
int num_threads();
// Sets that count (clamped to 1..256) instead of IGCAM_NUM_THREADS or one per core; only
// before the count is first used (std::logic_error after, unless it is the same count).
void set_num_threads(int threads);

}  // namespace igcam::cpu
