// A progress bar on stderr for work that takes more than a second: IG-CAM steps, Score-CAM
// and Ablation-CAM channel batches, many images. Silent with --quiet or when stderr is not
// a terminal, and it only appears once a task has run for a second.
#pragma once

#include <chrono>
#include <string>

namespace igcam::tools {

class ProgressBar {
public:
    explicit ProgressBar(bool enabled);
    ~ProgressBar();
    // Starts a task labelled `label` ("cat.png igcam").
    void begin(const std::string& label);
    void update(long long done, long long total);
    // Clears the line.
    void end();

private:
    bool enabled_;
    bool drawn_ = false;
    std::string label_;
    std::chrono::steady_clock::time_point started_, last_draw_;
};

// True when stderr is a terminal.
bool stderr_is_terminal();

}  // namespace igcam::tools
