// igcam-eval: the CAM methods' localisation and fidelity, measured on a dataset.
//   igcam-eval --weights m.h5 --data VOC2007 [--split test] [--method all] [--metrics ...] [--out DIR] [--resume]
//
// Exit codes: 0 every image evaluated, 2 usage error (bad flag, unknown layer, method or
// metric, a rows file of other settings), 3 bad weights or a dataset that cannot be read at
// all, 4 runtime failure, 5 the run finished but some images failed (each named on stderr
// with "error:" and recorded in rows.jsonl as a failed row).
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "cam/igcam.h"
#include "cam/registry.h"
#include "core/backend.h"
#include "core/error.h"
#include "eval/metric_registry.h"
#include "models/preprocess.h"
#include "tools/evaluate.h"
#include "tools/ranks.h"
#include "tools/start_ranks.h"
#include "tools/command_line.h"
#include "tools/usage_error.h"

namespace {
using igcam::tools::fail;
using igcam::tools::kExitBadInput;
using igcam::tools::kExitRuntime;
using igcam::tools::kExitUsage;

std::string metric_help() {
    std::string text = "Metrics, comma-separated, 'default' (those without a *) or 'all':";
    for (const igcam::eval::MetricSpec& m : igcam::eval::metric_registry())
        text += "\n  " + m.name + (m.by_default ? "" : "*") + ": " + m.description;
    return text;
}

template <typename T, typename F>
T usage(F&& parse) {
    try {
        return parse();
    } catch (const igcam::ValueError& e) {
        throw igcam::tools::UsageError(e.what());
    }
}
}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"igcam-eval: the CAM methods' localisation (EBPG, Bbox, pointing game) and fidelity (Average Drop, "
                 "Increase in Confidence, deletion, insertion) on a dataset, with 95 % bootstrap intervals"};
    igcam::tools::EvaluateOptions o;
    std::string method_list = "gradcam,gradcam++,igcam", metric_list = "default", dtype_text = "f32", device = "auto";
    std::string score = "softmax", space = "pixel", target = "mixed", ties = "fraction", riemann, delta, relu, reduce;
    std::string preset = "default", conv;
    int igcam_steps = 0;
    bool tf32 = false, no_timings = false;

    app.add_option("-w,--weights", o.weights, "Weight file (as igcam-run: torch.save .pth, .safetensors, igcam-torch-h5, a state_dict in HDF5, Keras .h5 / .weights.h5 / .keras)")
        ->required();
    app.add_option("-d,--data", o.data,
                   "The dataset: a VOC-layout folder (JPEGImages/<id>.jpg, Annotations/<id>.xml with 1-based inclusive "
                   "boxes, optional ImageSets/Main/<split>.txt; ImageNet box XMLs in the same layout with --synsets), or "
                   "a .csv file with lines image,class,xmin,ymin,xmax,ymax[,difficult]: 0-based half-open pixel boxes "
                   "(columns xmin..xmax-1, rows ymin..ymax-1), class a name or index, image paths relative to the CSV, "
                   "an optional header line starting with 'image,'")
        ->required();
    app.add_option("--split", o.dataset.split, "VOC split: ImageSets/Main/<split>.txt; when the file is missing and "
                                               "--split was not given, every annotation is used")
        ->capture_default_str();
    app.add_option("--images", o.dataset.images_dir, "Image folder (default DATA/JPEGImages)");
    app.add_option("--annotations", o.dataset.annotations_dir, "Annotation folder (default DATA/Annotations)");
    app.add_option("--synsets", o.dataset.synsets,
                   "ImageNet: a file whose lines start with the WordNet ids in class order (LOC_synset_mapping.txt; "
                   "torchvision's order is the sorted order of the 1000 ids); XML names are looked up there");
    app.add_option("-m,--method", method_list, igcam::tools::method_help("CAM methods, comma-separated, or 'all' (default: gradcam,gradcam++,igcam, the paper's three):"))->capture_default_str();
    app.add_option("--metrics", metric_list, metric_help())->capture_default_str();
    app.add_option("--score", score, "The confidence the fidelity metrics read: softmax (probability), logit, sigmoid")
        ->check(CLI::IsMember({"softmax", "logit", "sigmoid"}))->capture_default_str();
    app.add_option("--mask-space", space, "Fidelity masks: pixel (the map multiplies the image's pixels, removed "
                                          "pixels turn black) or normalised (it multiplies the model input: removed "
                                          "pixels become the mean colour); also the deletion substrate")
        ->check(CLI::IsMember({"pixel", "normalised"}))->capture_default_str();
    app.add_option("--target", target, "Classes explained: mixed (localisation: every class present; fidelity: the "
                                        "top-1), gt (every class present for both), top1 (the top-1 for both)")
        ->check(CLI::IsMember({"mixed", "gt", "top1"}))->capture_default_str();
    app.add_option("--ties", ties, "Bbox: pixels tied at the n-th value count fractionally (fraction) or in raster "
                                   "order (raster, as Quantus and IBA)")
        ->check(CLI::IsMember({"fraction", "raster"}))->capture_default_str();
    app.add_option("--tolerance", o.tolerance, "Pointing game tolerance in pixels of the original image")
        ->check(CLI::PositiveNumber)->capture_default_str();
    app.add_option("--max-box-fraction", o.max_box_fraction,
                   "Localise only classes whose boxes cover at most this fraction of the image (IBA uses 0.33); "
                   "0: all")->check(CLI::Range(0.0, 1.0))->capture_default_str();
    app.add_option("--steps", o.steps, "Deletion / insertion steps: ceil(pixels / steps) pixels change per step")
        ->check(CLI::Range(int64_t{1}, int64_t{100000}))->capture_default_str();
    app.add_option("--igcam-steps", igcam_steps, "IG-CAM steps m (default 50)")->check(CLI::Range(1, 100000));
    app.add_option("--riemann", riemann, "IG-CAM path points: right (default), left, middle, trapezoid")
        ->check(CLI::IsMember({"left", "right", "middle", "trapezoid"}));
    app.add_option("--delta", delta, "IG-CAM feature maps: baseline (default) or none")->check(CLI::IsMember({"baseline", "none"}));
    app.add_option("--relu", relu, "IG-CAM ReLU: per_step (default) or final")->check(CLI::IsMember({"per_step", "final"}));
    app.add_option("--reduce", reduce, "IG-CAM reduction: mean (default) or sum")->check(CLI::IsMember({"mean", "sum"}));
    app.add_option("--baseline", o.baseline, "IG-CAM baseline: black, zero or an image file")->capture_default_str();
    app.add_option("--igcam-preset", preset, "IG-CAM preset: default or notebook (see igcam-run --help)")
        ->check(CLI::IsMember({"default", "notebook"}))->capture_default_str();
    app.add_option("--layer", o.layer, "Target layer (default: the model's; see igcam-run --list-layers)");
    app.add_option("--preprocess", o.preprocess, "Override the weight file's preprocessing")
        ->check(CLI::IsMember(igcam::models::preprocess_preset_names()));
    app.add_option("--dtype", dtype_text, "Computation dtype: f32 or f64")->check(CLI::IsMember({"f32", "f64"}))
        ->capture_default_str();
    app.add_option("--device", device, "auto, cpu, cuda or cuda:N")->capture_default_str();
    app.add_flag("--tf32", tf32, "On a GPU, allow TF32 tensor cores for float32 (see igcam-run --help)");
    app.add_option("--conv", conv, "Float32 CPU convolutions: direct, or winograd for 3x3 stride 1 where oneDNN "
                                   "has it (see igcam-run --help); default: IGCAM_CONV, else direct")
        ->check(CLI::IsMember({"direct", "winograd"}));
    app.add_option("--batch", o.batch, "Images per pass, and rows per pass for IG-CAM steps, Score-CAM masks, "
                                       "ablations and the masked inputs of the fidelity metrics; default: from "
                                       "available memory")->check(CLI::Range(int64_t{1}, int64_t{4096}));
    app.add_option("--limit", o.limit, "Evaluate only the first N images of the dataset")->check(CLI::PositiveNumber);
    app.add_option("--bootstrap", o.resamples, "Bootstrap resamples for the 95 % intervals")
        ->check(CLI::Range(int64_t{1}, int64_t{1000000}))->capture_default_str();
    app.add_option("--seed", o.seed, "Bootstrap seed")->capture_default_str();
    app.add_option("-o,--out", o.out_dir, "Output folder: rows.jsonl, summary.json, summary.csv, summary.md")
        ->capture_default_str();
    app.add_flag("--resume", o.resume, "Continue the run whose rows.jsonl is in --out: images already written are "
                                       "kept (failed ones too; delete their lines to retry them), an image cut off "
                                       "mid-write is redone; the settings must be the same");
    app.add_option("--dump", o.dump, "Write every map (in the localisation and fidelity frames), box mask and model "
                                     "input as .npy files into this folder");
    app.add_option("--sanity", o.sanity, "Also run the cascading-randomisation sanity check (Adebayo et al. 2018) on "
                                         "the first N images: the model's blocks re-initialised from the logits down, "
                                         "each step's map compared with the trained model's (Spearman with and without "
                                         "abs, SSIM); writes sanity.jsonl and sanity.md")
        ->check(CLI::Range(int64_t{1}, int64_t{100000}));
    app.add_flag("--no-timings", no_timings, "Leave the milliseconds out of rows.jsonl and summary.json, so that runs "
                                             "of the same settings write the same bytes: with any number of MPI "
                                             "ranks, interrupted and resumed or not");
    app.add_flag("-q,--quiet", o.quiet, "No progress bar (under MPI: no progress lines)");
    app.footer(igcam::tools::mpi_help("igcam-eval", "evaluates", "writes rows.jsonl (in dataset order, whatever the "
                                      "ranks' speed) and the summary. With --batch 1 and --no-timings both are the same "
                                      "bytes for any N; with automatic batches an image's numbers depend in their last "
                                      "bits on the images batched with it. --resume continues a run with any N"));

    int exit_code = 0;
    igcam::tools::Ranks* started = igcam::tools::start_ranks_and_parse(app, argc, argv, exit_code);
    if (started == nullptr) return exit_code;
    igcam::tools::Ranks& ranks = *started;
    // What the flags mean, checked on every rank (an MPI job reports a mistake once).
    auto parse_options = [&] {
        o.dtype = igcam::parse_dtype(dtype_text);
        try {
            o.device = igcam::tools::rank_device(device, ranks);
        } catch (const igcam::Error& e) {
            throw igcam::tools::UsageError(e.what());
        }
        igcam::set_tf32(tf32);
        if (!conv.empty()) igcam::set_conv_algorithm(conv);
        o.timings = !no_timings;
        o.dataset.split_required = app.count("--split") > 0;
        o.methods = usage<std::vector<const igcam::cam::MethodSpec*>>([&] { return igcam::cam::parse_method_list(method_list); });
        o.metrics = usage<std::vector<const igcam::eval::MetricSpec*>>([&] { return igcam::eval::parse_metric_list(metric_list); });
        o.score = igcam::eval::parse_score(score);
        o.mask_space = igcam::eval::parse_mask_space(space);
        o.target = igcam::tools::parse_target_mode(target);
        o.ties = ties == "raster" ? igcam::eval::Ties::Raster : igcam::eval::Ties::Fraction;
        o.igcam_preset = preset;
        o.igcam = igcam::cam::igcam_preset(preset);
        if (preset == "notebook" && app.count("--baseline") == 0) o.baseline = "zero";
        if (igcam_steps > 0) o.igcam.steps = igcam_steps;
        if (!riemann.empty()) o.igcam.riemann = igcam::cam::parse_riemann(riemann);
        if (!delta.empty()) o.igcam.delta = igcam::cam::parse_delta(delta);
        if (!relu.empty()) o.igcam.relu = igcam::cam::parse_step_relu(relu);
        if (!reduce.empty()) o.igcam.reduce = igcam::cam::parse_reduction(reduce);
        for (int i = 0; i < argc; ++i) o.command_line += (i ? " " : "") + std::string(argv[i]);
    };
    return ranks.exit(igcam::tools::run_with_exit_codes([&]() -> int {
        ranks.together([&] { parse_options(); });
        const igcam::tools::EvaluateResult r = igcam::tools::run_evaluate(o, std::cout, ranks);
        return r.exit_code;
    }));
}
