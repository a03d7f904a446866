#include "eval/fidelity.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "autograd/grad_mode.h"
#include "cam/chunks.h"
#include "core/error.h"
#include "core/ops.h"

namespace igcam::eval {

Score parse_score(const std::string& name) {
    if (name == "softmax") return Score::Softmax;
    if (name == "logit") return Score::Logit;
    if (name == "sigmoid") return Score::Sigmoid;
    detail::throw_error<ValueError>("unknown score '", name, "' (softmax, logit or sigmoid)");
}

MaskSpace parse_mask_space(const std::string& name) {
    if (name == "pixel") return MaskSpace::Pixel;
    if (name == "normalised") return MaskSpace::Normalised;
    detail::throw_error<ValueError>("unknown mask space '", name, "' (pixel or normalised)");
}

std::string score_name(Score s) { return s == Score::Softmax ? "softmax" : s == Score::Logit ? "logit" : "sigmoid"; }
std::string mask_space_name(MaskSpace s) { return s == MaskSpace::Pixel ? "pixel" : "normalised"; }

double class_score(const std::vector<double>& logits, int64_t c, Score score) {
    const double z = logits.at(static_cast<std::size_t>(c));
    if (score == Score::Logit) return z;
    if (score == Score::Sigmoid) return 1.0 / (1.0 + std::exp(-z));
    const double top = *std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (double v : logits) sum += std::exp(v - top);
    return std::exp(z - top) / sum;
}

std::vector<double> preprocessed_black(const models::Preprocess& p) {
    std::vector<double> black(3);
    for (std::size_t c = 0; c < 3; ++c) black[c] = (0.0 * p.scale - p.mean[c]) / p.std[c];
    return black;
}

namespace {

// RISE's 1-D kernel: gaussian_filter(delta, sigma=5) on 11 samples, truncate 4 (radius 20),
// mode 'reflect' (d c b a | a b c d), so the weights past the ends fold back in.
std::vector<double> rise_kernel() {
    constexpr int kLength = 11, kCentre = 5, kRadius = 20;
    constexpr double kSigma = 5;
    std::vector<double> w(2 * kRadius + 1);
    for (int t = -kRadius; t <= kRadius; ++t) w[t + kRadius] = std::exp(-0.5 / (kSigma * kSigma) * t * t);
    const double total = std::accumulate(w.begin(), w.end(), 0.0);
    for (double& v : w) v /= total;
    auto reflect = [](int q) {
        for (;;) {
            if (q < 0) q = -q - 1;
            else if (q >= kLength) q = 2 * kLength - 1 - q;
            else return q;
        }
    };
    std::vector<double> k(kLength, 0.0);
    for (int i = 0; i < kLength; ++i)
        for (int t = -kRadius; t <= kRadius; ++t)
            if (reflect(i + t) == kCentre) k[i] += w[t + kRadius];
    return k;
}

}  // namespace

std::vector<double> rise_blur(const std::vector<double>& x, int64_t height, int64_t width) {
    static const std::vector<double> k = rise_kernel();
    const int64_t half = static_cast<int64_t>(k.size()) / 2;
    std::vector<double> out(x.size(), 0.0);
    for (int64_t c = 0; c < 3; ++c) {
        const double* in = x.data() + c * height * width;
        double* o = out.data() + c * height * width;
        for (int64_t y = 0; y < height; ++y)
            for (int64_t xx = 0; xx < width; ++xx) {
                double sum = 0;
                for (int64_t dy = -half; dy <= half; ++dy) {
                    const int64_t yy = y + dy;
                    if (yy < 0 || yy >= height) continue;
                    for (int64_t dx = -half; dx <= half; ++dx) {
                        const int64_t xs = xx + dx;
                        if (xs < 0 || xs >= width) continue;
                        sum += k[static_cast<std::size_t>(dy + half)] * k[static_cast<std::size_t>(dx + half)] *
                               in[yy * width + xs];
                    }
                }
                o[y * width + xx] = sum;
            }
    }
    return out;
}

std::vector<int64_t> descending_order(const Grid& map) {
    std::vector<int64_t> order(map.values.size());
    std::iota(order.begin(), order.end(), int64_t{0});
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return map.values[static_cast<std::size_t>(a)] > map.values[static_cast<std::size_t>(b)];
    });
    return order;
}

namespace {

// What one forward row is: request `request`'s input with a recipe applied.
enum class RowKind { Masked, Deletion, Insertion };
struct RowRecipe {
    std::size_t request;
    RowKind kind;
    int64_t step;  // curves: pixels changed = min(step * per_step, HW)
};

struct Prepared {
    std::vector<double> x, blurred;  // 3 x H x W
    std::vector<int64_t> order;      // curves: pixels by descending Ln
    int64_t per_step = 1, points = 0;
};

}  // namespace

std::vector<FidelityResult> run_fidelity(const models::Model& model, const std::vector<FidelityRequest>& requests,
                                         const FidelityOptions& o) {
    IGCAM_CHECK(o.steps >= 1 && o.batch >= 1, ValueError, "fidelity: steps and batch must be >= 1");
    const std::vector<double> black = preprocessed_black(model.preprocess);
    std::vector<Prepared> prepared(requests.size());
    std::vector<RowRecipe> recipes;
    for (std::size_t r = 0; r < requests.size(); ++r) {
        const FidelityRequest& q = requests[r];
        IGCAM_CHECK(q.input != nullptr && q.input->rank() == 4 && q.input->dim(0) == 1 && q.input->dim(1) == 3 &&
                        q.input->dim(2) == q.saliency.height && q.input->dim(3) == q.saliency.width,
                    ShapeError, "fidelity: an input of ", q.input ? q.input->shape().to_string() : "none",
                    " against a ", q.saliency.height, "x", q.saliency.width, " map");
        Prepared& p = prepared[r];
        p.x = ops::cast(ops::to_device(*q.input, Device::cpu()), DType::F64).to_vector();
        if (o.masked) recipes.push_back({r, RowKind::Masked, 0});
        if (o.curves) {
            const int64_t pixels = q.saliency.height * q.saliency.width;
            p.per_step = (pixels + o.steps - 1) / o.steps;
            p.points = (pixels + p.per_step - 1) / p.per_step + 1;
            p.order = descending_order(q.saliency);
            p.blurred = rise_blur(p.x, q.saliency.height, q.saliency.width);
            for (int64_t s = 0; s < p.points; ++s) recipes.push_back({r, RowKind::Deletion, s});
            for (int64_t s = 0; s < p.points; ++s) recipes.push_back({r, RowKind::Insertion, s});
        }
    }

    auto build_row = [&](const RowRecipe& recipe, double* row) {
        const FidelityRequest& q = requests[recipe.request];
        const Prepared& p = prepared[recipe.request];
        const int64_t plane = q.saliency.height * q.saliency.width;
        if (recipe.kind == RowKind::Masked) {
            for (int64_t c = 0; c < 3; ++c)
                for (int64_t i = 0; i < plane; ++i) {
                    const double x = p.x[static_cast<std::size_t>(c * plane + i)], l = q.saliency.values[static_cast<std::size_t>(i)];
                    const double b = o.space == MaskSpace::Pixel ? black[static_cast<std::size_t>(c)] : 0.0;
                    row[c * plane + i] = b + l * (x - b);
                }
            return;
        }
        const bool deletion = recipe.kind == RowKind::Deletion;
        // Deletion starts from x and puts the substrate in; insertion starts from the blur and puts x in.
        std::copy(deletion ? p.x.begin() : p.blurred.begin(), deletion ? p.x.end() : p.blurred.end(), row);
        const int64_t changed = std::min(recipe.step * p.per_step, plane);
        for (int64_t k = 0; k < changed; ++k) {
            const int64_t i = p.order[static_cast<std::size_t>(k)];
            for (int64_t c = 0; c < 3; ++c) {
                const double substrate = o.space == MaskSpace::Pixel ? black[static_cast<std::size_t>(c)] : 0.0;
                row[c * plane + i] = deletion ? substrate : p.x[static_cast<std::size_t>(c * plane + i)];
            }
        }
    };

    std::vector<FidelityResult> results(requests.size());
    for (std::size_t r = 0; r < requests.size(); ++r) {
        results[r].deletion.resize(static_cast<std::size_t>(prepared[r].points));
        results[r].insertion.resize(static_cast<std::size_t>(prepared[r].points));
    }
    ag::NoGradGuard no_grad;
    cam::ChunkLoop chunks(o.batch);
    // Rows of one chunk must share a shape: a chunk is cut where the input size changes.
    std::size_t begin = 0;
    while (begin < recipes.size()) {
        const Shape shape = requests[recipes[begin].request].input->shape();
        std::size_t end = begin;
        while (end < recipes.size() && requests[recipes[end].request].input->shape() == shape) ++end;
        const int64_t elements = shape.numel();
        chunks.run(
            static_cast<int64_t>(end - begin),
            [&](int64_t first, int64_t last) {
                std::vector<double> values(static_cast<std::size_t>((last - first) * elements));
                for (int64_t i = first; i < last; ++i)
                    build_row(recipes[begin + static_cast<std::size_t>(i)], values.data() + (i - first) * elements);
                const Tensor x = Tensor::from_values(Shape{last - first, 3, shape[2], shape[3]}, values, model.dtype,
                                                     model.device);
                nn::ForwardContext ctx;
                return model.forward(ag::Var(x), ctx).value().to_vector();
            },
            [&](std::vector<double>&& logits, int64_t first, int64_t last) {
                const auto classes = static_cast<std::size_t>(model.num_classes());
                for (int64_t i = first; i < last; ++i) {
                    const RowRecipe& recipe = recipes[begin + static_cast<std::size_t>(i)];
                    const std::vector<double> row(logits.begin() + static_cast<std::ptrdiff_t>((i - first) * classes),
                                                  logits.begin() + static_cast<std::ptrdiff_t>((i - first + 1) * classes));
                    const double s = class_score(row, requests[recipe.request].class_index, o.score);
                    FidelityResult& out = results[recipe.request];
                    if (recipe.kind == RowKind::Masked) out.masked = s;
                    else if (recipe.kind == RowKind::Deletion) out.deletion[static_cast<std::size_t>(recipe.step)] = s;
                    else out.insertion[static_cast<std::size_t>(recipe.step)] = s;
                }
            });
        begin = end;
    }
    return results;
}

}  // namespace igcam::eval
