// Where a tensor's memory lives: the CPU, or CUDA device N (a CUDA build, see cuda/).
#pragma once

#include <string>

namespace igcam {

struct Device {
    enum class Kind { CPU, CUDA };
    Kind kind = Kind::CPU;
    int index = 0;

    static Device cpu() { return Device{}; }
    static Device cuda(int index) { return Device{Kind::CUDA, index}; }
    bool is_cpu() const { return kind == Kind::CPU; }
    bool is_cuda() const { return kind == Kind::CUDA; }
    std::string to_string() const;
    // Parses "cpu", "cuda" (device 0) or "cuda:N"; throws ValueError otherwise.
    static Device parse(const std::string& text);

    bool operator==(const Device& other) const = default;
};

}  // namespace igcam
