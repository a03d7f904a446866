#include "cam/igcam.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "cam/capture.h"
#include "cam/registry.h"
#include "cam/weighted_sum.h"
#include "core/error.h"
#include "core/ops.h"

namespace igcam::cam {

namespace {

// One row of a batch tensor, as (1, ...).
Tensor row(const Tensor& t, int64_t i) { return t.slice_batch(i, i + 1); }

// The running Riemann-Stieltjes sum of one image along its path. The per-interval sums stay
// on the tensors' device until `running`, which reads them back once and adds them in
// double (a GPU is not stopped at every step).
struct Audit {
    Riemann rule;
    Tensor previous_a, previous_g;  // at the previous path point
    std::vector<Tensor> terms;      // per-interval sums, one tensor per batch of intervals

    void start(const Tensor& baseline_a) {
        previous_a = rule == Riemann::Right ? baseline_a : Tensor();
        previous_g = Tensor();
        terms.clear();
    }
    // Adds the increments between consecutive path points: from the previous point to a[0],
    // then a[0] -> a[1], ..., for the next `count` points a (count, K, h, w), g likewise.
    void steps(const Tensor& a, const Tensor& g) {
        const int64_t count = a.dim(0);
        // Each point paired with the point before it (the first with the previous one, when
        // there is one; without it the pairs start at the second point).
        const bool linked = previous_a.defined();
        const Tensor here_a = linked ? a : a.slice_batch(1, count), here_g = linked ? g : g.slice_batch(1, count);
        if (here_a.dim(0) > 0 && rule != Riemann::Middle) {
            const Tensor before_a = linked ? preceding(previous_a, a) : a.slice_batch(0, count - 1);
            const Tensor before_g =
                rule == Riemann::Right ? Tensor() : (linked ? preceding(previous_g, g) : g.slice_batch(0, count - 1));
            const Tensor increment = ops::sub(here_a, before_a);
            const std::vector<int> per_point{1, 2, 3};
            if (rule == Riemann::Right) terms.push_back(ops::sum(ops::mul(here_g, increment), per_point));
            else if (rule == Riemann::Left) terms.push_back(ops::sum(ops::mul(before_g, increment), per_point));
            else terms.push_back(ops::scale(ops::sum(ops::mul(ops::add(before_g, here_g), increment), per_point), 0.5));
        }
        // Copies, not views: a view would keep the whole chunk's buffers alive for as long
        // as the image's path waits for its next rows.
        previous_a = ops::clone(row(a, count - 1));
        previous_g = ops::clone(row(g, count - 1));
    }
    // (count, ...): `last` (the point before x[0]) followed by x[0 .. count-1).
    static Tensor preceding(const Tensor& last, const Tensor& x) {
        const int64_t count = x.dim(0);
        return count == 1 ? last : ops::concat_batch({last, x.slice_batch(0, count - 1)});
    }
    // The left rule's last interval ends at the input itself.
    void finish(const Tensor& input_a) {
        if (rule == Riemann::Left && previous_a.defined())
            terms.push_back(ops::sum(ops::mul(previous_g, ops::sub(input_a, previous_a))));
    }
    // The sum after each interval, in path order; its last value is the audit's total.
    std::vector<double> running() const {
        std::vector<double> sums;
        if (terms.empty()) return sums;
        std::vector<Tensor> rows;
        for (const Tensor& t : terms) rows.push_back(t.reshape(Shape{t.numel()}));
        double sum = 0;
        for (double v : ops::concat_batch(rows).to_vector()) sums.push_back(sum += v);
        return sums;
    }
};

// values[first_item .. first_item + count) as a (count, 1, 1, 1) column on like's device.
Tensor column(const std::vector<double>& values, const RowSegment& seg, const Tensor& like) {
    const auto from = values.begin() + seg.first_item;
    return Tensor::from_values(Shape{seg.count, 1, 1, 1}, std::vector<double>(from, from + seg.count), like.dtype(),
                               like.device());
}

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

namespace {

// The paths of N images and what to integrate along them.
struct Paths {
    const models::Model& model;
    const std::string& layer;
    const Tensor& input;                                  // x (N, 3, H, W)
    std::function<Tensor(int64_t)> baseline;              // x'_n (1, 3, H, W)
    std::function<Tensor(int64_t)> baseline_activations;  // A(x'_n) (1, K, h, w)
    const Tensor& input_activations;                      // A(x) (N, K, h, w)
    std::vector<double> score_input, score_baseline;      // y^c(x), y^c(x') per image
    const std::vector<int64_t>& classes;
    const IgCamOptions& options;
    bool keep_steps;
};

struct Integrated {
    std::vector<Tensor> maps;  // (1, 1, h, w) per image
    std::vector<IgCamAudit> audits;
    std::vector<IgCamPath> paths;
    std::vector<IgCamSteps> steps;  // with keep_steps
    std::vector<int64_t> batch_sizes;  // rows of each pass, in order
};

Integrated integrate(const Paths& p, ChunkLoop& rows, const Progress& progress) {
    const IgCamOptions& o = p.options;
    const int64_t images = p.input.dim(0);
    std::vector<double> t, weights;
    path_points(o, t, weights);
    const int64_t steps = static_cast<int64_t>(t.size());

    std::vector<Tensor> maps(static_cast<std::size_t>(images));
    std::vector<Audit> audits(static_cast<std::size_t>(images), Audit{o.riemann, {}, {}, {}});
    for (int64_t n = 0; n < images; ++n) audits[n].start(p.baseline_activations(n));
    std::vector<std::vector<Tensor>> kept_a(static_cast<std::size_t>(images)), kept_g(kept_a.size());
    // Per image, per chunk: y^c, ||g||^2 (count) and the step maps (count, 1, h, w), on the device until the end.
    std::vector<std::vector<Tensor>> path_scores(kept_a.size()), path_norms(kept_a.size()), path_maps(kept_a.size());
    Integrated out;

    // One chunk's contribution per image segment, computed in full before anything is kept.
    struct SegmentResult {
        int64_t image;
        Tensor term;  // (1, 1, h, w): the weighted sum of this segment's steps
        Audit audit;  // the image's audit advanced over these steps
        Tensor a, g;  // (count, K, h, w), for keep_steps
        Tensor scores, squared_norms, step_maps;  // (count), (count), (count, 1, h, w)
    };
    // Rows (image n, step j), image-major: each image's rows in a chunk form one segment,
    // whose path points are made, and terms reduced, with a few whole-segment ops.
    auto compute = [&](int64_t begin, int64_t end) {
        const std::vector<RowSegment> segments = segments_of(begin, end, steps);
        std::vector<Tensor> points;
        std::vector<int64_t> row_classes;
        for (const RowSegment& seg : segments) {
            const Tensor start = p.baseline(seg.image);
            const Tensor tj = column(t, seg, p.input);
            points.push_back(ops::add(start, ops::mul(tj, ops::sub(row(p.input, seg.image), start))));
            row_classes.insert(row_classes.end(), static_cast<std::size_t>(seg.count), p.classes[seg.image]);
        }
        const LayerCapture c = capture_layer(p.model, ops::concat_batch(points), p.layer, row_classes);
        std::vector<SegmentResult> results;
        for (const RowSegment& seg : segments) {
            const int64_t n = seg.image, first = seg.first_row - begin;
            const Tensor a = c.activations.slice_batch(first, first + seg.count);  // (count, K, h, w)
            const Tensor g = c.gradients.slice_batch(first, first + seg.count);
            const Tensor alpha = ops::mean(g, {2, 3}, true);
            const Tensor delta = o.delta == DeltaMode::Baseline ? ops::sub(a, p.baseline_activations(n)) : a;
            Tensor terms = weighted_sum(alpha, delta);  // (count, 1, h, w)
            if (o.relu == StepRelu::PerStep) terms = ops::relu_forward(terms);
            SegmentResult result{n,
                                 ops::sum(ops::mul(terms, column(weights, seg, p.input)), {0}, true),
                                 audits[n],
                                 p.keep_steps ? a : Tensor(),
                                 p.keep_steps ? g : Tensor(),
                                 c.scores.slice_batch(first, first + seg.count),
                                 ops::sum(ops::mul(g, g), {1, 2, 3}),
                                 terms};
            result.audit.steps(a, g);
            results.push_back(std::move(result));
        }
        return results;
    };
    const int64_t total = images * steps;
    auto keep = [&](std::vector<SegmentResult>&& results, int64_t begin, int64_t end) {
        out.batch_sizes.push_back(end - begin);
        for (SegmentResult& result : results) {
            Tensor& map = maps[result.image];
            map = map.defined() ? ops::add(map, result.term) : result.term;
            audits[result.image] = std::move(result.audit);
            path_scores[result.image].push_back(result.scores);
            path_norms[result.image].push_back(result.squared_norms);
            path_maps[result.image].push_back(result.step_maps);
            if (p.keep_steps) {
                kept_a[result.image].push_back(result.a);
                kept_g[result.image].push_back(result.g);
            }
        }
        report(progress, end, total);
    };
    rows.run(total, compute, keep);

    for (int64_t n = 0; n < images; ++n) {
        audits[n].finish(row(p.input_activations, n));
        IgCamAudit audit{p.score_input[n], p.score_baseline[n], 0, 0};
        const double change = audit.score_input - audit.score_baseline;
        const std::vector<double> running = audits[n].running();
        audit.stieltjes_sum = o.riemann == Riemann::Middle ? std::numeric_limits<double>::quiet_NaN()
                              : running.empty()             ? 0.0
                                                            : running.back();
        audit.relative_gap = std::abs(audit.stieltjes_sum - change) / std::max(std::abs(change), 1e-12);
        out.audits.push_back(audit);
        out.maps.push_back(o.relu == StepRelu::Final ? ops::relu_forward(maps[n]) : maps[n]);
        IgCamPath path;
        path.t = t;
        path.scores = ops::concat_batch(path_scores[n]).to_vector();
        for (double squared : ops::concat_batch(path_norms[n]).to_vector())
            path.gradient_norms.push_back(std::sqrt(squared));
        if (o.riemann != Riemann::Middle) path.running_sum = running;
        path.step_maps = ops::concat_batch(path_maps[n]);
        out.paths.push_back(std::move(path));
        if (p.keep_steps) out.steps.push_back(IgCamSteps{ops::concat_batch(kept_a[n]), ops::concat_batch(kept_g[n])});
    }
    return out;
}

}  // namespace

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
    auto baseline_of = [&](int64_t n) { return row(baseline, baseline.dim(0) == 1 ? 0 : n); };

    // The path's two ends, forward only: A(x') for the delta and the audit, y^c at both ends.
    std::vector<Tensor> baseline_rows;
    for (int64_t n = 0; n < images; ++n) baseline_rows.push_back(baseline_of(n));
    const LayerCapture at_baseline = forward_layer(model, ops::concat_batch(baseline_rows), layer);
    const LayerCapture at_input = forward_layer(model, input, layer);
    const Paths paths{model,
                      layer,
                      input,
                      baseline_of,
                      [&](int64_t n) { return row(at_baseline.activations, n); },
                      at_input.activations,
                      class_scores(at_input.logits, classes).to_vector(),
                      class_scores(at_baseline.logits, classes).to_vector(),
                      classes,
                      o,
                      o.keep_steps};
    ChunkLoop rows(o.batch);
    Integrated integrated = integrate(paths, rows, progress);

    IgCamResult r;
    path_points(o, r.t, r.weights);
    r.map = ops::concat_batch(integrated.maps);
    for (const IgCamAudit& a : integrated.audits) {
        r.score_input.push_back(a.score_input);
        r.score_baseline.push_back(a.score_baseline);
        r.stieltjes_sum.push_back(a.stieltjes_sum);
        r.completeness_gap.push_back(a.relative_gap);
    }
    r.paths = std::move(integrated.paths);
    r.passes = rows.passes();
    r.batch_sizes = integrated.batch_sizes;
    r.memory_retries = rows.retries();
    r.baseline_activations = at_baseline.activations;
    if (o.keep_steps) {
        std::vector<Tensor> a, g;
        for (const IgCamSteps& s : integrated.steps) {
            a.push_back(s.activations);
            g.push_back(s.gradients);
        }
        r.step_activations = ops::concat_batch(a);
        r.step_gradients = ops::concat_batch(g);
    }
    return r;
}

// The registry's IG-CAM: the input's end of each path is the batch's own forward pass, the
// baseline's end the pipeline's one forward for this input size.
MethodOutput compute_igcam(const MethodContext& c) {
    IGCAM_CHECK(c.path_start != nullptr, ValueError, "IG-CAM: the pipeline gave no baseline");
    const PathStart& start = *c.path_start;
    std::vector<double> score_baseline;
    const std::vector<double> baseline_logits = start.logits.to_vector();
    for (int64_t k : c.classes) score_baseline.push_back(baseline_logits[static_cast<std::size_t>(k)]);
    const Paths paths{c.model,
                      c.layer,
                      c.input,
                      [&](int64_t) { return start.input; },
                      [&](int64_t) { return start.activations; },
                      c.activations,
                      c.scores.to_vector(),
                      score_baseline,
                      c.classes,
                      c.igcam,
                      c.keep_steps};
    Integrated integrated = integrate(paths, c.rows, c.progress);
    return MethodOutput{ops::concat_batch(integrated.maps), std::move(integrated.audits), std::move(integrated.steps),
                        std::move(integrated.paths)};
}

}  // namespace igcam::cam
