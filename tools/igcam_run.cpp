// igcam-run: the user-facing command. Today it runs the engine demonstrations; the model,
// image and CAM flags arrive with the models and CAM work.
//
// Exit codes: 0 success, 2 usage error, 3 bad input file, 4 runtime failure.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "core/backend.h"
#include "core/error.h"
#include "tools/demos.h"

namespace {
constexpr int kExitUsage = 2;
constexpr int kExitBadInput = 3;
constexpr int kExitRuntime = 4;
}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"igcam-run: explain image classifiers with Grad-CAM and Integrated Grad-CAM"};
    std::string demo;
    std::string dtype_text = "f64";
    int steps = 50;
    bool show_backend = false;
    app.add_option("--demo", demo,
                   "Run a built-in demonstration: 'sensitivity' (the saturation example of the "
                   "Integrated Grad-CAM article, on igcam's own backward pass) or 'trace' (the gradient "
                   "trace of a small conv-relu-pool-linear network)")
        ->check(CLI::IsMember({"sensitivity", "trace"}));
    app.add_option("--dtype", dtype_text, "Computation dtype: f32 or f64")
        ->check(CLI::IsMember({"f32", "f64"}))
        ->capture_default_str();
    app.add_option("--steps", steps, "Integration steps for the sensitivity demo")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    app.add_flag("--backend", show_backend, "Print the compiled backends and the devices found, then exit");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help
        std::cerr << "error: " << e.what() << "\n";
        return kExitUsage;
    }

    try {
        if (show_backend) {
            std::cout << igcam::backend_summary() << "\n";
            return 0;
        }
        if (demo.empty()) {
            std::cerr << "error: nothing to do: pass --demo sensitivity or --demo trace (see --help)\n";
            return kExitUsage;
        }
        igcam::tools::DemoOptions options;
        options.dtype = igcam::parse_dtype(dtype_text);
        options.steps = steps;
        if (demo == "sensitivity") igcam::tools::run_sensitivity_demo(options, std::cout);
        else igcam::tools::run_trace_demo(options, std::cout);
        return 0;
    } catch (const igcam::IoError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return kExitBadInput;
    } catch (const igcam::FormatError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return kExitBadInput;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return kExitRuntime;
    }
}
