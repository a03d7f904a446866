#include "eval/summary.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

namespace igcam::eval {

namespace {

bool applies(const Row& r, const MetricSpec& m) {
    return m.family == Family::Localisation ? r.localisation : r.fidelity;
}

// The rows of one method, grouped by image (in image order).
using ImageRows = std::vector<std::vector<const Row*>>;

// The metric's aggregate over the images `draw` (indices into `images`, repeats allowed).
std::optional<double> aggregate(const ImageRows& images, const std::vector<std::size_t>& draw, const MetricSpec& m) {
    if (m.aggregate == Aggregate::Mean) {
        double sum = 0;
        int64_t n = 0;
        for (std::size_t i : draw)
            for (const Row* r : images[i]) {
                auto v = r->metrics.find(m.name);
                if (applies(*r, m) && v != r->metrics.end() && v->second) sum += *v->second, ++n;
            }
        if (n == 0) return std::nullopt;
        return sum / static_cast<double>(n);
    }
    std::map<int64_t, std::pair<double, double>> per_class;  // class -> (hits, evaluated)
    for (std::size_t i : draw)
        for (const Row* r : images[i]) {
            auto v = r->metrics.find(m.name);
            if (!applies(*r, m) || v == r->metrics.end() || !v->second) continue;
            auto& c = per_class[r->class_index];
            c.first += *v->second;
            c.second += 1;
        }
    if (per_class.empty()) return std::nullopt;
    double sum = 0;
    for (const auto& [c, counts] : per_class) sum += counts.first / counts.second;
    return sum / static_cast<double>(per_class.size());
}

// numpy.percentile's default (linear) rule on sorted values.
double percentile(const std::vector<double>& sorted, double q) {
    const double position = q / 100.0 * static_cast<double>(sorted.size() - 1);
    const auto below = static_cast<std::size_t>(std::floor(position));
    const std::size_t above = std::min(below + 1, sorted.size() - 1);
    return sorted[below] + (position - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

}  // namespace

std::vector<MethodSummary> summarise(const std::vector<Row>& rows, const std::vector<std::string>& methods,
                                     const std::vector<const MetricSpec*>& metrics, const SummaryOptions& o) {
    // Images in dataset order; each method's rows per image.
    std::set<int64_t> image_set;
    for (const Row& r : rows)
        if (!r.failed) image_set.insert(r.image_index);
    const std::vector<int64_t> image_order(image_set.begin(), image_set.end());
    std::map<int64_t, std::size_t> position;
    for (std::size_t i = 0; i < image_order.size(); ++i) position[image_order[i]] = i;

    // The same draws for every method and metric: intervals are paired.
    std::mt19937_64 rng(o.seed);
    std::vector<std::vector<std::size_t>> draws(static_cast<std::size_t>(image_order.empty() ? 0 : o.resamples));
    for (auto& d : draws) {
        d.resize(image_order.size());
        for (std::size_t& i : d) i = static_cast<std::size_t>(rng() % image_order.size());
    }
    std::vector<std::size_t> everything(image_order.size());
    for (std::size_t i = 0; i < everything.size(); ++i) everything[i] = i;

    std::vector<MethodSummary> out;
    for (const std::string& method : methods) {
        ImageRows images(image_order.size());
        for (const Row& r : rows)
            if (!r.failed && r.method == method) images[position[r.image_index]].push_back(&r);
        // Rows in a fixed order within an image, whatever order the file had them in.
        for (auto& list : images)
            std::sort(list.begin(), list.end(), [](const Row* a, const Row* b) { return a->class_index < b->class_index; });
        MethodSummary s;
        s.method = method;
        s.images = static_cast<int64_t>(std::count_if(images.begin(), images.end(), [](const auto& l) { return !l.empty(); }));
        for (const MetricSpec* m : metrics) {
            MetricSummary ms;
            ms.metric = m;
            std::set<int64_t> classes;
            for (const auto& list : images)
                for (const Row* r : list) {
                    if (!applies(*r, *m)) continue;
                    auto v = r->metrics.find(m->name);
                    if (v != r->metrics.end() && v->second) {
                        ++ms.rows;
                        classes.insert(r->class_index);
                    } else {
                        ++ms.undefined;
                    }
                }
            ms.classes = static_cast<int64_t>(classes.size());
            if (const std::optional<double> value = aggregate(images, everything, *m)) {
                ms.value = m->scale * *value;
                std::vector<double> samples;
                for (const auto& d : draws)
                    if (const std::optional<double> v = aggregate(images, d, *m)) samples.push_back(m->scale * *v);
                if (!samples.empty()) {
                    std::sort(samples.begin(), samples.end());
                    ms.low = percentile(samples, 2.5);
                    ms.high = percentile(samples, 97.5);
                }
            }
            s.metrics.push_back(ms);
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace igcam::eval
