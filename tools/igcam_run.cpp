// igcam-run: the user-facing command.
//   igcam-run --weights m.h5 --image cat.jpg --method gradcam,igcam --out out/   explain
//   igcam-run --weights m.h5 --image cat.jpg [--topk 5]                          classify only
//   igcam-run --weights m.h5 --list-layers | --info                              inspect
//   igcam-run --demo sensitivity | trace                                         engine demos
//
// Exit codes: 0 success, 2 usage error (bad flag, unknown layer, class or method),
// 3 bad input file (weights or image), 4 runtime failure. Every failure prints one line
// starting with "error:" and leaves no output file behind.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "cam/colormap.h"
#include "cam/igcam.h"
#include "cam/registry.h"
#include "core/backend.h"
#include "core/error.h"
#include "models/preprocess.h"
#include "tools/command_line.h"
#include "tools/demos.h"
#include "tools/explain.h"
#include "tools/inputs.h"
#include "tools/predict.h"
#include "tools/ranks.h"
#include "tools/start_ranks.h"
#include "tools/usage_error.h"

namespace {
using igcam::tools::fail;
using igcam::tools::kExitBadInput;
using igcam::tools::kExitRuntime;
using igcam::tools::kExitUsage;

std::vector<const igcam::cam::MethodSpec*> parse_methods(const std::string& list) {
    try {
        return igcam::cam::parse_method_list(list);
    } catch (const igcam::ValueError& e) {
        throw igcam::tools::UsageError(e.what());
    }
}
}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"igcam-run: explain image classifiers with Grad-CAM, Integrated Grad-CAM and the CAM family"};
    std::string weights, demo, preprocess, dtype_text = "f32", device = "auto", method_list, out_dir;
    std::string layer, class_spec, baseline = "black", preset = "default", colormap = "jet", dump;
    std::string riemann, delta, relu, reduce, conv;
    std::vector<std::string> images;
    int topk = 5, steps = 0;
    int64_t batch = 0;
    double alpha = 0.5;
    bool list_layers = false, show_backend = false, info = false, json = false, trace = false, quiet = false;
    bool tf32 = false, report = false, bf16 = false;

    app.add_option("-w,--weights", weights,
                   "Weight file, its kind read from its contents: a torch.save state dict or checkpoint (.pth/.pt), "
                   "a .safetensors file (F32, F64, F16, BF16), igcam-torch-h5 (tools/export_torchvision.py), a PyTorch "
                   "state_dict dump in HDF5, or a Keras .h5 / .weights.h5 / .keras file");
    app.add_option("-i,--image", images, "Image file (PNG or JPEG) or a directory of them; repeatable");
    app.add_option("-m,--method", method_list, igcam::tools::method_help("CAM methods, comma-separated, or 'all':") +
                   "\nWith --method, --out, --json, --trace, --report or --dump, igcam-run explains and writes files (default "
                   "methods: gradcam,igcam); without any of them it only classifies");
    app.add_option("-o,--out", out_dir, "Output directory for overlays, raw maps, the grid and report.json "
                                        "(default igcam-out)");
    app.add_option("--layer", layer, "Target layer by module name (layer4, layer4.2, features.29; see --list-layers) "
                                     "or Keras layer name (conv5_block3_out, block5_conv3); default: ResNet's last "
                                     "stage, VGG's ReLU after the last conv");
    app.add_option("--class", class_spec, "Target class: an index or a class name; default: each image's top-1");
    app.add_option("--topk", topk, "Classes to list per image")->check(CLI::Range(1, 100000))->capture_default_str();
    app.add_option("--steps", steps, "IG-CAM steps m (default 50; also the sensitivity demo's steps)")
        ->check(CLI::Range(1, 100000));
    app.add_option("--riemann", riemann, "IG-CAM path points: right (j/m, j=1..m; default), left (j=0..m-1), middle, trapezoid")
        ->check(CLI::IsMember({"left", "right", "middle", "trapezoid"}));
    app.add_option("--delta", delta, "IG-CAM feature maps: baseline (A(x_j) - A(x'); default) or none (A(x_j))")
        ->check(CLI::IsMember({"baseline", "none"}));
    app.add_option("--relu", relu, "IG-CAM ReLU: per_step (default) or final (once, on the sum)")
        ->check(CLI::IsMember({"per_step", "final"}));
    app.add_option("--reduce", reduce, "IG-CAM reduction over steps: mean (default) or sum")
        ->check(CLI::IsMember({"mean", "sum"}));
    app.add_option("--baseline", baseline, "IG-CAM baseline: black (a black image, preprocessed), zero (a zero model "
                                           "input) or an image file")->capture_default_str();
    app.add_option("--igcam-preset", preset, "IG-CAM preset: default, or notebook (the authors' released notebook: left "
                                             "sum, no delta, per-step ReLU, plain sum, zero baseline, 50 steps); "
                                             "explicit knobs override it")
        ->check(CLI::IsMember({"default", "notebook"}))->capture_default_str();
    app.add_option("--batch", batch, "Images per pass across the run (images are grouped by size), and rows per pass "
                                     "for IG-CAM steps, Score-CAM masks and ablations, which fill passes across "
                                     "images; a pass that runs out of memory is retried at half its rows; default: "
                                     "from available memory, at most 16 on the CPU and 64 on a GPU")->check(CLI::Range(int64_t{1}, int64_t{4096}));
    app.add_option("--colormap", colormap, "Heatmap colours: jet or turbo (matplotlib's)")
        ->check(CLI::IsMember({"jet", "turbo"}))->capture_default_str();
    app.add_option("--alpha", alpha, "Heatmap opacity in the overlays")->check(CLI::Range(0.0, 1.0))->capture_default_str();
    app.add_flag("--json", json, "Print report.json to stdout instead of the summary");
    app.add_flag("--trace", trace, "Print the gradient trace from the class score down to the target layer "
                                   "(op, name, shape, gradient L2 norm, min, max, fraction of zeros)");
    app.add_flag("--report", report, "Also write OUT/report.html: one self-contained page (open it in any browser, "
                                     "offline) with each image's input and overlays, IG-CAM's path plotted (score, "
                                     "gradient norm, completeness, per-step maps), the gradient trace as a diagram "
                                     "and each method's formula and parameters; the first 16 images. With --demo "
                                     "sensitivity: the demo's page and report.json in OUT");
    app.add_option("--dump", dump, "Write the input, the layer's activations and gradients (every IG-CAM step's too) "
                                   "and every raw map to this HDF5 file");
    app.add_flag("-q,--quiet", quiet, "No progress bar (under MPI: no progress lines)");
    app.add_flag("--list-layers", list_layers, "Print the model's layers with their output shapes and exit");
    app.add_flag("--info", info, "Load the weights, print what the file holds and how long loading took, and exit");
    app.add_option("--preprocess", preprocess,
                   "Override the weight file's preprocessing: torchvision, torchray-voc, caffe-bgr or raw")
        ->check(CLI::IsMember(igcam::models::preprocess_preset_names()));
    app.add_option("--dtype", dtype_text, "Computation dtype: f32, or f64 for audits")
        ->check(CLI::IsMember({"f32", "f64"}))->capture_default_str();
    app.add_option("--device", device, "Where to compute: auto (the first CUDA GPU when one is usable, else the "
                                       "CPU), cpu, cuda or cuda:N")
        ->capture_default_str();
    app.add_option("--conv", conv, "Float32 convolutions on the CPU: direct, or winograd (3x3 stride-1 ones as Winograd F(4x4, 3x3) "
                 "where oneDNN has it: faster, rounding up to 2.4e-6 relative per layer against 3e-7 direct, and an "
                 "image's maps then differ at that level with the batch it is in); default: IGCAM_CONV, else direct")
        ->check(CLI::IsMember({"direct", "winograd"}));
    app.add_flag("--bf16", bf16, "On the CPU, float32 convolutions read bfloat16 copies of their input and weights "
                                 "(float32 accumulation and output; needs AVX512-BF16; maps then differ from "
                                 "float32 by about 1e-2 relative). Off by default; recorded in the report");
    app.add_flag("--tf32", tf32, "On a GPU, let float32 convolutions and GEMMs use TF32 tensor cores (faster; "
                                 "maps then differ from strict float32 by about 1e-3 relative). Off by default");
    app.add_option("--demo", demo,
                   "Run a built-in demonstration: 'sensitivity' (the saturation example of the Integrated "
                   "Grad-CAM article, on igcam's own backward pass) or 'trace' (the gradient trace of a small "
                   "conv-relu-pool-linear network)")
        ->check(CLI::IsMember({"sensitivity", "trace"}));
    app.add_flag("--backend", show_backend, "Print the compiled backends and the devices found, then exit");

    app.footer(igcam::tools::mpi_help("igcam-run --image DIR", "explains", "writes every file and report.json "
                                      "(whose \"ranks\" says how many ran), as one process would; --info, "
                                      "--list-layers, --backend, --demo and classifying without --out run on rank 0 "
                                      "alone; --dump is one process's"));

    int exit_code = 0;
    igcam::tools::Ranks* started = igcam::tools::start_ranks_and_parse(app, argc, argv, exit_code);
    if (started == nullptr) return exit_code;
    igcam::tools::Ranks& ranks = *started;
    return ranks.exit(igcam::tools::run_with_exit_codes([&]() -> int {
        igcam::tools::ExplainOptions o;
        bool explain = false;
        // Every rank reads the flags (an MPI job reports a mistake once); what is not
        // explaining runs on rank 0 alone.
        ranks.together([&] {
                const igcam::DType dtype = igcam::parse_dtype(dtype_text);
            if (!conv.empty()) igcam::set_conv_algorithm(conv);
            if (bf16) {
                try {
                    igcam::set_bf16(true);
                } catch (const igcam::ValueError& e) {
                    throw igcam::tools::UsageError(std::string("--bf16: ") + e.what());
                }
            }
            if (show_backend) {
                if (ranks.root()) std::cout << igcam::backend_summary() << "\n";
                return;
            }
            igcam::Device where;
            try {
                where = igcam::tools::rank_device(device, ranks);
            } catch (const igcam::Error& e) {
                throw igcam::tools::UsageError(e.what());
            }
            if (bf16 && where.is_cuda())
                throw igcam::tools::UsageError("--bf16 runs on the CPU only (not on " + where.to_string() +
                                               " yet): pass --device cpu");
            igcam::set_tf32(tf32);
            if (!demo.empty()) {
                igcam::tools::DemoOptions options;
                options.dtype = dtype;
                if (steps > 0) options.steps = steps;
                if (report) options.report_dir = out_dir.empty() ? "igcam-out" : out_dir;
                if (!ranks.root()) return;
                if (demo == "sensitivity") igcam::tools::run_sensitivity_demo(options, std::cout);
                else igcam::tools::run_trace_demo(options, std::cout);
                return;
            }
            if (weights.empty())
                throw igcam::tools::UsageError("nothing to do: pass --weights FILE with --image, --list-layers or "
                                               "--info, or --demo NAME (see --help)");
            igcam::tools::PredictOptions predict;
            predict.weights = weights;
            predict.preprocess = preprocess;
            predict.topk = topk;
            predict.dtype = dtype;
            predict.device = where;
            predict.images = igcam::tools::collect_image_paths(images);
            if (info) {
                if (ranks.root()) igcam::tools::run_info(predict, std::cout);
                return;
            }
            if (list_layers) {
                if (ranks.root()) igcam::tools::run_list_layers(predict, std::cout);
                return;
            }
            if (predict.images.empty())
                throw igcam::tools::UsageError("--weights needs --image (or --list-layers or --info)");
            if (method_list.empty() && out_dir.empty() && !json && !trace && !report && dump.empty()) {
                if (ranks.root()) igcam::tools::run_predict(predict, std::cout);
                return;
            }

            explain = true;
            o.weights = weights;
            o.images = predict.images;
            o.methods = parse_methods(method_list.empty() ? "gradcam,igcam" : method_list);
            o.layer = layer;
            o.class_spec = class_spec;
            o.preprocess = preprocess;
            o.topk = topk;
            o.igcam_preset = preset;
            o.igcam = igcam::cam::igcam_preset(preset);
            if (preset == "notebook" && app.count("--baseline") == 0) baseline = "zero";
            if (steps > 0) o.igcam.steps = steps;
            if (!riemann.empty()) o.igcam.riemann = igcam::cam::parse_riemann(riemann);
            if (!delta.empty()) o.igcam.delta = igcam::cam::parse_delta(delta);
            if (!relu.empty()) o.igcam.relu = igcam::cam::parse_step_relu(relu);
            if (!reduce.empty()) o.igcam.reduce = igcam::cam::parse_reduction(reduce);
            o.baseline = baseline;
            o.dtype = dtype;
            o.batch = batch;
            o.colormap = igcam::cam::parse_colormap(colormap);
            o.alpha = alpha;
            o.out_dir = out_dir.empty() ? "igcam-out" : out_dir;
            o.json = json;
            o.trace = trace;
            o.report = report;
            o.dump = dump;
            o.quiet = quiet;
            o.device = where;
            for (int i = 0; i < argc; ++i) o.command_line += (i ? " " : "") + std::string(argv[i]);
        });
        if (explain) igcam::tools::run_explain(o, std::cout, ranks);
        return 0;
    }));
}
