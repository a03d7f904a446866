#include "tools/bench_measure.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "autograd/grad_mode.h"
#include "core/backend.h"
#include "core/ops.h"
#include "core/storage.h"
#include "core/random.h"
#include "layers/conv.h"

namespace igcam::bench {

namespace {

double now_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A field of /proc/self/status in KiB ("VmRSS", "VmHWM"), 0 where there is none.
double status_kib(const std::string& field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1));
    return 0;
}

// Writing 5 to clear_refs resets VmHWM (the peak) to the current resident size.
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

// Best rate of fn, which performs `flops` operations, over a few runs after one warm-up.
double best_gflops(double flops, const std::function<void()>& fn) {
    fn();
    double best = 1e30;
    for (int i = 0; i < 5; ++i) {
        const double start = now_ms();
        fn();
        best = std::min(best, now_ms() - start);
    }
    return flops / (best * 1e-3) / 1e9;
}

}  // namespace

Timing time_runs(int warmup, int repeats, const std::function<void()>& fn, Device device) {
    // Measure from what is in use, not what the allocators keep spare.
    cpu_release_cached();
    malloc_trim(0);
    reset_peak_rss();
    const double resident = status_kib("VmRSS");
    reset_peak_storage(device);
    const double live = static_cast<double>(live_storage_bytes(device));
    const auto run = [&] {
        fn();
        synchronize(device);
    };
    for (int i = 0; i < warmup; ++i) run();
    std::vector<double> ms;
    for (int i = 0; i < repeats; ++i) {
        const double start = now_ms();
        run();
        ms.push_back(now_ms() - start);
    }
    std::sort(ms.begin(), ms.end());
    Timing t;
    t.median_ms = ms[ms.size() / 2];
    t.min_ms = ms.front();
    t.repeats = repeats;
    t.peak_rss_growth_mib = std::max(0.0, status_kib("VmHWM") - resident) / 1024;
    if (device.is_cuda())
        t.peak_device_growth_mib = std::max(0.0, static_cast<double>(peak_storage_bytes(device)) - live) / (1 << 20);
    return t;
}

double forward_flops(const models::Model& model, const Tensor& input) {
    ag::NoGradGuard no_grad;
    nn::ForwardContext ctx;
    ctx.keep_all();
    model.forward(ag::Var(input), ctx);
    double flops = 0;
    for (const nn::Module* m : model.net->modules()) {
        if (!ctx.has_output(m->name())) continue;
        const double out = static_cast<double>(ctx.output(m->name()).shape().numel());
        if (const auto* conv = dynamic_cast<const nn::Conv2d*>(m))
            flops += 2.0 * out * static_cast<double>(conv->in_channels() * conv->kernel() * conv->kernel());
        else if (const auto* linear = dynamic_cast<const nn::Linear*>(m))
            flops += 2.0 * out * static_cast<double>(linear->in_features());
    }
    return flops;
}

double gemm_gflops(Device device) {
    // A GPU needs a much larger product than the CPU to reach its peak.
    const int64_t m = device.is_cuda() ? 8192 : 1024, k = device.is_cuda() ? 8192 : 2048, n = k;
    const Tensor a = random_uniform(Shape{m, k}, -1, 1, 1).to(device), b = random_uniform(Shape{n, k}, -1, 1, 2).to(device);
    return best_gflops(2.0 * static_cast<double>(m * k * n), [&] {
        ops::linear_forward(a, b, Tensor());
        synchronize(device);
    });
}

double conv_gflops(Device device) {
    const int64_t batch = device.is_cuda() ? 32 : 1;
    const Tensor x = random_uniform(Shape{batch, 256, 56, 56}, -1, 1, 3).to(device);
    const Tensor w = random_uniform(Shape{256, 256, 3, 3}, -1, 1, 4).to(device);
    Conv2dParams p;
    p.pad = Padding2d::uniform(1);
    return best_gflops(2.0 * static_cast<double>(batch) * 256 * 56 * 56 * 256 * 9, [&] {
        ops::conv2d_forward(x, w, Tensor(), p);
        synchronize(device);
    });
}

}  // namespace igcam::bench
