#include "tools/evaluate_sanity.h"

#include <array>
#include <cstdio>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "cam/pipeline.h"
#include "core/error.h"
#include "core/io/image.h"
#include "core/io/npy.h"
#include "core/io/staged_file.h"
#include "eval/frames.h"
#include "eval/sanity.h"
#include "tools/inputs.h"

namespace igcam::tools {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

models::Model load(const EvaluateOptions& o) { return load_tool_model(o.weights, o.dtype, o.preprocess, o.device); }

// The first `count` samples whose image decodes, as model inputs.
std::vector<std::pair<std::size_t, Tensor>> first_images(const eval::Dataset& data, const models::Model& model,
                                                         int64_t count) {
    std::vector<std::pair<std::size_t, Tensor>> images;
    for (std::size_t i = 0; i < data.samples.size() && static_cast<int64_t>(images.size()) < count; ++i) {
        if (!data.samples[i].error.empty()) continue;
        try {
            images.emplace_back(i, models::preprocess_image(io::read_image(data.samples[i].image), model.preprocess,
                                                            model.dtype).to(model.device));
        } catch (const Error&) {
            // Reported by the evaluation itself; the check takes the next image.
        }
    }
    return images;
}

// maps[image][method] in the fidelity frame.
std::vector<std::vector<eval::Grid>> maps_of(const models::Model& model, const cam::ExplainOptions& request,
                                             const std::vector<Tensor>& inputs, const std::vector<int64_t>& classes,
                                             std::vector<int64_t>* chosen) {
    cam::Inputs in = cam::Inputs::from_tensors(inputs);
    in.classes = classes;
    std::vector<std::vector<eval::Grid>> maps;
    for (const cam::ImageExplanation& e : cam::explain_all(model, in, request)) {
        if (chosen) chosen->push_back(e.target_class);
        std::vector<eval::Grid> row;
        for (const cam::MethodMap& m : e.maps)
            row.push_back(eval::fidelity_frame(m.map, e.input_shape[2], e.input_shape[3]));
        maps.push_back(std::move(row));
    }
    return maps;
}

std::string file_safe(std::string id) {
    for (char& c : id)
        if (c == '/' || c == '\\' || c == ' ') c = '_';
    return id;
}

}  // namespace

void run_sanity(const EvaluateOptions& o, const eval::Dataset& data, const std::string& layer, std::ostream& out) {
    models::Model trained = load(o);
    const std::vector<std::pair<std::size_t, Tensor>> images = first_images(data, trained, o.sanity);
    IGCAM_CHECK(!images.empty(), FormatError, data.source, ": --sanity found no image that loads");
    std::vector<Tensor> inputs;
    for (const auto& [index, x] : images) inputs.push_back(x);

    cam::ExplainOptions request;
    request.methods = o.methods;
    request.layer = layer;
    request.igcam = o.igcam;
    request.baseline = cam::Baseline::parse(o.baseline);
    request.batch = o.batch;
    std::vector<int64_t> classes;
    const std::vector<std::vector<eval::Grid>> original = maps_of(trained, request, inputs, {}, &classes);
    const std::vector<std::string> blocks = eval::cascade_blocks(trained);

    auto dump = [&](std::size_t image, std::size_t method, std::size_t step, const eval::Grid& g) {
        if (o.dump.empty()) return;
        const std::string name = file_safe(data.samples[images[image].first].id) + "." + o.methods[method]->name +
                                 ".sanity" + std::to_string(step) + ".npy";
        io::write_npy((fs::path(o.dump) / name).string(),
                      Tensor::from_values(Shape{g.height, g.width}, g.values, DType::F64, Device::cpu()));
    };
    for (std::size_t i = 0; i < original.size(); ++i)
        for (std::size_t m = 0; m < original[i].size(); ++m) dump(i, m, 0, original[i][m]);

    std::string lines;
    // means[method][step] = (sum spearman, sum spearman_abs, sum ssim, count of each)
    std::vector<std::vector<std::array<double, 6>>> means(o.methods.size(),
                                                          std::vector<std::array<double, 6>>(blocks.size()));
    models::Model model = load(o);
    for (std::size_t step = 0; step < blocks.size(); ++step) {
        eval::randomise_block(model, blocks[step], o.seed + step);
        const std::vector<std::vector<eval::Grid>> now = maps_of(model, request, inputs, classes, nullptr);
        for (std::size_t i = 0; i < now.size(); ++i)
            for (std::size_t m = 0; m < now[i].size(); ++m) {
                dump(i, m, step + 1, now[i][m]);
                const eval::Similarity s = eval::compare_maps(original[i][m], now[i][m]);
                auto value = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
                lines += json{{"image", data.samples[images[i].first].id}, {"class_index", classes[i]},
                              {"method", o.methods[m]->name}, {"step", step + 1}, {"randomised", blocks[step]},
                              {"spearman", value(s.spearman)}, {"spearman_abs", value(s.spearman_abs)},
                              {"ssim", s.ssim}}.dump() + "\n";
                auto& acc = means[m][step];
                if (s.spearman) acc[0] += *s.spearman, acc[3] += 1;
                if (s.spearman_abs) acc[1] += *s.spearman_abs, acc[4] += 1;
                acc[2] += s.ssim, acc[5] += 1;
            }
    }

    std::string md = "Cascading randomisation on " + std::to_string(images.size()) +
                     " images (each block re-initialised from the logits down; mean similarity to the trained "
                     "model's map: 1 = unchanged, a method that explains the model falls towards 0)\n";
    const char* titles[3] = {"Spearman rank correlation", "Spearman of absolute values", "SSIM (maps in [-1, 1], window 5)"};
    for (int k = 0; k < 3; ++k) {
        md.append("\n").append(titles[k]).append("\n\n| Method |");
        std::string rule = "|---|";
        for (std::size_t step = 0; step < blocks.size(); ++step) {
            md.append(step ? " +" : " ").append(blocks[step]).append(" |");
            rule += "---:|";
        }
        md.append("\n").append(rule).append("\n");
        for (std::size_t m = 0; m < o.methods.size(); ++m) {
            md.append("| ").append(o.methods[m]->name).append(" |");
            for (std::size_t step = 0; step < blocks.size(); ++step) {
                const auto& acc = means[m][step];
                char cell[32] = "n/a";
                if (acc[static_cast<std::size_t>(3 + k)] > 0)
                    std::snprintf(cell, sizeof cell, "%.3f", acc[static_cast<std::size_t>(k)] / acc[static_cast<std::size_t>(3 + k)]);
                md.append(" ").append(cell).append(" |");
            }
            md += "\n";
        }
    }
    io::StagedFiles staged;
    io::write_text_file(staged.add((fs::path(o.out_dir) / "sanity.jsonl").string()), lines);
    io::write_text_file(staged.add((fs::path(o.out_dir) / "sanity.md").string()), md);
    staged.commit_all();
    out << "sanity check: " << images.size() << " images, " << blocks.size() << " steps; wrote " << o.out_dir
        << "/sanity.{jsonl,md}\n";
}

}  // namespace igcam::tools
