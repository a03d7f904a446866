// igcam-bench: times igcam's forward pass and CAM methods on one model, for comparison with
// tools/bench_torch.py (PyTorch on the same weights, input and class); tools/bench.sh runs
// both and prints the table. The methods run through the explanation pipeline
// (cam/pipeline.h), as igcam-run's do. Prints one JSON object: per method the median and
// minimum milliseconds over --repeats runs after --warmup runs, the peak memory growth, and
// the convolution/linear FLOPs of the forward passes the method needs; with --peak also the
// GEMM and convolution rates of this build, the practical peaks for the arithmetic floor.
// "batched-gradcam" explains --images images (the input and seeded random others) with
// Grad-CAM in batches of each of --batches images and reports the fastest, with images/s.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "autograd/grad_mode.h"
#include "cam/capture.h"
#include "cam/pipeline.h"
#include "core/backend.h"
#include "core/error.h"
#include "core/io/npy.h"
#include "core/random.h"
#include "models/load.h"
#include "tools/bench_measure.h"

using namespace igcam;

namespace {

struct Options {
    std::string weights, input, layer, methods = "forward,gradcam,gradcam++,igcam";
    int64_t target = 0;
    int size = 224, repeats = 10, warmup = 2, steps = 50;
    int64_t batch = 50, images = 64;
    std::string batches = "1,8,16,32,64";
    bool peak = false;
    bool only_batch = false;  // IG-CAM and Score-CAM in passes of `batch` only, not also of 10
    std::string device = "cpu";
    bool tf32 = false;
    std::string conv;  // empty: IGCAM_CONV, else direct
    bool bf16 = false;
};

// Everything the timed methods use, built in this one place: where the model and the input
// live (a --device option) is decided here and nowhere else.
struct Setup {
    Device device;
    models::Model model;
    Tensor input;                  // (1, 3, H, W), float32
    std::string layer;             // the target layer
    std::vector<Tensor> images;    // batched-gradcam's: the input, then seeded random ones
};

Setup make_setup(const Options& o) {
    Setup s{resolve_device(o.device), models::load_model(o.weights, DType::F32), Tensor(), "", {}};
    set_tf32(o.tf32);
    if (!o.conv.empty()) set_conv_algorithm(o.conv);
    set_bf16(o.bf16);
    s.model.to(s.device);
    s.layer = o.layer.empty() ? s.model.default_layer : o.layer;
    s.input = o.input.empty() ? random_uniform(Shape{1, 3, o.size, o.size}, -2, 2, 7) : io::read_npy(o.input).to(DType::F32);
    s.input = s.input.to(s.device);
    IGCAM_CHECK(s.input.rank() == 4 && s.input.dim(0) == 1 && s.input.dim(1) == 3, ShapeError, "--input ", o.input,
                " must hold one image (1, 3, H, W), got ", s.input.shape().to_string());
    IGCAM_CHECK(o.target >= 0 && o.target < s.model.num_classes(), ValueError, "--class ", o.target,
                " is not one of the model's ", s.model.num_classes(), " classes");
    s.images.push_back(s.input);
    for (int64_t i = 1; i < o.images; ++i)
        s.images.push_back(random_uniform(s.input.shape(), -2, 2, 1000 + static_cast<uint64_t>(i)).to(s.device));
    return s;
}

// A timed method: what one run does, and how many forward passes of one image it needs
// (the floor counts those; the backward from the score to the target layer runs through
// the classifier head only and is left out of it).
struct Method {
    std::function<void()> run;
    int64_t forwards;
};

// The pipeline explaining `images` with one method, class o.target, in passes of `batch`.
std::function<void()> explain(const Setup& s, const Options& o, const std::string& method,
                              const std::vector<Tensor>& images, int64_t batch) {
    cam::ExplainOptions e;
    e.methods = cam::parse_method_list(method);
    e.layer = s.layer;
    e.target = cam::Target{o.target};
    e.igcam.steps = o.steps;
    e.baseline = cam::Baseline{cam::Baseline::Kind::Zero, ""};
    e.batch = batch;
    const cam::Inputs inputs = cam::Inputs::from_tensors(images);
    return [&s, e, inputs] { cam::explain(s.model, inputs, e, [](std::vector<cam::ImageExplanation>&) {}); };
}

Method method(const std::string& name, const Setup& s, const Options& o) {
    if (name == "forward")
        return {[&] {
                    ag::NoGradGuard no_grad;
                    nn::ForwardContext ctx;
                    s.model.forward(ag::Var(s.input), ctx);
                },
                1};
    const std::vector<Tensor> one{s.input};
    if (name == "gradcam" || name == "gradcam++") return {explain(s, o, name, one, 1), 1};
    // The path needs steps + 1 forwards (the points and the baseline); the pipeline also
    // runs the input itself once, for the completeness audit.
    if (name == "igcam") return {explain(s, o, name, one, o.batch), o.steps + 1};
    if (name == "scorecam") {
        const int64_t channels = cam::forward_layer(s.model, s.input, s.layer).activations.dim(1);
        return {explain(s, o, name, one, o.batch), 1 + channels};
    }
    if (name == "batched-gradcam") return {explain(s, o, "gradcam", s.images, o.batch), o.images};
    IGCAM_CHECK(false, ValueError, "unknown method '", name,
                "' (expected forward, gradcam, gradcam++, igcam, scorecam or batched-gradcam)");
    return {};
}

// The batch sizes a method is timed with: IG-CAM and Score-CAM in passes of --batch and of
// 10, like tools/bench_torch.py; batched-gradcam with each of --batches.
std::vector<int64_t> batches_of(const std::string& name, const Options& o) {
    if (name == "batched-gradcam") {
        std::vector<int64_t> out;
        std::stringstream list(o.batches);
        std::string item;
        while (std::getline(list, item, ',')) {
            if (item.empty()) continue;
            std::size_t used = 0;
            int64_t value = 0;
            try {
                value = std::stoll(item, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            IGCAM_CHECK(used == item.size() && value >= 1, ValueError, "--batches: '", item,
                        "' is not a positive whole number (expected a comma list such as 1,8,16)");
            out.push_back(std::min<int64_t>(value, o.images));
        }
        IGCAM_CHECK(!out.empty(), ValueError, "--batches is empty (expected a comma list such as 1,8,16)");
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
    }
    if (name == "igcam" || name == "scorecam")
        return o.batch == 10 || o.only_batch ? std::vector<int64_t>{o.batch} : std::vector<int64_t>{o.batch, 10};
    return {0};
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"igcam-bench: time igcam's forward pass and CAM methods"};
    Options o;
    app.add_option("-w,--weights", o.weights, "Weight file")->required();
    app.add_option("--input", o.input, "Input image as a (1, 3, H, W) .npy, already preprocessed (default: uniform "
                                       "random in [-2, 2], seed 7, --size square)");
    app.add_option("--class", o.target, "Target class")->capture_default_str();
    app.add_option("--methods", o.methods, "Comma list of forward, gradcam, gradcam++, igcam, scorecam, batched-gradcam")
        ->capture_default_str();
    app.add_option("--layer", o.layer, "Target layer (default: the model's)");
    app.add_option("--size", o.size, "Input side of the random input")->capture_default_str();
    app.add_option("--repeats", o.repeats, "Timed runs per method")->check(CLI::Range(1, 1000))->capture_default_str();
    app.add_option("--warmup", o.warmup, "Untimed runs first")->check(CLI::Range(0, 100))->capture_default_str();
    app.add_option("--steps", o.steps, "IG-CAM steps")->check(CLI::Range(1, 100000))->capture_default_str();
    app.add_option("--batch", o.batch, "Rows per pass for IG-CAM (steps) and Score-CAM (masks); both also run in passes of 10, "
                                       "as tools/bench_torch.py does, and the faster is reported")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    app.add_flag("--only-batch", o.only_batch, "Time IG-CAM and Score-CAM in passes of --batch only (half the time)");
    app.add_option("--images", o.images, "batched-gradcam: images explained (the input, then seeded random ones)")
        ->check(CLI::Range(int64_t{1}, int64_t{4096}))
        ->capture_default_str();
    app.add_option("--batches", o.batches, "batched-gradcam: comma list of images per pass to time; the fastest "
                                           "is reported")
        ->capture_default_str();
    app.add_flag("--peak", o.peak, "Also measure the GEMM and convolution rates (the floor's peak)");
    app.add_option("--device", o.device, "cpu, cuda, cuda:N or auto")->capture_default_str();
    app.add_flag("--tf32", o.tf32, "On a GPU, TF32 tensor-core math for float32 convolutions and GEMMs");
    app.add_option("--conv", o.conv, "Float32 CPU convolutions: direct, or winograd for 3x3 stride 1 where oneDNN "
                                     "has it; default: IGCAM_CONV, else direct")
        ->check(CLI::IsMember({"direct", "winograd"}));
    app.add_flag("--bf16", o.bf16, "On the CPU, bfloat16 inputs and weights for float32 convolutions");
    CLI11_PARSE(app, argc, argv);
    try {
        batches_of("batched-gradcam", o);  // a bad --batches is a usage error, found before any work
    } catch (const ValueError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    }
    try {
        const Setup s = make_setup(o);
        nlohmann::json out = {{"tool", "igcam"},
                              {"model", s.model.architecture.name},
                              {"layer", s.layer},
                              {"size", s.input.dim(2)},
                              {"class", o.target},
                              {"threads", cpu_threads()},
                              {"backend", backend_summary()},
                              {"device", device_description(s.device)},
                              {"tf32", tf32_enabled()},
                              {"conv", conv_algorithm()},
                              {"bf16", bf16_enabled()},
                              {"blas", blas_version()},
                              {"methods", nlohmann::json::object()}};
        std::stringstream list(o.methods);
        std::string name;
        while (std::getline(list, name, ',')) {
            const std::vector<int64_t> batches = batches_of(name, o);
            const bool batched = batches.size() > 1 || batches[0] != 0;
            std::vector<nlohmann::json> results;
            for (const int64_t batch : batches) {
                Options variant = o;
                variant.batch = batch;
                const Method m = method(name, s, variant);
                const bench::Timing t = bench::time_runs(o.warmup, o.repeats, m.run, s.device);
                nlohmann::json r = {{"median_ms", t.median_ms}, {"min_ms", t.min_ms}, {"repeats", t.repeats},
                                    {"peak_rss_growth_mib", t.peak_rss_growth_mib}, {"forwards", m.forwards}};
                if (s.device.is_cuda()) r["peak_device_growth_mib"] = t.peak_device_growth_mib;
                if (batched) r["variant"] = "batch " + std::to_string(batch);
                if (name == "batched-gradcam") {
                    r["images"] = o.images;
                    r["images_per_s"] = static_cast<double>(o.images) / (t.median_ms / 1e3);
                }
                std::cerr << "igcam " << name << (batched ? " (batch " + std::to_string(batch) + ")" : "") << ": "
                          << t.median_ms << " ms\n";
                results.push_back(std::move(r));
            }
            auto best = std::min_element(results.begin(), results.end(), [](const auto& a, const auto& b) {
                return a["median_ms"].template get<double>() < b["median_ms"].template get<double>();
            });
            nlohmann::json others = nlohmann::json::array();
            for (auto it = results.begin(); it != results.end(); ++it)
                if (it != best) others.push_back({{"variant", (*it)["variant"]}, {"median_ms", (*it)["median_ms"]}});
            if (batched) (*best)["others"] = others;
            out["methods"][name] = *best;
        }
        // NOTE: after the methods, not before: this pass keeps every activation, and the
        // memory it frees stays with the allocator, which would hide the methods' growth.
        const double flops = bench::forward_flops(s.model, s.input);
        out["forward_gflop"] = flops / 1e9;
        for (auto& [key, entry] : out["methods"].items())
            entry["gflop"] = entry["forwards"].get<double>() * flops / 1e9;
        if (o.peak) {
            out["gemm_gflops"] = bench::gemm_gflops(s.device);
            out["conv_gflops"] = bench::conv_gflops(s.device);
        }
        std::cout << out.dump(1) << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 4;
    }
}
