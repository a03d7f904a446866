#include "tools/demos.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "autograd/engine.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "core/io/staged_file.h"
#include "core/random.h"
#include "tools/explain_report.h"
#include "tools/report_html.h"

namespace igcam::tools {

namespace {

// f(x) = 1 - ReLU(1 - x), elementwise.
ag::Var saturating(const ag::Var& x) { return ag::affine(ag::relu(ag::affine(x, -1.0, 1.0)), -1.0, 1.0); }

std::string line(const char* format, double a, double b, double c, double d, double e, double f) {
    char buffer[160];
    std::snprintf(buffer, sizeof buffer, format, a, b, c, d, e, f);
    return buffer;
}

struct SensitivityPoint {
    double x, f, f0, gradient, integrated;
};

// f(x), f(0), f'(x) and the integrated gradient from 0 with m right-Riemann steps, each from
// igcam's own forward and backward passes.
SensitivityPoint sensitivity_at(double x, int m, DType dtype) {
    // One batched forward/backward over the m interpolants x_j = j/m * x.
    std::vector<double> path(static_cast<std::size_t>(m));
    for (int j = 1; j <= m; ++j) path[j - 1] = x * j / m;
    ag::Var batch(Tensor::from_values(Shape{m}, path, dtype), true);
    ag::backward(ag::sum(saturating(batch)));
    double mean_gradient = 0;
    for (double g : batch.grad().to_vector()) mean_gradient += g / m;

    ag::Var point(Tensor::from_values(Shape{1}, {x}, dtype), true);
    ag::Var fx = saturating(point);
    ag::backward(ag::sum(fx));
    double f0;
    {
        ag::NoGradGuard no_grad;
        f0 = saturating(ag::Var(Tensor::from_values(Shape{1}, {0.0}, dtype))).value().item();
    }
    return {x, fx.value().item(), f0, point.grad().item(), x * mean_gradient};
}

void write_sensitivity_report(const DemoOptions& options, std::ostream& out) {
    nlohmann::json curve{{"x", nlohmann::json::array()}, {"f", nlohmann::json::array()},
                         {"f_minus_f0", nlohmann::json::array()}, {"gradient", nlohmann::json::array()},
                         {"integrated", nlohmann::json::array()}};
    for (int i = 0; i <= 60; ++i) {
        const SensitivityPoint p = sensitivity_at(i * 0.05, options.steps, options.dtype);
        curve["x"].push_back(p.x);
        curve["f"].push_back(p.f);
        curve["f_minus_f0"].push_back(p.f - p.f0);
        curve["gradient"].push_back(p.gradient);
        curve["integrated"].push_back(p.integrated);
    }
    const nlohmann::json report{{"igcam_version", kIgcamVersion}, {"demo", "sensitivity"},
                                {"function", "f(x) = 1 - ReLU(1 - x)"}, {"baseline", 0.0},
                                {"steps", options.steps}, {"riemann", "right"},
                                {"dtype", dtype_name(options.dtype)}, {"curve", curve}};
    io::OutputDirectory folder(options.report_dir);
    io::StagedFiles staged;
    const std::filesystem::path dir(options.report_dir);
    io::write_text_file(staged.add((dir / "report.json").string()), report.dump(2) + "\n");
    io::write_text_file(staged.add((dir / "report.html").string()), sensitivity_report_html(report));
    staged.commit_all();
    folder.keep();
    out << "\nwrote " << (dir / "report.html").string() << " and report.json\n";
}

}  // namespace

void run_sensitivity_demo(const DemoOptions& options, std::ostream& out) {
    const std::vector<double> points{0.25, 0.5, 0.9, 1.5, 2.0, 3.0};
    const int m = options.steps;
    out << "Sensitivity demo: f(x) = 1 - ReLU(1 - x), baseline x' = 0, " << m
        << " right-Riemann steps.\n"
        << "Grad-CAM-style attribution uses the gradient at x alone; it is 0 once f saturates (x > 1)\n"
        << "although f(x) - f(0) = 1 there. The integrated gradient (x - x') * mean_j f'(x' + j/m (x - x'))\n"
        << "follows f(x) - f(0) (the completeness axiom). Every number below comes from igcam's backward pass.\n\n";
    out << "       x       f(x)  f(x)-f(0)   gradient  integrated  |IG-(f(x)-f(0))|\n";
    for (double x : points) {
        const SensitivityPoint p = sensitivity_at(x, m, options.dtype);
        out << line("%8.3f %10.4f %10.4f %10.4f %11.4f %17.2e\n", x, p.f, p.f - p.f0, p.gradient, p.integrated,
                    std::abs(p.integrated - (p.f - p.f0)));
    }
    out << "\nThe gap comes from the kink at x = 1 falling between steps; it shrinks as --steps grows.\n";
    if (!options.report_dir.empty()) write_sensitivity_report(options, out);
}

void run_trace_demo(const DemoOptions& options, std::ostream& out) {
    const DType dt = options.dtype;
    // Random weights with non-zero biases, seeded: the same numbers on every machine.
    ag::Var x(random_uniform(Shape{1, 3, 8, 8}, -1, 1, 1, dt));
    x.set_name("input");
    ag::Var w1(random_normal(Shape{4, 3, 3, 3}, 0.4, 2, dt)), b1(random_uniform(Shape{4}, -0.1, 0.1, 3, dt));
    ag::Var w2(random_normal(Shape{3, 64}, 0.2, 4, dt)), b2(random_uniform(Shape{3}, -0.1, 0.1, 5, dt));

    Conv2dParams conv;
    conv.pad = Padding2d::uniform(1);
    ag::Var features = ag::conv2d(x, w1, b1, conv).set_name("conv");
    // The explanation target: everything below this tap is cut off from the backward pass.
    ag::Var target = ag::tap(features).set_name("conv (tap)");
    ag::Var activation = ag::relu(target).set_name("relu");
    ag::Var pooled = ag::max_pool2d(activation, Pool2dParams::square(2, 2)).set_name("pool");
    ag::Var logits = ag::linear(ag::flatten(pooled).set_name("flatten"), w2, b2).set_name("fc");
    ag::Var score = ag::select_column(logits, 0).set_name("score[class 0]");

    ag::GradientTrace trace;
    ag::backward(ag::sum(score), &trace);
    const std::vector<double> l = logits.value().to_vector();
    out << "Trace demo: conv(3->4, 3x3, pad 1) -> relu -> max-pool 2 -> linear(64->3) on a seeded 8x8 image.\n"
        << "logits: " << l[0] << ", " << l[1] << ", " << l[2] << "; explaining class 0.\n"
        << "The conv output is tapped: backward runs from the score down to it and stops,\n"
        << "so neither the input nor any weight receives a gradient.\n\n"
        << trace.to_string();
}

}  // namespace igcam::tools
