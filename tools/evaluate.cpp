#include "tools/evaluate.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "autograd/grad_mode.h"
#include "cam/pipeline.h"
#include "cam/target.h"
#include "core/error.h"
#include "core/io/image.h"
#include "core/io/npy.h"
#include "core/ops.h"
#include "eval/frames.h"
#include "eval/summary.h"
#include "tools/eval_rows.h"
#include "tools/inputs.h"
#include "tools/eval_summary_files.h"
#include "tools/evaluate_sanity.h"
#include "tools/progress_bar.h"
#include "tools/ranks.h"
#include "tools/usage_error.h"

namespace igcam::tools {

namespace fs = std::filesystem;
using json = nlohmann::json;

TargetMode parse_target_mode(const std::string& name) {
    if (name == "mixed") return TargetMode::Mixed;
    if (name == "gt") return TargetMode::Truth;
    if (name == "top1") return TargetMode::Top1;
    throw UsageError("unknown --target '" + name + "' (mixed, gt or top1)");
}

std::string target_mode_name(TargetMode m) {
    return m == TargetMode::Mixed ? "mixed" : m == TargetMode::Truth ? "gt" : "top1";
}

namespace {

// Images decoded and classified together, then explained in one pipeline run.
constexpr std::size_t kChunkImages = 16;

double ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

bool wants(const EvaluateOptions& o, eval::Family family) {
    for (const eval::MetricSpec* m : o.metrics)
        if (m->family == family) return true;
    return false;
}
bool wants(const EvaluateOptions& o, const std::string& name) {
    for (const eval::MetricSpec* m : o.metrics)
        if (m->name == name) return true;
    return false;
}

// What changes the numbers: --resume refuses a rows file written with other settings.
json settings_json(const EvaluateOptions& o, const models::Model& model, const std::string& layer,
                   const eval::Dataset& data) {
    json methods = json::array(), metrics = json::array();
    for (const cam::MethodSpec* m : o.methods) methods.push_back(m->name);
    for (const eval::MetricSpec* m : o.metrics) metrics.push_back(m->name);
    const cam::IgCamOptions& g = o.igcam;
    return {{"weights", fs::path(o.weights).filename().string()},
            {"data", data.source},
            {"kind", data.kind},
            {"split", o.dataset.split},
            {"images", static_cast<int64_t>(data.samples.size())},
            {"methods", methods},
            {"metrics", metrics},
            {"layer", layer},
            {"dtype", dtype_name(o.dtype)},
            {"preprocess", model.preprocess.name},
            {"score", eval::score_name(o.score)},
            {"mask_space", eval::mask_space_name(o.mask_space)},
            {"target", target_mode_name(o.target)},
            {"ties", o.ties == eval::Ties::Fraction ? "fraction" : "raster"},
            {"tolerance", o.tolerance},
            {"max_box_fraction", o.max_box_fraction},
            {"steps", o.steps},
            {"timings", o.timings},
            {"igcam", {{"preset", o.igcam_preset}, {"steps", g.steps}, {"riemann", cam::to_string(g.riemann)},
                       {"delta", cam::to_string(g.delta)}, {"relu", cam::to_string(g.relu)},
                       {"reduce", cam::to_string(g.reduce)}, {"baseline", o.baseline}}}};
}

std::string file_safe(std::string id) {
    for (char& c : id)
        if (c == '/' || c == '\\' || c == ' ') c = '_';
    return id;
}

// One image of a chunk, ready to explain.
struct Loaded {
    std::size_t sample = 0;  // dataset index
    Tensor input;            // (1, 3, H, W) model input
    int64_t height = 0, width = 0;  // the original image
};

// One (image, class) explanation.
struct Pair {
    std::size_t loaded = 0;
    int64_t class_index = 0;
    bool localisation = false, fidelity = false;
};

class Evaluation {
public:
    // `emit` takes each image's rows as soon as they are complete.
    Evaluation(const EvaluateOptions& o, const models::Model& model, const std::string& layer,
               const eval::Dataset& data, std::function<void(const std::vector<eval::Row>&)> emit)
        : o_(o), model_(model), data_(data), emit_(std::move(emit)) {
        request_.methods = o.methods;
        request_.layer = layer;
        request_.igcam = o.igcam;
        request_.baseline = cam::Baseline::parse(o.baseline);
        request_.batch = o.batch;
        fidelity_.score = o.score;
        fidelity_.space = o.mask_space;
        fidelity_.masked = wants(o, "drop") || wants(o, "increase");
        fidelity_.curves = wants(o, "deletion") || wants(o, "insertion");
        fidelity_.steps = o.steps;
    }

    // Evaluates samples `todo` (dataset indices), emitting each image's rows as it completes.
    void run(const std::vector<std::size_t>& todo) {
        for (std::size_t begin = 0; begin < todo.size(); begin += kChunkImages) {
            const std::vector<std::size_t> chunk(todo.begin() + static_cast<std::ptrdiff_t>(begin),
                                                 todo.begin() + static_cast<std::ptrdiff_t>(std::min(todo.size(), begin + kChunkImages)));
            run_chunk(chunk);
        }
    }

private:
    void write(std::vector<eval::Row>& rows) {
        if (!o_.timings)
            for (eval::Row& r : rows) r.timed = false;
        emit_(rows);
    }

    void fail(std::size_t sample, const std::string& message) {
        eval::Row r;
        r.image_index = static_cast<int64_t>(sample);
        r.image = data_.samples[sample].id;
        r.failed = true;
        r.error = message;
        std::vector<eval::Row> rows{r};
        write(rows);
        std::cerr << "error: " << message << " (recorded as a failed row)\n";
    }

    void skip(std::size_t sample, const std::string& reason) {
        eval::Row r;
        r.image_index = static_cast<int64_t>(sample);
        r.image = data_.samples[sample].id;
        r.failed = r.skipped = true;
        r.error = reason;
        std::vector<eval::Row> rows{r};
        write(rows);
    }

    std::optional<Loaded> load(std::size_t index) {
        const eval::Sample& s = data_.samples[index];
        if (!s.error.empty()) {
            fail(index, s.error);
            return std::nullopt;
        }
        try {
            const io::Image image = io::read_image(s.image);
            const std::string problem = eval::check_against_image(s, image.width, image.height);
            IGCAM_CHECK(problem.empty(), FormatError, s.annotation, ": ", problem);
            Loaded l;
            l.sample = index;
            l.height = image.height;
            l.width = image.width;
            try {
                l.input = models::preprocess_image(image, model_.preprocess, model_.dtype).to(model_.device);
            } catch (const ShapeError& e) {
                detail::throw_error<FormatError>(s.image, ": ", e.what());
            }
            return l;
        } catch (const IoError& e) {
            fail(index, e.what());
        } catch (const FormatError& e) {
            fail(index, e.what());
        }
        return std::nullopt;
    }

    // The top-1 class of each loaded image: one forward per input size.
    std::vector<int64_t> predict(const std::vector<Loaded>& loaded) {
        std::vector<int64_t> top(loaded.size(), 0);
        // Only fidelity (mixed) and --target top1 need the prediction.
        if (o_.target == TargetMode::Truth || (o_.target == TargetMode::Mixed && !wants(o_, eval::Family::Fidelity)))
            return top;
        ag::NoGradGuard no_grad;
        std::map<std::string, std::vector<std::size_t>> by_shape;
        for (std::size_t i = 0; i < loaded.size(); ++i) by_shape[loaded[i].input.shape().to_string()].push_back(i);
        for (const auto& [shape, members] : by_shape) {
            std::vector<Tensor> rows;
            for (std::size_t i : members) rows.push_back(loaded[i].input);
            nn::ForwardContext ctx;
            const Tensor logits = model_.forward(ag::Var(ops::concat_batch(rows)), ctx).value();
            const std::vector<int64_t> classes = cam::Target{}.choose(logits);
            for (std::size_t k = 0; k < members.size(); ++k) top[members[k]] = classes[k];
        }
        return top;
    }

    std::vector<Pair> pairs_of(const std::vector<Loaded>& loaded, const std::vector<int64_t>& top) const {
        std::vector<Pair> pairs;
        for (std::size_t i = 0; i < loaded.size(); ++i) {
            const eval::Sample& s = data_.samples[loaded[i].sample];
            const std::vector<int64_t> present = eval::classes_present(s);
            const bool loc = wants(o_, eval::Family::Localisation), fid = wants(o_, eval::Family::Fidelity);
            bool top_seen = false;
            if (o_.target != TargetMode::Top1)
                for (int64_t c : present) {
                    const bool is_top = o_.target == TargetMode::Mixed && c == top[i];
                    top_seen = top_seen || is_top;
                    const bool f = fid && (o_.target == TargetMode::Truth || is_top);
                    if (loc || f) pairs.push_back(Pair{i, c, loc, f});
                }
            if (o_.target == TargetMode::Top1) {
                const bool present_top = std::find(present.begin(), present.end(), top[i]) != present.end();
                pairs.push_back(Pair{i, top[i], loc && present_top, fid});
            } else if (o_.target == TargetMode::Mixed && fid && !top_seen) {
                pairs.push_back(Pair{i, top[i], false, true});
            }
        }
        return pairs;
    }

    void run_chunk(const std::vector<std::size_t>& chunk) {
        std::vector<Loaded> loaded;
        for (std::size_t index : chunk)
            if (std::optional<Loaded> l = load(index)) loaded.push_back(std::move(*l));
        if (loaded.empty()) return;
        const std::vector<Pair> pairs = pairs_of(loaded, predict(loaded));

        std::vector<std::vector<eval::Row>> rows(loaded.size());
        std::vector<std::size_t> remaining(loaded.size(), 0);
        for (const Pair& p : pairs) ++remaining[p.loaded];
        // Only localisation metrics asked for, and no object of a known class: nothing to score.
        for (std::size_t i = 0; i < loaded.size(); ++i)
            if (remaining[i] == 0) skip(loaded[i].sample, "no object to localise");

        cam::Inputs inputs;
        for (const Pair& p : pairs) {
            inputs.shapes.push_back(loaded[p.loaded].input.shape());
            inputs.classes.push_back(p.class_index);
        }
        inputs.load = [&](int64_t i) { return loaded[pairs[static_cast<std::size_t>(i)].loaded].input; };

        cam::explain(model_, inputs, request_, [&](std::vector<cam::ImageExplanation>& batch) {
            score_batch(batch, pairs, loaded, rows);
            for (const cam::ImageExplanation& e : batch) {
                const std::size_t i = pairs[static_cast<std::size_t>(e.index)].loaded;
                if (--remaining[i] == 0) {
                    std::sort(rows[i].begin(), rows[i].end(), [&](const eval::Row& a, const eval::Row& b) {
                        return a.class_index != b.class_index ? a.class_index < b.class_index
                                                              : method_position(a.method) < method_position(b.method);
                    });
                    write(rows[i]);
                    rows[i].clear();
                }
            }
        });
    }

    std::size_t method_position(const std::string& name) const {
        for (std::size_t m = 0; m < o_.methods.size(); ++m)
            if (o_.methods[m]->name == name) return m;
        return o_.methods.size();
    }

    void score_batch(const std::vector<cam::ImageExplanation>& batch, const std::vector<Pair>& pairs,
                     const std::vector<Loaded>& loaded, std::vector<std::vector<eval::Row>>& rows) {
        struct Pending {
            std::size_t image;  // into rows
            std::size_t row;
        };
        std::vector<eval::FidelityRequest> requests;
        std::vector<Pending> waiting;
        for (const cam::ImageExplanation& e : batch) {
            const Pair& p = pairs[static_cast<std::size_t>(e.index)];
            const Loaded& l = loaded[p.loaded];
            const eval::Sample& s = data_.samples[l.sample];
            std::vector<eval::Box> boxes;
            bool all_difficult = true;
            for (const eval::Object& obj : s.objects)
                if (obj.class_index == p.class_index) {
                    boxes.push_back(obj.box);
                    all_difficult = all_difficult && obj.difficult;
                }
            const std::vector<uint8_t> mask = eval::box_mask(boxes, l.height, l.width);
            const double fraction = static_cast<double>(std::count(mask.begin(), mask.end(), uint8_t{1})) /
                                    static_cast<double>(l.height * l.width);
            const bool localise = p.localisation && (o_.max_box_fraction <= 0 || fraction <= o_.max_box_fraction);
            const std::vector<double> logits = e.logits.to_vector();
            const std::string stem = file_safe(s.id) + "." + std::to_string(p.class_index);
            if (!o_.dump.empty()) {
                io::write_npy((fs::path(o_.dump) / (file_safe(s.id) + ".input.npy")).string(), ops::cast(ops::to_device(l.input, Device::cpu()), DType::F64));
                if (localise) write_grid(stem + ".mask.npy", eval::Grid{l.height, l.width, {mask.begin(), mask.end()}});
            }
            for (const cam::MethodMap& mm : e.maps) {
                const auto t = std::chrono::steady_clock::now();
                eval::Row r;
                r.image_index = static_cast<int64_t>(l.sample);
                r.image = s.id;
                r.class_index = p.class_index;
                r.class_name = model_.class_names[static_cast<std::size_t>(p.class_index)];
                r.method = mm.method->name;
                r.localisation = localise;
                r.fidelity = p.fidelity;
                r.difficult_only = !boxes.empty() && all_difficult;
                r.score = eval::class_score(logits, p.class_index, o_.score);
                r.map_ms = mm.ms + e.capture_ms / static_cast<double>(e.maps.size());
                if (!o_.dump.empty())
                    io::write_npy((fs::path(o_.dump) / (stem + "." + r.method + ".raw.npy")).string(),
                                  ops::cast(ops::to_device(mm.map, Device::cpu()), DType::F64));
                if (localise) {
                    const eval::Grid frame = eval::localisation_frame(mm.map, l.height, l.width, model_.preprocess);
                    if (wants(o_, "ebpg")) r.metrics["ebpg"] = eval::energy_pointing_game(frame, mask);
                    if (wants(o_, "bbox")) r.metrics["bbox"] = eval::bbox_accuracy(frame, mask, o_.ties);
                    if (wants(o_, "pointing"))
                        r.metrics["pointing"] = r.difficult_only ? std::nullopt
                                                : std::optional<double>(eval::pointing_game(frame, boxes, o_.tolerance).hit ? 1.0 : 0.0);
                    if (!o_.dump.empty()) write_grid(stem + "." + r.method + ".loc.npy", frame);
                }
                r.metrics_ms = ms_since(t);
                rows[p.loaded].push_back(std::move(r));
                if (p.fidelity) {
                    eval::FidelityRequest q;
                    q.input = &l.input;
                    q.saliency = eval::fidelity_frame(mm.map, l.input.dim(2), l.input.dim(3));
                    q.class_index = p.class_index;
                    if (!o_.dump.empty()) write_grid(stem + "." + mm.method->name + ".fid.npy", q.saliency);
                    requests.push_back(std::move(q));
                    waiting.push_back({p.loaded, rows[p.loaded].size() - 1});
                }
            }
        }
        if (requests.empty()) return;
        const auto t = std::chrono::steady_clock::now();
        fidelity_.batch = o_.batch > 0 ? o_.batch : cam::automatic_batch(requests.front().input->shape(), model_.dtype, model_.device);
        const std::vector<eval::FidelityResult> results = eval::run_fidelity(model_, requests, fidelity_);
        const double share = ms_since(t) / static_cast<double>(results.size());
        for (std::size_t k = 0; k < results.size(); ++k) {
            eval::Row& r = rows[waiting[k].image][waiting[k].row];
            const eval::FidelityResult& f = results[k];
            r.masked_score = f.masked;
            r.metrics_ms += share;
            if (wants(o_, "drop")) r.metrics["drop"] = eval::confidence_drop(r.score, f.masked);
            if (wants(o_, "increase")) r.metrics["increase"] = eval::confidence_increase(r.score, f.masked);
            if (wants(o_, "deletion")) r.metrics["deletion"] = eval::curve_area(f.deletion);
            if (wants(o_, "insertion")) r.metrics["insertion"] = eval::curve_area(f.insertion);
        }
    }

    void write_grid(const std::string& name, const eval::Grid& g) const {
        io::write_npy((fs::path(o_.dump) / name).string(),
                  Tensor::from_values(Shape{g.height, g.width}, g.values, DType::F64, Device::cpu()));
    }

    const EvaluateOptions& o_;
    const models::Model& model_;
    const eval::Dataset& data_;
    std::function<void(const std::vector<eval::Row>&)> emit_;
    cam::ExplainOptions request_;
    eval::FidelityOptions fidelity_;
};

}  // namespace

namespace {

// The dataset indices still to do, as rank 0 sends them to the others.
std::string encode_indices(const std::vector<std::size_t>& indices) {
    std::string bytes;
    for (std::size_t i : indices) bytes.append(std::to_string(i)).push_back(' ');
    return bytes;
}
std::vector<std::size_t> decode_indices(const std::string& bytes) {
    std::vector<std::size_t> indices;
    std::size_t begin = 0;
    for (std::size_t end = bytes.find(' '); end != std::string::npos; begin = end + 1, end = bytes.find(' ', begin))
        indices.push_back(static_cast<std::size_t>(std::stoull(bytes.substr(begin, end - begin))));
    return indices;
}

}  // namespace

EvaluateResult run_evaluate(const EvaluateOptions& o, std::ostream& out, Ranks& ranks) {
    // Every rank: the model, the dataset and the settings; a problem is reported once.
    std::optional<models::Model> loaded;
    std::string layer;
    eval::Dataset data;
    json settings;
    ranks.together([&] {
        IGCAM_CHECK(!ranks.many() || o.dump.empty(), UsageError,
                    "--dump writes from one process: run it without mpirun");
        loaded.emplace(load_tool_model(o.weights, o.dtype, o.preprocess, o.device));
        layer = resolve_layer(*loaded, o.layer);
        data = eval::load_dataset(o.data, loaded->class_names, o.dataset);
        if (o.limit > 0 && static_cast<int64_t>(data.samples.size()) > o.limit)
            data.samples.resize(static_cast<std::size_t>(o.limit));
        settings = settings_json(o, *loaded, layer, data);
    });
    const models::Model& model = *loaded;
    const std::string rows_path = (fs::path(o.out_dir) / "rows.jsonl").string();

    // Rank 0: the output folder, and what an earlier run left there.
    std::vector<std::size_t> todo;
    bool append = false;
    ranks.together([&] {
        if (!ranks.root()) return;
        std::error_code error;
        fs::create_directories(o.out_dir, error);
        IGCAM_CHECK(!error && fs::is_directory(o.out_dir), IoError, o.out_dir, ": cannot create the output directory");
        if (!o.dump.empty()) {
            fs::create_directories(o.dump, error);
            IGCAM_CHECK(!error && fs::is_directory(o.dump), IoError, o.dump, ": cannot create the dump directory");
        }
        std::set<int64_t> done;
        append = o.resume && fs::exists(rows_path);
        if (append) {
            const RowFileContents previous = resume_rows(rows_path, settings);
            done = previous.images;
            out << "resuming " << rows_path << ": " << done.size() << " of " << data.samples.size() << " images done"
                << (previous.cut_bytes > 0 ? ", an incomplete last image cut off" : "") << "\n";
        } else {
            IGCAM_CHECK(!fs::exists(rows_path), UsageError, rows_path,
                        " exists: pass --resume to continue that run, or choose another --out");
        }
        for (std::size_t i = 0; i < data.samples.size(); ++i)
            if (done.count(static_cast<int64_t>(i)) == 0) todo.push_back(i);
    });
    todo = decode_indices(ranks.broadcast(encode_indices(todo)));
    std::vector<std::size_t> mine;
    for (std::size_t k : share_of(todo.size(), ranks.rank(), ranks.size())) mine.push_back(todo[k]);

    EvaluateResult result;
    result.images = static_cast<int64_t>(data.samples.size());
    result.evaluated = static_cast<int64_t>(todo.size());
    ranks.begin_work("the job stopped before it finished (a rank died, or it was cancelled); the rows written so far "
                     "are in " + rows_path + ": run the same command with --resume, with any number of ranks");
    if (!ranks.root()) {
        Evaluation evaluation(o, model, layer, data, [&](const std::vector<eval::Row>& rows) {
            Gather::send_item(ranks, RowWriter::lines(rows));
        });
        evaluation.run(mine);
        Gather::send_done(ranks);
        result.exit_code = Gather::wait_finish(ranks);
        ranks.end_work();
        return result;
    }

    const auto started = std::chrono::steady_clock::now();
    {
        RowWriter writer(rows_path, settings, append);
        // One process draws a bar on a terminal; an MPI job's rank 0 prints lines.
        ProgressBar bar(!o.quiet, ranks.launched() ? ProgressBar::Lines : ProgressBar::Bar);
        bar.begin("evaluating");
        const int64_t total = static_cast<int64_t>(todo.size());
        int64_t images_done = 0;
        auto take = [&](const std::string& lines) {
            writer.append(lines);
            bar.update(++images_done, total);
        };
        Gather gather(ranks, take, [&] { bar.update(images_done, total); });
        Evaluation evaluation(o, model, layer, data, [&](const std::vector<eval::Row>& rows) {
            const std::string lines = RowWriter::lines(rows);
            gather.local([&] { take(lines); });
        });
        evaluation.run(mine);
        gather.wait();
        bar.end();
    }
    const double seconds = ms_since(started) / 1000.0;
    // Rows arrive in the order images finish; the file ends in dataset order, so it does not
    // depend on the ranks, their speed, or where a run was interrupted.
    order_rows_file(rows_path);

    const std::vector<eval::Row> rows = read_rows(rows_path);
    for (const eval::Row& r : rows) result.failed += r.failed && !r.skipped ? 1 : 0;
    std::vector<std::string> methods;
    for (const cam::MethodSpec* m : o.methods) methods.push_back(m->name);
    const std::vector<eval::MethodSummary> summary =
        eval::summarise(rows, methods, o.metrics, eval::SummaryOptions{o.resamples, o.seed});
    write_summary_files(o.out_dir, summary, rows, settings);
    print_summary_table(out, summary);
    out << "evaluated " << result.evaluated << " images in " << seconds << " s";
    if (seconds > 0 && result.evaluated > 0) out << " (" << static_cast<double>(result.evaluated) / seconds << " images/s)";
    if (ranks.many()) out << " on " << ranks.size() << " ranks";
    out << "; " << result.failed << " failed; wrote " << o.out_dir << "/summary.{json,csv,md}\n";
    if (o.sanity > 0) run_sanity(o, data, layer, out);
    result.exit_code = result.failed > 0 ? kExitSomeImagesFailed : 0;
    Gather::send_finish(ranks, result.exit_code);
    ranks.end_work();
    return result;
}

}  // namespace igcam::tools
