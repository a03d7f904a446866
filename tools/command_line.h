// What igcam's command-line tools share: exit codes, the error line, the methods' help.
#pragma once

#include <exception>
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

// Thrown on the ranks of an MPI job that did not fail when another rank's step failed
// (tools/ranks.h): that rank printed the error; these leave with its exit code, silently.
struct QuietExit {
    int code;
};

// The exit code run_with_exit_codes gives what `error` holds.
inline int exit_code_of(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const QuietExit& e) {
        return e.code;
    } catch (const UsageError&) {
        return kExitUsage;
    } catch (const IoError&) {
        return kExitBadInput;
    } catch (const FormatError&) {
        return kExitBadInput;
    } catch (...) {
        return kExitRuntime;
    }
}

// Runs a tool's job and maps what it throws to an exit code and one error line: UsageError
// 2, IoError and FormatError 3, anything else 4; otherwise returns what `job` returns.
template <typename Job>
int run_with_exit_codes(Job&& job) {
    try {
        return job();
    } catch (const QuietExit& e) {
        return e.code;
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
