// One number as printf would write it ("%.6g", "%.3f"), for the tools' tables, reports
// and plots.
#pragma once

#include <cstdio>
#include <string>

namespace igcam::tools {

inline std::string number_text(double value, const char* pattern) {
    char text[64];
    std::snprintf(text, sizeof text, pattern, value);
    return text;
}

}  // namespace igcam::tools
