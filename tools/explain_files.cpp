#include "tools/explain_files.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cam/postprocess.h"
#include "cam/render.h"
#include "core/io/npy.h"
#include "core/ops.h"

namespace igcam::tools {

namespace {

// The film strip of IG-CAM's per-step maps (see write_image_files).
io::Image path_strip(const io::Image& view, const cam::IgCamPath& path, bool black_baseline, cam::Colormap colormap,
                     double alpha) {
    const Tensor& maps = path.step_maps;  // (steps, 1, h, w)
    const int64_t steps = maps.dim(0);
    const double largest = std::max(ops::max_abs(maps), 1e-300);
    std::vector<int64_t> chosen;
    const int64_t panels = std::min<int64_t>(steps, kPathPanels);
    for (int64_t i = 1; i <= panels; ++i) {
        const int64_t step = (i * steps + panels - 1) / panels - 1;  // evenly spread, the last step last
        if (chosen.empty() || chosen.back() != step) chosen.push_back(step);
    }
    std::vector<io::Image> images;
    std::vector<std::string> labels;
    for (int64_t step : chosen) {
        const Tensor up = cam::upsample_map(maps.slice_batch(step, step + 1), view.height, view.width);
        std::vector<double> heat = up.to_vector();
        for (double& v : heat) v = std::clamp(v / largest, 0.0, 1.0);
        io::Image base = view;
        const double t = path.t[static_cast<std::size_t>(step)];
        if (black_baseline)
            for (uint8_t& p : base.rgb) p = static_cast<uint8_t>(std::lround(p * t));
        images.push_back(cam::overlay(base, Tensor::from_values(Shape{view.height, view.width}, heat, DType::F64),
                                      colormap, alpha));
        char label[32];
        std::snprintf(label, sizeof label, "t=%.3g", t);
        labels.push_back(label);
    }
    return cam::make_grid(images, labels);
}

}  // namespace

void write_image_files(io::StagedFiles& staged, const std::string& out_dir, const io::Image& view,
                       const cam::ImageExplanation& e, const ImageRecord& record, const ExplainOptions& options) {
    const cam::Colormap colormap = options.colormap;
    const double alpha = options.alpha;
    const std::filesystem::path out(out_dir);
    const int64_t height = e.input_shape[2], width = e.input_shape[3];
    std::vector<io::Image> panels{view};
    std::vector<std::string> labels{"input: " + record.class_name};
    for (std::size_t m = 0; m < e.maps.size(); ++m) {
        const Tensor& raw = e.maps[m].map;
        const MethodRecord& r = record.methods[m];
        const Tensor heat = cam::normalize_maps(cam::upsample_map(raw, height, width));
        io::Image overlay = cam::overlay(view, heat.reshape(Shape{height, width}), colormap, alpha);
        io::write_png(staged.add((out / r.png).string()), overlay);
        io::write_npy(staged.add((out / r.npy).string()), raw.reshape(Shape{raw.dim(2), raw.dim(3)}));
        panels.push_back(std::move(overlay));
        labels.push_back(r.zero_map ? r.name + " (zero)" : r.name);
    }
    io::write_png(staged.add((out / record.grid).string()), cam::make_grid(panels, labels));
    if (!record.input_png.empty()) io::write_png(staged.add((out / record.input_png).string()), view);
    if (!record.path_png.empty())
        io::write_png(staged.add((out / record.path_png).string()),
                      path_strip(view, *e.igcam_path, options.baseline == "black", colormap, alpha));
}

void write_dump(h5::Writer& dump, const cam::ImageExplanation& e, const std::string& stem,
                const cam::IgCamOptions& igcam) {
    const std::string g = "/" + stem;
    dump.write(g + "/input", e.input);
    dump.write(g + "/logits", e.logits);
    dump.write(g + "/activations", e.activations);
    if (e.gradients.defined()) dump.write(g + "/gradients", e.gradients);
    for (const cam::MethodMap& m : e.maps) dump.write(g + "/maps/" + m.method->name, m.map);
    dump.attribute(g, "class", e.target_class);
    if (e.igcam_steps) {
        std::vector<double> t, weights;
        cam::path_points(igcam, t, weights);
        dump.write(g + "/igcam/t", Tensor::from_values(Shape{static_cast<int64_t>(t.size())}, t, DType::F64));
        dump.write(g + "/igcam/step_activations", e.igcam_steps->activations);
        dump.write(g + "/igcam/step_gradients", e.igcam_steps->gradients);
        dump.write(g + "/igcam/baseline_activations", e.baseline_activations);
    }
}

}  // namespace igcam::tools
