// Grad mode: a thread-local switch. Under a NoGradGuard no op records a graph, whatever
// its inputs require (inference, finite differences, Score-CAM's masked forwards).
#pragma once

namespace igcam::ag {

bool grad_enabled();

class NoGradGuard {
public:
    NoGradGuard();
    ~NoGradGuard();
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool previous_;
};

}  // namespace igcam::ag
