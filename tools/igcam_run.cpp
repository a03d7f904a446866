// igcam-run: the user-facing command.
//   igcam-run --weights model.h5 --image cat.jpg [--topk 5]     classify
//   igcam-run --weights model.h5 --list-layers                   module tree with output shapes
//   igcam-run --demo sensitivity | trace                         engine demonstrations
//
// Exit codes: 0 success, 2 usage error, 3 bad input file (weights or image), 4 runtime
// failure. Every failure prints one line starting with "error:".
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "core/backend.h"
#include "core/error.h"
#include "models/preprocess.h"
#include "tools/demos.h"
#include "tools/inputs.h"
#include "tools/predict.h"

namespace {
constexpr int kExitUsage = 2;
constexpr int kExitBadInput = 3;
constexpr int kExitRuntime = 4;

int fail(int code, const std::string& message) {
    std::cerr << "error: " << message << "\n";
    return code;
}
}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"igcam-run: explain image classifiers with Grad-CAM and Integrated Grad-CAM"};
    std::string weights, demo, preprocess, dtype_text = "f32", device = "auto";
    std::vector<std::string> images;
    int topk = 5, steps = 50;
    bool list_layers = false, show_backend = false, info = false;

    app.add_option("-w,--weights", weights,
                   "Weight file: igcam-torch-h5 (tools/export_torchvision.py) or a PyTorch state_dict dump in HDF5");
    app.add_option("-i,--image", images, "Image file (PNG or JPEG) or a directory of them; repeatable");
    app.add_option("--topk", topk, "Print the k most likely classes per image")->check(CLI::Range(1, 100000))->capture_default_str();
    app.add_flag("--list-layers", list_layers, "Print the model's layers with their output shapes and exit");
    app.add_flag("--info", info, "Load the weights, print what the file holds and how long loading took, and exit");
    app.add_option("--preprocess", preprocess,
                   "Override the weight file's preprocessing: torchvision, torchray-voc, caffe-bgr or raw")
        ->check(CLI::IsMember(igcam::preprocess_preset_names()));
    app.add_option("--dtype", dtype_text, "Computation dtype: f32, or f64 for audits")
        ->check(CLI::IsMember({"f32", "f64"}))
        ->capture_default_str();
    app.add_option("--device", device, "Where to compute: auto or cpu (CUDA arrives with the CUDA backend)")
        ->check(CLI::IsMember({"auto", "cpu"}))
        ->capture_default_str();
    app.add_option("--demo", demo,
                   "Run a built-in demonstration: 'sensitivity' (the saturation example of the Integrated "
                   "Grad-CAM article, on igcam's own backward pass) or 'trace' (the gradient trace of a small "
                   "conv-relu-pool-linear network)")
        ->check(CLI::IsMember({"sensitivity", "trace"}));
    app.add_option("--steps", steps, "Integration steps for the sensitivity demo")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    app.add_flag("--backend", show_backend, "Print the compiled backends and the devices found, then exit");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help
        return fail(kExitUsage, e.what());
    }

    try {
        const igcam::DType dtype = igcam::parse_dtype(dtype_text);
        if (show_backend) {
            std::cout << igcam::backend_summary() << "\n";
            return 0;
        }
        if (!demo.empty()) {
            igcam::tools::DemoOptions options;
            options.dtype = dtype;
            options.steps = steps;
            if (demo == "sensitivity") igcam::tools::run_sensitivity_demo(options, std::cout);
            else igcam::tools::run_trace_demo(options, std::cout);
            return 0;
        }
        if (weights.empty())
            return fail(kExitUsage, "nothing to do: pass --weights FILE with --image, --list-layers or --info, or "
                                    "--demo NAME (see --help)");
        igcam::tools::PredictOptions options;
        options.weights = weights;
        options.preprocess = preprocess;
        options.topk = topk;
        options.dtype = dtype;
        options.images = igcam::tools::collect_image_paths(images);
        if (info) {
            igcam::tools::run_info(options, std::cout);
            return 0;
        }
        if (list_layers) {
            igcam::tools::run_list_layers(options, std::cout);
            return 0;
        }
        if (options.images.empty()) return fail(kExitUsage, "--weights needs --image (or --list-layers or --info)");
        igcam::tools::run_predict(options, std::cout);
        return 0;
    } catch (const igcam::IoError& e) {
        return fail(kExitBadInput, e.what());
    } catch (const igcam::FormatError& e) {
        return fail(kExitBadInput, e.what());
    } catch (const std::exception& e) {
        return fail(kExitRuntime, e.what());
    }
}
