#include "cam/pipeline.h"

#include <algorithm>
#include <chrono>

#include "cam/capture.h"
#include "core/backend.h"
#include "core/error.h"
#include "core/ops.h"

namespace igcam::cam {

namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// The images of one input size, in input order.
struct Group {
    Shape shape;
    std::vector<int64_t> images;
};

std::vector<Group> group_by_shape(const std::vector<Shape>& shapes) {
    std::vector<Group> groups;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        auto found = std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.shape == shapes[i]; });
        if (found == groups.end()) {
            groups.push_back(Group{shapes[i], {}});
            found = groups.end() - 1;
        }
        found->images.push_back(static_cast<int64_t>(i));
    }
    return groups;
}

// Ends a progress task however the method leaves.
class Task {
public:
    Task(const ProgressSink& sink, const std::string& label) : sink_(sink) {
        if (sink_.begin) sink_.begin(label);
    }
    ~Task() {
        if (sink_.end) sink_.end();
    }
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;

private:
    const ProgressSink& sink_;
};

// One explain() call: the plan, the chunk loops and the statistics.
class Run {
public:
    Run(const models::Model& model, const Inputs& inputs, const ExplainOptions& options, const ProgressSink& progress)
        : model_(model), inputs_(inputs), o_(options), progress_(progress), plan_(Plan::of(options.methods, options.trace)) {
        IGCAM_CHECK(!o_.methods.empty(), ValueError, "explain: no method asked for");
        IGCAM_CHECK(inputs_.shapes.empty() || inputs_.load, ValueError, "explain: the inputs have no loader");
        IGCAM_CHECK(inputs_.classes.empty() || inputs_.classes.size() == inputs_.shapes.size(), ValueError,
                    "explain: ", inputs_.classes.size(), " classes for ", inputs_.shapes.size(), " inputs");
        model_.layer(o_.layer);  // an unknown layer fails before any image is loaded
        stats_.images = static_cast<int64_t>(inputs_.shapes.size());
        for (const MethodSpec* m : o_.methods) stats_.methods.push_back(MethodStats{m, 0, 0, {}, 0});
    }

    ExplainStats run(const ResultSink& deliver) {
        const std::vector<Group> groups = group_by_shape(inputs_.shapes);
        stats_.groups = static_cast<int64_t>(groups.size());
        for (const Group& group : groups) run_group(group, deliver);
        return stats_;
    }

private:
    // One batch's explanations, and what each method did for them.
    struct Work {
        int64_t passes = 0, rows = 0;
        double ms = 0;
    };
    struct Batch {
        std::vector<ImageExplanation> images;
        std::vector<Work> work;  // per method
    };

    void run_group(const Group& group, const ResultSink& deliver) {
        const int64_t batch = o_.batch > 0 ? o_.batch : automatic_batch(group.shape, model_.dtype, model_.device);
        stats_.batch_sizes.push_back(batch);
        std::optional<PathStart> start;
        if (plan_.path) {
            // The baseline once per input size: its forward serves every batch of this size.
            const Tensor x = o_.baseline.make(model_, group.shape);
            const LayerCapture at = forward_layer(model_, x, o_.layer);
            start = PathStart{x, at.activations, at.logits};
        }
        ChunkLoop images(batch);
        std::vector<ChunkLoop> rows(o_.methods.size(), ChunkLoop(batch));
        images.run(
            static_cast<int64_t>(group.images.size()),
            [&](int64_t begin, int64_t end) { return run_batch(group, begin, end, start ? &*start : nullptr, rows); },
            [&](Batch&& batch_results, int64_t, int64_t) {
                // Counted only now: a batch retried smaller after running out of memory
                // leaves no passes or times behind.
                ++stats_.batches;
                for (std::size_t m = 0; m < rows.size(); ++m) {
                    stats_.methods[m].passes += batch_results.work[m].passes;
                    stats_.methods[m].rows += batch_results.work[m].rows;
                    stats_.methods[m].ms += batch_results.work[m].ms;
                }
                done_ += static_cast<int64_t>(batch_results.images.size());
                deliver(batch_results.images);
            });
        stats_.memory_retries.insert(stats_.memory_retries.end(), images.retries().begin(), images.retries().end());
        for (std::size_t m = 0; m < rows.size(); ++m) {
            MethodStats& s = stats_.methods[m];
            s.memory_retries.insert(s.memory_retries.end(), rows[m].retries().begin(), rows[m].retries().end());
        }
    }

    // Images [begin, end) of the group: one forward (and backward), then every method.
    Batch run_batch(const Group& group, int64_t begin, int64_t end, const PathStart* start,
                    std::vector<ChunkLoop>& rows) {
        const int64_t count = end - begin;
        std::vector<Tensor> loaded;
        for (int64_t i = begin; i < end; ++i) {
            Tensor x = inputs_.load(group.images[i]);
            IGCAM_CHECK(x.shape() == group.shape && x.dtype() == model_.dtype && x.device() == model_.device,
                        ValueError, "explain: image ", group.images[i], " loaded as ", x.shape().to_string(), " ",
                        dtype_name(x.dtype()), " on ", x.device().to_string(), ", expected ",
                        group.shape.to_string(), " ", dtype_name(model_.dtype), " on ", model_.device.to_string());
            loaded.push_back(std::move(x));
        }
        const Tensor input = ops::concat_batch(loaded);
        loaded.clear();

        const auto t0 = std::chrono::steady_clock::now();
        ag::GradientTrace trace;
        std::vector<int64_t> classes;
        LayerCapture c;
        auto choose = [&](const Tensor& logits) {
            if (inputs_.classes.empty()) return classes = o_.target.choose(logits);
            classes.clear();
            for (int64_t i = begin; i < end; ++i) {
                const int64_t c = inputs_.classes.at(static_cast<std::size_t>(group.images[i]));
                IGCAM_CHECK(c >= 0 && c < logits.dim(1), ValueError, "explain: input ", group.images[i], " asks for class ",
                            c, " of a model with ", logits.dim(1), " classes");
                classes.push_back(c);
            }
            return classes;
        };
        if (plan_.taped) {
            c = capture_layer(model_, input, o_.layer, choose, o_.trace ? &trace : nullptr);
        } else {
            c = forward_layer(model_, input, o_.layer);
            c.scores = class_scores(c.logits, choose(c.logits));
        }
        synchronize(model_.device);  // GPU work is asynchronous: time it once it has finished
        const double capture_ms = ms_since(t0);

        const std::string images_text = "images " + std::to_string(done_ + 1) + "-" + std::to_string(done_ + count) +
                                        " of " + std::to_string(stats_.images);
        std::vector<MethodOutput> outputs;
        std::vector<int64_t> pass_rows;
        Batch out;
        for (std::size_t m = 0; m < o_.methods.size(); ++m) {
            const MethodSpec& spec = *o_.methods[m];
            Task task(progress_, images_text + ", " + spec.name);
            const MethodContext context{model_,   o_.layer, input,   c.activations,   c.gradients,
                                        c.scores, classes,  start,   o_.igcam,        o_.keep_tensors,
                                        rows[m],  progress_.update};
            pass_rows.push_back(rows[m].size());
            const int64_t passes = rows[m].passes(), done_rows = rows[m].rows();
            const auto t = std::chrono::steady_clock::now();
            outputs.push_back(spec.compute(context));
            synchronize(model_.device);
            out.work.push_back(Work{rows[m].passes() - passes, rows[m].rows() - done_rows, ms_since(t)});
        }

        const std::vector<double> scores = c.scores.to_vector();
        for (int64_t b = 0; b < count; ++b) {
            ImageExplanation e;
            e.index = group.images[begin + b];
            e.input_shape = group.shape;
            e.layer_shape = c.activations.slice_batch(b, b + 1).shape();
            e.logits = c.logits.slice_batch(b, b + 1);
            e.target_class = classes[b];
            e.score = scores[b];
            e.capture_ms = capture_ms / static_cast<double>(count);
            e.batch_images = count;
            for (std::size_t m = 0; m < outputs.size(); ++m) {
                e.maps.push_back(MethodMap{o_.methods[m], outputs[m].maps.slice_batch(b, b + 1),
                                           out.work[m].ms / static_cast<double>(count), pass_rows[m]});
                if (!outputs[m].audits.empty()) e.igcam = outputs[m].audits[b];
                if (!outputs[m].steps.empty()) e.igcam_steps = outputs[m].steps[b];
                if (!outputs[m].paths.empty()) e.igcam_path = outputs[m].paths[b];
            }
            if (o_.trace) e.trace = trace.row(b);
            if (o_.keep_tensors) {
                e.input = input.slice_batch(b, b + 1);
                e.activations = c.activations.slice_batch(b, b + 1);
                if (c.gradients.defined()) e.gradients = c.gradients.slice_batch(b, b + 1);
                if (start != nullptr) e.baseline_activations = start->activations;
            }
            out.images.push_back(std::move(e));
        }
        return out;
    }

    const models::Model& model_;
    const Inputs& inputs_;
    const ExplainOptions& o_;
    const ProgressSink& progress_;
    const Plan plan_;
    ExplainStats stats_;
    int64_t done_ = 0;  // images delivered so far
};

}  // namespace

Plan Plan::of(const std::vector<const MethodSpec*>& methods, bool trace) {
    Plan plan;
    plan.taped = trace;
    for (const MethodSpec* m : methods) {
        plan.taped = plan.taped || m->needs_any(kGradients);
        plan.path = plan.path || m->needs_any(kPath);
    }
    return plan;
}

Inputs Inputs::from_tensors(const std::vector<Tensor>& images) {
    std::vector<Tensor> rows;
    for (const Tensor& t : images) {
        IGCAM_CHECK(t.rank() == 4 && t.dim(1) == 3, ShapeError, "explain: an input must be (N, 3, H, W), got ",
                    t.shape().to_string());
        for (int64_t n = 0; n < t.dim(0); ++n) rows.push_back(t.slice_batch(n, n + 1));
    }
    Inputs inputs;
    for (const Tensor& r : rows) inputs.shapes.push_back(r.shape());
    inputs.load = [rows](int64_t i) { return rows.at(static_cast<std::size_t>(i)); };
    return inputs;
}

int64_t automatic_batch(const Shape& input_shape, DType dtype, Device device) {
    const int64_t available = static_cast<int64_t>(available_memory(device));
    const int64_t per_row = std::max<int64_t>(1, input_shape.numel() * 32 * static_cast<int64_t>(dtype_size(dtype)));
    // A GPU is fed best by whole IG-CAM paths (50 steps) in one pass. A CPU gains nothing
    // past about ten rows: IG-CAM (50 steps, 2 cores) took the same time within the noise
    // in passes of 10, 16 and 32 on ResNet-50 and VGG16, and 16 rows held 378 / 921 MiB
    // at peak where 32 held 890 / 2620.
    return std::clamp<int64_t>(available / 4 / per_row, 1, device.is_cuda() ? 64 : 16);
}

ExplainStats explain(const models::Model& model, const Inputs& inputs, const ExplainOptions& options,
                     const ResultSink& deliver, const ProgressSink& progress) {
    return Run(model, inputs, options, progress).run(deliver);
}

std::vector<ImageExplanation> explain_all(const models::Model& model, const Inputs& inputs,
                                          const ExplainOptions& options, ExplainStats* stats,
                                          const std::function<void(int64_t images_done)>& after_batch) {
    std::vector<ImageExplanation> all;
    const ExplainStats s = explain(model, inputs, options, [&](std::vector<ImageExplanation>& batch) {
        for (ImageExplanation& e : batch) all.push_back(std::move(e));
        if (after_batch) after_batch(static_cast<int64_t>(all.size()));
    });
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
    if (stats != nullptr) *stats = s;
    return all;
}

}  // namespace igcam::cam
