// What igcam's command-line tools share: exit codes, the error line, the methods' help.
#pragma once

#include <iostream>
#include <string>

#include "cam/registry.h"
#include "core/error.h"
#include "tools/usage_error.h"

namespace igcam::tools {

constexpr int kExitUsage = 2;      // a bad flag, an unknown layer, class, method or metric
constexpr int kExitBadInput = 3;   // weights, images or a dataset that cannot be read
constexpr int kExitRuntime = 4;    // anything else that stopped the run

// Prints "error: MESSAGE" on stderr and returns `code`, for main() to return.
inline int fail(int code, const std::string& message) {
    std::cerr << "error: " << message << "\n";
    return code;
}

// "INTRO" and one line per registered method, for --method's help.
inline std::string method_help(const std::string& intro) {
    std::string text = intro;
    for (const cam::MethodSpec& m : cam::method_registry()) text.append("\n  ").append(m.name).append(": ").append(m.description);
    return text;
}

// Runs a tool's job and maps what it throws to an exit code and one error line: UsageError
// 2, IoError and FormatError 3, anything else 4; otherwise returns what `job` returns.
template <typename Job>
int run_with_exit_codes(Job&& job) {
    try {
        return job();
    } catch (const UsageError& e) {
        return fail(kExitUsage, e.what());
    } catch (const IoError& e) {
        return fail(kExitBadInput, e.what());
    } catch (const FormatError& e) {
        return fail(kExitBadInput, e.what());
    } catch (const std::exception& e) {
        return fail(kExitRuntime, e.what());
    }
}

}  // namespace igcam::tools
