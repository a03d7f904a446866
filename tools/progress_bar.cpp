#include "tools/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace igcam::tools {

namespace {
constexpr int kWidth = 30;
constexpr auto kDelay = std::chrono::seconds(1);
constexpr auto kRedraw = std::chrono::milliseconds(100);
}  // namespace

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(bool enabled) : enabled_(enabled && stderr_is_terminal()) {}

ProgressBar::~ProgressBar() { end(); }

void ProgressBar::begin(const std::string& label) {
    end();
    label_ = label;
    started_ = std::chrono::steady_clock::now();
    last_draw_ = started_;
}

void ProgressBar::update(long long done, long long total) {
    if (!enabled_ || total <= 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - started_ < kDelay || (now - last_draw_ < kRedraw && done < total)) return;
    last_draw_ = now;
    const int filled = static_cast<int>(kWidth * done / total);
    const double seconds = std::chrono::duration<double>(now - started_).count();
    // Rate and time left once something is done: "12/100 6.0s 2.0/s 44s left".
    char rate[64] = "";
    if (done > 0 && seconds > 0)
        std::snprintf(rate, sizeof rate, " %.1f/s %.0fs left", static_cast<double>(done) / seconds,
                      seconds * static_cast<double>(total - done) / static_cast<double>(done));
    std::fprintf(stderr, "\r%-28.28s [%.*s%*s] %lld/%lld %5.1fs%s", label_.c_str(), filled,
                 "##############################", kWidth - filled, "", done, total, seconds, rate);
    std::fflush(stderr);
    drawn_ = true;
}

void ProgressBar::end() {
    if (drawn_) {
        std::fprintf(stderr, "\r%*s\r", 100, "");
        std::fflush(stderr);
    }
    drawn_ = false;
}

}  // namespace igcam::tools
