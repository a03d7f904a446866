#include "cam/igcam.h"

#include <cmath>
#include <limits>

#include "cam/capture.h"
#include "cam/weighted_sum.h"
#include "core/error.h"
#include "core/ops.h"

namespace igcam::cam {

namespace {

double scalar_sum(const Tensor& t) { return ops::sum(t).item(); }

// One row of a batch tensor, as (1, ...).
Tensor row(const Tensor& t, int64_t i) { return t.slice_batch(i, i + 1); }

// The running Riemann-Stieltjes sum of one image along its path.
struct Audit {
    Riemann rule;
    Tensor previous_a, previous_g;  // at the previous path point
    double sum = 0;

    void start(const Tensor& baseline_a) {
        previous_a = rule == Riemann::Right ? baseline_a : Tensor();
        previous_g = Tensor();
        sum = 0;
    }
    // Adds the increment from the previous path point to this one.
    void step(const Tensor& a, const Tensor& g) {
        if (previous_a.defined()) {
            const Tensor increment = ops::sub(a, previous_a);
            if (rule == Riemann::Right) sum += scalar_sum(ops::mul(g, increment));
            else if (rule == Riemann::Left) sum += scalar_sum(ops::mul(previous_g, increment));
            else if (rule == Riemann::Trapezoid) sum += 0.5 * scalar_sum(ops::mul(ops::add(previous_g, g), increment));
        }
        previous_a = a;
        previous_g = g;
    }
    // The left rule's last interval ends at the input itself.
    void finish(const Tensor& input_a) {
        if (rule == Riemann::Left && previous_a.defined())
            sum += scalar_sum(ops::mul(previous_g, ops::sub(input_a, previous_a)));
    }
};

}  // namespace

IgCamOptions igcam_preset(const std::string& name) {
    IgCamOptions o;
    if (name == "default") return o;
    IGCAM_CHECK(name == "notebook", ValueError, "unknown IG-CAM preset '", name, "' (expected default or notebook)");
    o.steps = 50;
    o.riemann = Riemann::Left;
    o.delta = DeltaMode::None;
    o.relu = StepRelu::PerStep;
    o.reduce = Reduction::Sum;
    return o;
}

Riemann parse_riemann(const std::string& t) {
    if (t == "left") return Riemann::Left;
    if (t == "right") return Riemann::Right;
    if (t == "middle") return Riemann::Middle;
    IGCAM_CHECK(t == "trapezoid", ValueError, "unknown Riemann rule '", t, "' (expected left, right, middle or trapezoid)");
    return Riemann::Trapezoid;
}
DeltaMode parse_delta(const std::string& t) {
    if (t == "baseline") return DeltaMode::Baseline;
    IGCAM_CHECK(t == "none", ValueError, "unknown delta '", t, "' (expected baseline or none)");
    return DeltaMode::None;
}
StepRelu parse_step_relu(const std::string& t) {
    if (t == "per_step") return StepRelu::PerStep;
    IGCAM_CHECK(t == "final", ValueError, "unknown relu mode '", t, "' (expected per_step or final)");
    return StepRelu::Final;
}
Reduction parse_reduction(const std::string& t) {
    if (t == "mean") return Reduction::Mean;
    IGCAM_CHECK(t == "sum", ValueError, "unknown reduction '", t, "' (expected mean or sum)");
    return Reduction::Sum;
}
std::string to_string(Riemann r) {
    switch (r) {
        case Riemann::Left: return "left";
        case Riemann::Right: return "right";
        case Riemann::Middle: return "middle";
        case Riemann::Trapezoid: return "trapezoid";
    }
    return "?";
}
std::string to_string(DeltaMode d) { return d == DeltaMode::Baseline ? "baseline" : "none"; }
std::string to_string(StepRelu r) { return r == StepRelu::PerStep ? "per_step" : "final"; }
std::string to_string(Reduction r) { return r == Reduction::Mean ? "mean" : "sum"; }

void path_points(const IgCamOptions& o, std::vector<double>& t, std::vector<double>& w) {
    IGCAM_CHECK(o.steps >= 1, ValueError, "IG-CAM: steps must be >= 1, got ", o.steps);
    const double m = o.steps;
    t.clear();
    w.clear();
    const int first = o.riemann == Riemann::Right ? 1 : 0;
    const int last = o.riemann == Riemann::Right || o.riemann == Riemann::Trapezoid ? o.steps : o.steps - 1;
    for (int j = first; j <= last; ++j) {
        t.push_back(o.riemann == Riemann::Middle ? (j + 0.5) / m : j / m);
        const bool end = o.riemann == Riemann::Trapezoid && (j == 0 || j == o.steps);
        w.push_back((end ? 0.5 : 1.0) / m);
    }
    if (o.reduce == Reduction::Sum)
        for (double& x : w) x *= m;
}

IgCamResult integrated_gradcam(const models::Model& model, const Tensor& input, const Tensor& baseline,
                               const std::string& layer, const std::vector<int64_t>& classes,
                               const IgCamOptions& o, const Progress& progress) {
    IGCAM_CHECK(input.rank() == 4, ShapeError, "IG-CAM: input must be (N, 3, H, W), got ", input.shape().to_string());
    IGCAM_CHECK(baseline.rank() == 4 && (baseline.dim(0) == 1 || baseline.dim(0) == input.dim(0)) &&
                    baseline.dim(1) == input.dim(1) && baseline.dim(2) == input.dim(2) && baseline.dim(3) == input.dim(3),
                ShapeError, "IG-CAM: baseline ", baseline.shape().to_string(), " does not match the input ",
                input.shape().to_string());
    IGCAM_CHECK(o.batch >= 1, ValueError, "IG-CAM: batch must be >= 1, got ", o.batch);
    const int64_t images = input.dim(0);
    IgCamResult r;
    path_points(o, r.t, r.weights);
    const int64_t steps = static_cast<int64_t>(r.t.size());
    auto baseline_of = [&](int64_t n) { return row(baseline, baseline.dim(0) == 1 ? 0 : n); };

    // The path's two ends, forward only: A(x') for the delta and the audit, y^c at both ends.
    std::vector<Tensor> baseline_rows;
    for (int64_t n = 0; n < images; ++n) baseline_rows.push_back(baseline_of(n));
    const LayerCapture at_baseline = forward_layer(model, ops::concat_batch(baseline_rows), layer);
    const LayerCapture at_input = forward_layer(model, input, layer);
    r.baseline_activations = at_baseline.activations;
    const std::vector<double> yb = class_scores(at_baseline.logits, classes).to_vector();
    const std::vector<double> yx = class_scores(at_input.logits, classes).to_vector();
    r.score_baseline = yb;
    r.score_input = yx;

    std::vector<Tensor> maps(static_cast<std::size_t>(images));
    std::vector<Audit> audits(static_cast<std::size_t>(images), Audit{o.riemann, {}, {}, 0});
    for (int64_t n = 0; n < images; ++n) audits[n].start(row(at_baseline.activations, n));
    std::vector<Tensor> kept_a, kept_g;

    // Rows (image n, step j), image-major, in chunks of `batch`. A chunk that runs out of
    // memory is retried at half the size (down to one row), and later chunks keep the
    // smaller size: each row's result does not depend on its chunk, so the map is the same.
    const int64_t total = images * steps;
    int64_t chunk = o.batch;
    for (int64_t begin = 0; begin < total;) {
        const int64_t end = std::min(total, begin + chunk);
        std::vector<Tensor> points;
        std::vector<int64_t> row_classes;
        for (int64_t i = begin; i < end; ++i) {
            const int64_t n = i / steps, j = i % steps;
            const Tensor start = baseline_of(n);
            points.push_back(ops::add(start, ops::scale(ops::sub(row(input, n), start), r.t[j])));
            row_classes.push_back(classes[n]);
        }
        LayerCapture c;
        try {
            c = capture_layer(model, ops::concat_batch(points), layer, row_classes);
        } catch (const OutOfMemoryError&) {
            if (end - begin == 1) throw;
            chunk = (end - begin) / 2;
            r.memory_retries.push_back(chunk);
            continue;
        }
        ++r.passes;
        r.batch_sizes.push_back(end - begin);
        for (int64_t i = begin; i < end; ++i) {
            const int64_t n = i / steps, j = i % steps;
            const Tensor a = row(c.activations, i - begin), g = row(c.gradients, i - begin);
            const Tensor alpha = ops::mean(g, {2, 3}, true);
            const Tensor delta = o.delta == DeltaMode::Baseline ? ops::sub(a, row(at_baseline.activations, n)) : a;
            Tensor term = weighted_sum(alpha, delta);
            if (o.relu == StepRelu::PerStep) term = ops::relu_forward(term);
            term = ops::scale(term, r.weights[j]);
            maps[n] = maps[n].defined() ? ops::add(maps[n], term) : term;
            audits[n].step(a, g);
            if (o.keep_steps) {
                kept_a.push_back(a);
                kept_g.push_back(g);
            }
        }
        report(progress, end, total);
        begin = end;
    }

    for (int64_t n = 0; n < images; ++n) {
        audits[n].finish(row(at_input.activations, n));
        const double change = yx[n] - yb[n];
        const double sum = o.riemann == Riemann::Middle ? std::numeric_limits<double>::quiet_NaN() : audits[n].sum;
        r.stieltjes_sum.push_back(sum);
        r.completeness_gap.push_back(std::abs(sum - change) / std::max(std::abs(change), 1e-12));
        if (o.relu == StepRelu::Final) maps[n] = ops::relu_forward(maps[n]);
    }
    r.map = ops::concat_batch(maps);
    if (o.keep_steps) {
        r.step_activations = ops::concat_batch(kept_a);
        r.step_gradients = ops::concat_batch(kept_g);
    }
    return r;
}

}  // namespace igcam::cam
