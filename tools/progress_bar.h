// A progress bar on stderr for work that takes more than a second: IG-CAM steps, Score-CAM
// and Ablation-CAM channel batches, many images. Silent with --quiet or when stderr is not
// a terminal, and it only appears once a task has run for a second.
//
// As lines (ProgressBar::Lines), for an MPI job's rank 0, whose stderr mpirun collects
// through a pipe (and a batch system into a log): a line every 5 s and one at the end,
// "evaluating: 120/4952 images (2.4 %), 3.41 images/s, 23m36s left", terminal or not.
#pragma once

#include <chrono>
#include <string>

namespace igcam::tools {

class ProgressBar {
public:
    enum Style { Bar, Lines };
    explicit ProgressBar(bool enabled, Style style = Bar);
    ~ProgressBar();
    // Starts a task labelled `label` ("cat.png igcam").
    void begin(const std::string& label);
    void update(long long done, long long total);
    // Clears the line.
    void end();

private:
    void draw_line(long long done, long long total, double seconds);

    bool enabled_;
    Style style_;
    bool drawn_ = false;
    std::string label_;
    std::chrono::steady_clock::time_point started_, last_draw_;
};

// True when stderr is a terminal.
bool stderr_is_terminal();

}  // namespace igcam::tools
