#include "tools/progress_bar.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace igcam::tools {

namespace {
constexpr int kWidth = 30;
constexpr auto kDelay = std::chrono::seconds(1);
constexpr auto kRedraw = std::chrono::milliseconds(100);
constexpr auto kLineInterval = std::chrono::seconds(5);

// "23m36s", "1h02m", "7s".
std::string duration_text(double seconds) {
    const long long s = static_cast<long long>(seconds + 0.5);
    char text[32];
    if (s >= 3600) std::snprintf(text, sizeof text, "%lldh%02lldm", s / 3600, s % 3600 / 60);
    else if (s >= 60) std::snprintf(text, sizeof text, "%lldm%02llds", s / 60, s % 60);
    else std::snprintf(text, sizeof text, "%llds", s);
    return text;
}
}  // namespace

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(bool enabled, Style style)
    : enabled_(enabled && (style == Lines || stderr_is_terminal())), style_(style) {}

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
    if (style_ == Lines) {
        if (now - last_draw_ >= kLineInterval || (done == total && !drawn_)) {
            last_draw_ = now;
            draw_line(done, total, std::chrono::duration<double>(now - started_).count());
            drawn_ = done == total;  // the final line once
        }
        return;
    }
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

void ProgressBar::draw_line(long long done, long long total, double seconds) {
    char numbers[96];
    std::snprintf(numbers, sizeof numbers, ": %lld/%lld images (%.1f %%)", done, total,
                  100.0 * static_cast<double>(done) / static_cast<double>(total));
    std::string line = label_ + numbers;
    if (done > 0 && seconds > 0) {
        std::snprintf(numbers, sizeof numbers, ", %.3g images/s", static_cast<double>(done) / seconds);
        line.append(numbers);
        if (done < total)
            line.append(", ").append(duration_text(seconds * static_cast<double>(total - done) / static_cast<double>(done))).append(" left");
        else
            line.append(", done in ").append(duration_text(seconds));
    }
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
}

void ProgressBar::end() {
    if (style_ == Lines) {
        drawn_ = false;
        return;
    }
    if (drawn_) {
        std::fprintf(stderr, "\r%*s\r", 100, "");
        std::fflush(stderr);
    }
    drawn_ = false;
}

}  // namespace igcam::tools
