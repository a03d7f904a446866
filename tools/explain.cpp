#include "tools/explain.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "autograd/grad_mode.h"
#include "cam/capture.h"
#include "cam/perturbation.h"
#include "cam/postprocess.h"
#include "cam/render.h"
#include "cam/target.h"
#include "core/backend.h"
#include "core/io/image.h"
#include "core/io/npy.h"
#include "core/ops.h"
#include "models/hdf5_file.h"
#include "models/keras_load.h"
#include "models/load.h"
#include "tools/inputs.h"
#include "tools/progress_bar.h"
#include "tools/usage_error.h"

namespace igcam::tools {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kVersion = "0.1.0";

// Output files are written here first and moved into OUT only when the run succeeded.
class Staging {
public:
    explicit Staging(const std::string& out_dir) : out_(out_dir) {
        std::error_code error;
        fs::create_directories(out_, error);
        IGCAM_CHECK(!error && fs::is_directory(out_), IoError, out_dir, ": cannot create the output directory");
        dir_ = out_ / (".igcam-staging-" + std::to_string(getpid()));
        fs::remove_all(dir_, error);
        fs::create_directory(dir_, error);
        IGCAM_CHECK(!error, IoError, out_dir, ": cannot write into the output directory");
    }
    ~Staging() {
        std::error_code error;
        fs::remove_all(dir_, error);
    }
    std::string path(const std::string& name) {
        names_.push_back(name);
        return (dir_ / name).string();
    }
    // Moves every staged file into OUT; returns how many.
    std::size_t commit() {
        for (const std::string& name : names_) {
            std::error_code error;
            fs::rename(dir_ / name, out_ / name, error);
            IGCAM_CHECK(!error, IoError, (out_ / name).string(), ": cannot move the finished file into place");
        }
        return names_.size();
    }

private:
    fs::path out_, dir_;
    std::vector<std::string> names_;
};

double milliseconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// One decoded, preprocessed image.
struct Input {
    std::string path, stem;
    io::Image image;
    Tensor tensor;  // (1, 3, H, W)
};

struct MethodRun {
    cam::Method method;
    Tensor raw;  // (1, 1, h, w)
    double ms = 0;
    json params = json::object();
};

Tensor baseline_for(const ExplainOptions& o, const models::Model& model, const Input& input) {
    if (o.baseline == "zero") return Tensor::zeros(input.tensor.shape(), o.dtype, model.device);
    if (o.baseline == "black") {
        io::Image black = input.image;
        std::fill(black.rgb.begin(), black.rgb.end(), uint8_t{0});
        return preprocess_image(black, model.preprocess, o.dtype).to(model.device);
    }
    const Tensor t = preprocess_image(io::read_image(o.baseline), model.preprocess, o.dtype);
    IGCAM_CHECK(t.shape() == input.tensor.shape(), FormatError, o.baseline, ": the baseline image becomes ",
                t.shape().to_string(), " after preprocessing, but ", input.path, " becomes ",
                input.tensor.shape().to_string(), "; use images of the same size");
    return t.to(model.device);
}

json igcam_params(const ExplainOptions& o, const cam::IgCamOptions& g) {
    return {{"preset", o.igcam_preset}, {"steps", g.steps},        {"riemann", cam::to_string(g.riemann)},
            {"delta", cam::to_string(g.delta)}, {"relu", cam::to_string(g.relu)}, {"reduce", cam::to_string(g.reduce)},
            {"baseline", o.baseline}, {"batch", g.batch}};
}

json topk_json(const models::Model& model, const Tensor& logits, int k) {
    const std::vector<double> l = logits.to_vector();
    const std::vector<double> p = ops::softmax_forward(logits, 1).to_vector();
    json out = json::array();
    for (int64_t c : cam::top_classes(l, k))
        out.push_back({{"class", c}, {"name", model.class_names[c]}, {"logit", l[c]}, {"probability", p[c]}});
    return out;
}

void write_report(const std::string& path, const json& report) {
    const std::string partial = path + ".partial";
    {
        std::ofstream file(partial);
        file << report.dump(2) << "\n";
        IGCAM_CHECK(file.good(), IoError, path, ": cannot write");
    }
    std::error_code error;
    fs::rename(partial, path, error);
    IGCAM_CHECK(!error, IoError, path, ": cannot write");
}

std::vector<Input> read_inputs(const ExplainOptions& o, const models::Model& model) {
    std::vector<Input> inputs;
    std::set<std::string> stems;
    for (const std::string& path : o.images) {
        Input in;
        in.path = path;
        in.stem = file_stem(path);
        if (!stems.insert(in.stem).second)
            throw UsageError("two input images share the name '" + in.stem + "'; their outputs would collide");
        in.image = io::read_image(path);
        in.tensor = preprocess_image(in.image, model.preprocess, o.dtype).to(model.device);
        inputs.push_back(std::move(in));
    }
    return inputs;
}

}  // namespace

int64_t automatic_batch(int64_t input_elements, DType dtype, Device device) {
    const int64_t available = static_cast<int64_t>(available_memory(device));
    const int64_t per_row = std::max<int64_t>(1, input_elements * 32 * static_cast<int64_t>(dtype_size(dtype)));
    // A GPU is fed best by whole IG-CAM paths (50 steps) in one pass. A CPU gains nothing
    // past about ten rows: IG-CAM (50 steps, 2 cores) took the same time within the noise
    // in passes of 10, 16 and 32 on ResNet-50 and VGG16, and 16 rows held 378 / 921 MiB
    // at peak where 32 held 890 / 2620.
    return std::clamp<int64_t>(available / 4 / per_row, 1, device.is_cuda() ? 64 : 16);
}

void run_explain(const ExplainOptions& o, std::ostream& out) {
    models::Model model = models::load_model(o.weights, o.dtype);
    if (!o.preprocess.empty()) model.preprocess = preprocess_preset(o.preprocess);
    model.to(o.device);
    std::string layer = model.default_layer;
    try {
        // Keras layer names (conv5_block3_out, block5_conv3) name igcam's modules too.
        if (!o.layer.empty()) layer = models::keras_layer_alias(model.architecture, o.layer);
        model.layer(layer);
    } catch (const ValueError& e) {
        throw UsageError(e.what());
    }
    const std::vector<Input> inputs = read_inputs(o, model);
    ProgressBar bar(!o.quiet && !o.json);
    Staging staging(o.out_dir);
    std::unique_ptr<h5::Writer> dump;
    if (!o.dump.empty()) dump = std::make_unique<h5::Writer>(o.dump);

    json report = {{"igcam_version", kVersion},
                   {"command", o.command_line},
                   {"model", {{"path", model.source}, {"format", model.format}, {"arch", model.architecture.name},
                              {"variant", models::variant_name(model.architecture)},
                              {"classes", model.num_classes()}, {"parameters", model.net->parameter_count()}}},
                   {"preprocessing", {{"name", model.preprocess.name}, {"scale", model.preprocess.scale},
                                      {"mean", model.preprocess.mean}, {"std", model.preprocess.std},
                                      {"bgr", model.preprocess.bgr}, {"resize", model.preprocess.resize},
                                      {"crop", model.preprocess.crop}}},
                   {"layer", layer},
                   {"layer_requested", o.layer.empty() ? "(default)" : o.layer},
                   {"device", {{"name", o.device.to_string()}, {"description", device_description(o.device)},
                               {"tf32", tf32_enabled()}}},
                   {"dtype", dtype_name(o.dtype)},
                   {"colormap", cam::colormap_name(o.colormap)},
                   {"libraries", {{"backend", backend_summary()}, {"blas", blas_version()},
                                  {"hdf5", h5::hdf5_version()}, {"images", io::image_library_versions()}}},
                   {"images", json::array()}};

    bool gradients_needed = o.trace;
    for (cam::Method m : o.methods)
        gradients_needed = gradients_needed || (m != cam::Method::EigenCam && m != cam::Method::ScoreCam &&
                                                m != cam::Method::AblationCam && m != cam::Method::IgCam);

    for (const Input& in : inputs) {
        const int64_t batch = o.batch > 0 ? o.batch : automatic_batch(in.tensor.numel(), o.dtype, o.device);
        std::vector<int64_t> classes;
        auto choose = [&](const Tensor& logits) {
            try {
                classes = cam::resolve_classes(o.class_spec, model.class_names, logits);
            } catch (const ValueError& e) {
                throw UsageError(e.what());
            }
            return classes;
        };
        const auto start = std::chrono::steady_clock::now();
        cam::LayerCapture capture = cam::capture_layer(model, in.tensor, layer, choose);
        synchronize(o.device);  // GPU work is asynchronous: time it once it has finished
        const double capture_ms = milliseconds_since(start);
        const int64_t c = classes.at(0);
        const Tensor probabilities = ops::softmax_forward(capture.logits, 1);

        std::vector<MethodRun> runs;
        json image_report = {{"path", in.path},
                             {"input_shape", in.tensor.shape().dims()},
                             {"layer_shape", capture.activations.shape().dims()},
                             {"class", {{"index", c}, {"name", model.class_names[c]},
                                        {"logit", capture.logits.at({0, c})},
                                        {"probability", probabilities.at({0, c})}}},
                             {"topk", topk_json(model, capture.logits, o.topk)},
                             {"capture_ms", capture_ms},
                             {"methods", json::array()}};
        cam::IgCamResult ig;
        for (cam::Method m : o.methods) {
            MethodRun run{m, {}, 0, json::object()};
            const std::string name = cam::method_name(m);
            bar.begin(in.stem + " " + name);
            auto progress = [&](int64_t done, int64_t total) { bar.update(done, total); };
            const auto t0 = std::chrono::steady_clock::now();
            switch (m) {
                case cam::Method::GradCam: run.raw = cam::gradcam(capture.activations, capture.gradients); break;
                case cam::Method::GradCamPlusPlus:
                    run.raw = cam::gradcam_plus_plus(capture.activations, capture.gradients);
                    break;
                case cam::Method::XGradCam: run.raw = cam::xgradcam(capture.activations, capture.gradients); break;
                case cam::Method::LayerCam: run.raw = cam::layercam(capture.activations, capture.gradients); break;
                case cam::Method::HiResCam: run.raw = cam::hirescam(capture.activations, capture.gradients); break;
                case cam::Method::EigenCam: run.raw = cam::eigencam(capture.activations); break;
                case cam::Method::ScoreCam:
                    run.raw = cam::scorecam(model, in.tensor, capture.activations, classes, batch, progress);
                    run.params = {{"batch", batch}, {"mask_upsampling", "bilinear, align_corners=false"}};
                    break;
                case cam::Method::AblationCam:
                    run.raw = cam::ablationcam(model, in.tensor, capture.activations, layer, classes, capture.scores,
                                               batch, progress);
                    run.params = {{"batch", batch}, {"ablation", "zero"}};
                    break;
                case cam::Method::IgCam: {
                    cam::IgCamOptions g = o.igcam;
                    g.batch = batch;
                    g.keep_steps = dump != nullptr;
                    ig = cam::integrated_gradcam(model, in.tensor, baseline_for(o, model, in), layer, classes, g,
                                                 progress);
                    run.raw = ig.map;
                    run.params = igcam_params(o, g);
                    run.params["passes"] = ig.passes;
                    run.params["memory_retries"] = ig.memory_retries;
                    run.params["completeness"] = {{"stieltjes_sum", ig.stieltjes_sum[0]},
                                                  {"score_change", ig.score_input[0] - ig.score_baseline[0]},
                                                  {"score_input", ig.score_input[0]},
                                                  {"score_baseline", ig.score_baseline[0]},
                                                  {"relative_gap", ig.completeness_gap[0]}};
                    break;
                }
            }
            synchronize(o.device);
            run.ms = milliseconds_since(t0);
            bar.end();
            runs.push_back(run);
        }

        // Files: overlays on the preprocessed view, raw maps, the grid.
        const io::Image view = preprocess_view(in.image, model.preprocess);
        const int64_t height = in.tensor.dim(2), width = in.tensor.dim(3);
        std::vector<io::Image> panels{view};
        std::vector<std::string> labels{"input: " + model.class_names[c]};
        for (const MethodRun& run : runs) {
            const std::string name = cam::method_name(run.method);
            const Tensor heat = cam::normalize_maps(cam::upsample_map(run.raw, height, width));
            const bool zero = cam::zero_maps(run.raw)[0];
            const std::string png = in.stem + "." + name + ".png", npy = in.stem + "." + name + ".npy";
            io::Image overlay = cam::overlay(view, heat.reshape(Shape{height, width}), o.colormap, o.alpha);
            io::write_png(staging.path(png), overlay);
            io::write_npy(staging.path(npy), ops::cast(run.raw, DType::F32).reshape(Shape{run.raw.dim(2), run.raw.dim(3)}));
            panels.push_back(std::move(overlay));
            labels.push_back(zero ? name + " (zero)" : name);
            json entry = {{"name", name}, {"ms", run.ms}, {"map_shape", run.raw.shape().dims()},
                          {"map_max", ops::max_abs(run.raw)}, {"zero_map", zero}, {"png", png}, {"npy", npy},
                          {"params", run.params}};
            image_report["methods"].push_back(entry);
            if (dump) dump->write("/" + in.stem + "/maps/" + name, run.raw);
        }
        const std::string grid = in.stem + ".grid.png";
        io::write_png(staging.path(grid), cam::make_grid(panels, labels));
        image_report["grid"] = grid;

        if (o.trace) {
            json trace = json::array();
            for (const ag::TraceEntry& e : capture.trace.entries)
                trace.push_back({{"op", e.op}, {"name", e.name}, {"shape", e.shape.dims()}, {"l2", e.l2},
                                 {"min", e.min}, {"max", e.max}, {"zero_fraction", e.zero_fraction}});
            image_report["trace"] = trace;
        }
        if (dump) {
            const std::string g = "/" + in.stem;
            dump->write(g + "/input", in.tensor);
            dump->write(g + "/logits", capture.logits);
            dump->write(g + "/activations", capture.activations);
            if (capture.gradients.defined()) dump->write(g + "/gradients", capture.gradients);
            if (ig.step_activations.defined()) {
                dump->write(g + "/igcam/t", Tensor::from_values(Shape{static_cast<int64_t>(ig.t.size())}, ig.t, DType::F64));
                dump->write(g + "/igcam/step_activations", ig.step_activations);
                dump->write(g + "/igcam/step_gradients", ig.step_gradients);
                dump->write(g + "/igcam/baseline_activations", ig.baseline_activations);
            }
        }

        if (!o.json) {
            char line[256];
            std::snprintf(line, sizeof line, "%s: class %lld '%s' (logit %.5g, probability %.4f); layer %s %s\n",
                          in.path.c_str(), static_cast<long long>(c), model.class_names[c].c_str(),
                          capture.logits.at({0, c}), probabilities.at({0, c}), layer.c_str(),
                          capture.activations.shape().to_string().c_str());
            out << line;
            for (const json& m : image_report["methods"]) {
                std::snprintf(line, sizeof line, "  %-12s %10.1f ms%s", m["name"].get<std::string>().c_str(),
                              m["ms"].get<double>(), m["zero_map"].get<bool>() ? "  (all-zero map)" : "");
                out << line;
                if (m["params"].contains("completeness")) {
                    std::snprintf(line, sizeof line, "  completeness gap %.3g%% (%d steps, %s, delta %s)",
                                  100 * m["params"]["completeness"]["relative_gap"].get<double>(),
                                  m["params"]["steps"].get<int>(), m["params"]["riemann"].get<std::string>().c_str(),
                                  m["params"]["delta"].get<std::string>().c_str());
                    out << line;
                }
                out << "\n";
            }
            if (o.trace) {
                out << "  gradient trace, from the class score down to " << layer << ":\n";
                out << capture.trace.to_string();
            }
        }
        report["images"].push_back(image_report);
    }

    if (dump) {
        dump->attribute("igcam_version", kVersion);
        dump->attribute("layer", layer);
        dump->close();
    }
    write_report(staging.path("report.json"), report);
    const std::size_t files = staging.commit();
    if (o.json) out << report.dump(2) << "\n";
    else out << "wrote " << files << " files to " << o.out_dir << "/\n";
}

}  // namespace igcam::tools
