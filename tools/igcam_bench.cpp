// igcam-bench: times igcam's forward pass and CAM methods on one model, for comparison with
// tools/bench_torch.py (PyTorch on the same weights and input); tools/bench.sh runs both.
// Prints one JSON object: per method the median and minimum milliseconds over --repeats
// runs after --warmup runs, plus the model's convolution/linear FLOPs and the BLAS's
// measured GEMM rate, whose ratio is the arithmetic floor of a forward pass.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "autograd/grad_mode.h"
#include "cam/capture.h"
#include "cam/igcam.h"
#include "cam/methods.h"
#include "cam/perturbation.h"
#include "core/backend.h"
#include "core/ops.h"
#include "core/random.h"
#include "layers/conv.h"
#include "models/load.h"

using namespace igcam;

namespace {

double now_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Median and minimum over `repeats` timed runs of `fn`, after `warmup` untimed ones.
nlohmann::json time_runs(int warmup, int repeats, const std::function<void()>& fn) {
    for (int i = 0; i < warmup; ++i) fn();
    std::vector<double> ms;
    for (int i = 0; i < repeats; ++i) {
        const double start = now_ms();
        fn();
        ms.push_back(now_ms() - start);
    }
    std::sort(ms.begin(), ms.end());
    return {{"median_ms", ms[ms.size() / 2]}, {"min_ms", ms.front()}, {"repeats", repeats}};
}

// Multiply-adds x 2 of every Conv2d and Linear for one image, from the recorded shapes.
double forward_flops(const models::Model& model, const Tensor& input) {
    ag::NoGradGuard no_grad;
    nn::ForwardContext ctx;
    ctx.keep_all();
    model.forward(ag::Var(input), ctx);
    double flops = 0;
    for (const nn::Module* m : model.net->modules()) {
        if (!ctx.has_output(m->name())) continue;
        const Shape out = ctx.output(m->name()).shape();
        if (const auto* conv = dynamic_cast<const nn::Conv2d*>(m))
            flops += 2.0 * static_cast<double>(out.numel()) * static_cast<double>(conv->in_channels() * conv->kernel() * conv->kernel());
        else if (const auto* linear = dynamic_cast<const nn::Linear*>(m))
            flops += 2.0 * static_cast<double>(out.numel()) * static_cast<double>(linear->in_features());
    }
    return flops;
}

// GFLOP/s of a large float32 GEMM through the op API (the BLAS's practical peak here).
double gemm_rate() {
    const Tensor a = random_uniform(Shape{1024, 2048}, -1, 1, 1), b = random_uniform(Shape{2048, 2048}, -1, 1, 2);
    ops::linear_forward(a, b, Tensor());
    double best = 1e30;
    for (int i = 0; i < 3; ++i) {
        const double start = now_ms();
        ops::linear_forward(a, b, Tensor());
        best = std::min(best, now_ms() - start);
    }
    return 2.0 * 1024 * 2048 * 2048 / (best * 1e-3) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"igcam-bench: time igcam's forward pass and CAM methods"};
    std::string weights, method_list = "forward,gradcam,gradcam++,igcam", layer;
    int size = 224, repeats = 10, warmup = 2, steps = 50;
    int64_t batch = 50;
    app.add_option("-w,--weights", weights, "Weight file")->required();
    app.add_option("--methods", method_list, "Comma list of forward, gradcam, gradcam++, igcam, scorecam")
        ->capture_default_str();
    app.add_option("--layer", layer, "Target layer (default: the model's)");
    app.add_option("--size", size, "Input side")->capture_default_str();
    app.add_option("--repeats", repeats, "Timed runs per method")->check(CLI::Range(1, 1000))->capture_default_str();
    app.add_option("--warmup", warmup, "Untimed runs first")->check(CLI::Range(0, 100))->capture_default_str();
    app.add_option("--steps", steps, "IG-CAM steps")->capture_default_str();
    app.add_option("--batch", batch, "IG-CAM / Score-CAM batch")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    try {
        const models::Model model = models::load_model(weights, DType::F32);
        const std::string target = layer.empty() ? model.default_layer : layer;
        const Tensor input = random_uniform(Shape{1, 3, size, size}, -2, 2, 7);
        const std::vector<int64_t> classes{0};
        nlohmann::json out = {{"tool", "igcam"}, {"model", model.architecture.name}, {"layer", target},
                              {"size", size}, {"backend", backend_summary()}, {"methods", nlohmann::json::object()}};
        std::stringstream list(method_list);
        std::string m;
        while (std::getline(list, m, ',')) {
            std::function<void()> fn;
            if (m == "forward") fn = [&] {
                ag::NoGradGuard no_grad;
                nn::ForwardContext ctx;
                model.forward(ag::Var(input), ctx);
            };
            else if (m == "gradcam") fn = [&] {
                const cam::LayerCapture c = cam::capture_layer(model, input, target, classes);
                cam::gradcam(c.activations, c.gradients);
            };
            else if (m == "gradcam++") fn = [&] {
                const cam::LayerCapture c = cam::capture_layer(model, input, target, classes);
                cam::gradcam_plus_plus(c.activations, c.gradients);
            };
            else if (m == "igcam") fn = [&] {
                cam::IgCamOptions o;
                o.steps = steps;
                o.batch = batch;
                cam::integrated_gradcam(model, input, Tensor::zeros(input.shape()), target, classes, o);
            };
            else if (m == "scorecam") fn = [&] {
                const cam::LayerCapture c = cam::forward_layer(model, input, target);
                cam::scorecam(model, input, c.activations, classes, batch);
            };
            else {
                std::cerr << "error: unknown method '" << m << "'\n";
                return 2;
            }
            out["methods"][m] = time_runs(warmup, repeats, fn);
            std::cerr << m << ": " << out["methods"][m]["median_ms"].get<double>() << " ms\n";
        }
        out["forward_gflop"] = forward_flops(model, input) / 1e9;
        out["gemm_gflops"] = gemm_rate();
        out["forward_floor_ms"] = out["forward_gflop"].get<double>() / out["gemm_gflops"].get<double>() * 1e3;
        std::cout << out.dump(1) << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 4;
    }
}
