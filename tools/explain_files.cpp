#include "tools/explain_files.h"

#include <filesystem>

#include "cam/postprocess.h"
#include "cam/render.h"
#include "core/io/npy.h"

namespace igcam::tools {

void write_image_files(io::StagedFiles& staged, const std::string& out_dir, const io::Image& view,
                       const cam::ImageExplanation& e, const ImageRecord& record, cam::Colormap colormap,
                       double alpha) {
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
}

void write_dump(h5::Writer& dump, const cam::ImageExplanation& e, const std::string& stem,
                const cam::IgCamOptions& igcam) {
    const std::string g = "/" + stem;
    dump.write(g + "/input", e.input);
    dump.write(g + "/logits", e.logits);
    dump.write(g + "/activations", e.activations);
    if (e.gradients.defined()) dump.write(g + "/gradients", e.gradients);
    for (const cam::MethodMap& m : e.maps) dump.write(g + "/maps/" + m.method->name, m.map);
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
