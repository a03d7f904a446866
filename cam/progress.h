// Progress reporting for long CAM computations: called with (done, total) units of work
// (IG-CAM steps, Score-CAM / Ablation-CAM channels). Tools draw a bar; tests pass nothing.
#pragma once

#include <cstdint>
#include <functional>

namespace igcam::cam {

using Progress = std::function<void(int64_t done, int64_t total)>;

inline void report(const Progress& progress, int64_t done, int64_t total) {
    if (progress) progress(done, total);
}

}  // namespace igcam::cam
