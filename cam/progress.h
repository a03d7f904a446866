// Progress reporting for long CAM computations: called with (done, total) units of work
// (IG-CAM steps, Score-CAM / Ablation-CAM channels). Tools draw a bar; tests pass nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace igcam::cam {

using Progress = std::function<void(int64_t done, int64_t total)>;

inline void report(const Progress& progress, int64_t done, int64_t total) {
    if (progress) progress(done, total);
}

// A whole run's progress, task by task (a method on a batch of images): each task begins
// with a label ("images 17-32 of 200, igcam"), advances, and ends. Any part may be empty.
struct ProgressSink {
    std::function<void(const std::string& task)> begin;
    Progress update;
    std::function<void()> end;
};

}  // namespace igcam::cam
