// igcam._igcam.Model: a loaded network, its predictions, its layers and its explanations.
// Every call releases the GIL while igcam computes; calls run one at a time (one lock for
// the process), so other Python threads go on but igcam's own threads are never shared.
#include <functional>
#include <mutex>

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "autograd/grad_mode.h"
#include "cam/pipeline.h"
#include "cam/postprocess.h"
#include "core/backend.h"
#include "core/ops.h"
#include "python/src/arrays.h"
#include "python/src/bindings.h"
#include "python/src/errors.h"
#include "python/src/images.h"
#include "tools/inputs.h"

namespace nb = nanobind;

namespace igcam::python {

namespace {

std::mutex& compute_lock() {
    static std::mutex lock;
    return lock;
}

// Releases the GIL, then takes igcam's lock, for the duration of a computation.
class Computing {
public:
    Computing() : lock_(compute_lock()) {}

private:
    nb::gil_scoped_release release_;  // first: the lock is taken without the GIL held
    std::lock_guard<std::mutex> lock_;
};

struct PyModel {
    models::Model model;
};

PyModel load(const std::string& path, const std::string& device, const std::string& dtype,
             const std::optional<std::string>& preprocess) {
    const DType type = parse_dtype(dtype);
    const Device where = resolve_device(device);
    Computing computing;
    try {
        return PyModel{with_missing_files({path}, [&] { return tools::load_tool_model(path, type, preprocess.value_or(""), where); })};
    } catch (const FormatError& e) {
        throw WeightFileError(e.what());
    }
}

nb::dict model_info(const PyModel& self) {
    const models::Model& m = self.model;
    const models::Preprocess& p = m.preprocess;
    nb::dict preprocess;
    preprocess["name"] = p.name;
    preprocess["resize"] = p.resize;
    preprocess["crop"] = p.crop;
    preprocess["bgr"] = p.bgr;
    preprocess["scale"] = p.scale;
    preprocess["mean"] = nb::make_tuple(p.mean[0], p.mean[1], p.mean[2]);
    preprocess["std"] = nb::make_tuple(p.std[0], p.std[1], p.std[2]);
    nb::dict info;
    info["source"] = m.source;
    info["format"] = m.format;
    info["architecture"] = m.architecture.name;
    info["variant"] = models::variant_name(m.architecture);
    info["num_classes"] = m.num_classes();
    info["parameters"] = m.net->parameter_count();
    info["dtype"] = std::string(dtype_name(m.dtype));
    info["device"] = m.device.to_string();
    info["default_layer"] = m.default_layer;
    info["class_names"] = m.class_names;
    info["preprocess"] = preprocess;
    return info;
}

nb::list layers(const PyModel& self, std::optional<int64_t> height, std::optional<int64_t> width) {
    const models::ImageSize size = models::default_input_size(self.model.preprocess);
    const int64_t h = height.value_or(size.height), w = width.value_or(size.width);
    IGCAM_CHECK(h > 0 && w > 0, ValueError, "layers: the input size must be positive, got ", h, " x ", w);
    std::vector<models::LayerRow> rows;
    {
        Computing computing;
        rows = models::layer_rows(self.model, h, w);
    }
    nb::list out;
    for (const models::LayerRow& row : rows) {
        nb::list shape;
        for (int i = 0; i < row.output_shape.rank(); ++i) shape.append(row.output_shape[i]);
        out.append(nb::make_tuple(row.name, row.type, nb::tuple(shape), row.parameters));
    }
    return out;
}

// Logits (N, classes) and softmax probabilities of every image, one forward pass each, as
// igcam-run --predict.
nb::dict predict(const PyModel& self, nb::handle images) {
    PythonImages inputs(images, self.model);
    Tensor logits, probabilities;
    {
        Computing computing;
        ag::NoGradGuard no_grad;
        const cam::Inputs in = inputs.inputs();
        std::vector<Tensor> rows;
        for (int64_t i = 0; i < inputs.size(); ++i) {
            nn::ForwardContext ctx;
            rows.push_back(self.model.forward(ag::Var(in.load(i)), ctx).value());
            inputs.take_view(i);
        }
        logits = ops::concat_batch(rows);
        probabilities = ops::softmax_forward(logits, 1);
    }
    nb::dict out;
    out["logits"] = to_numpy(logits);
    out["probabilities"] = to_numpy(probabilities);
    out["paths"] = inputs.paths().empty() ? nb::none() : nb::cast(inputs.paths());
    return out;
}

struct ExplainArguments {
    std::string methods;  // "gradcam,igcam" or "all"
    std::string layer;    // "" for the model's default
    std::string target;   // "" (top-1), a class index or name
    std::vector<int64_t> classes;  // one per image, instead of target
    std::string igcam_preset = "default";
    int steps = 0;  // 0: the preset's
    std::string riemann, delta, relu, reduce;
    std::string baseline;  // "" : the preset's (black; zero for notebook)
    int64_t batch = 0;
    bool trace = false;
    nb::object progress;  // None, or called with (images done, images) after each batch
};

cam::ExplainOptions request_of(const models::Model& model, const ExplainArguments& a, int64_t images) {
    cam::ExplainOptions request;
    request.methods = cam::parse_method_list(a.methods);
    request.layer = tools::resolve_layer(model, a.layer);
    request.target = cam::Target::parse(a.target, model.class_names);
    request.igcam = cam::igcam_preset(a.igcam_preset);
    if (a.steps != 0) {
        IGCAM_CHECK(a.steps > 0, ValueError, "steps must be at least 1, got ", a.steps);
        request.igcam.steps = a.steps;
    }
    if (!a.riemann.empty()) request.igcam.riemann = cam::parse_riemann(a.riemann);
    if (!a.delta.empty()) request.igcam.delta = cam::parse_delta(a.delta);
    if (!a.relu.empty()) request.igcam.relu = cam::parse_step_relu(a.relu);
    if (!a.reduce.empty()) request.igcam.reduce = cam::parse_reduction(a.reduce);
    const std::string baseline = !a.baseline.empty() ? a.baseline : a.igcam_preset == "notebook" ? "zero" : "black";
    request.baseline = cam::Baseline::parse(baseline);
    IGCAM_CHECK(a.batch >= 0, ValueError, "batch must be 0 (automatic) or positive, got ", a.batch);
    request.batch = a.batch;
    request.trace = a.trace;
    IGCAM_CHECK(a.classes.empty() || static_cast<int64_t>(a.classes.size()) == images, ValueError, "target names ",
                a.classes.size(), " classes for ", images, " images");
    for (int64_t c : a.classes)
        IGCAM_CHECK(c >= 0 && c < model.num_classes(), ValueError, "class ", c, " is out of range (the model has ",
                    model.num_classes(), " classes)");
    return request;
}

// The images' maps of one method: stacked (N, h, w) when every image has the same size,
// else one (h, w) array per image; and the same upsampled to the input sizes, raw and
// normalised to [0, 1) per image (as igcam-run's overlays).
struct MethodArrays {
    std::vector<Tensor> raw, upsampled, heat;  // one stacked tensor, or one per image
};

MethodArrays method_arrays(const std::vector<cam::ImageExplanation>& all, std::size_t method, bool same_size) {
    MethodArrays out;
    std::vector<Tensor> maps;
    for (const cam::ImageExplanation& e : all) maps.push_back(e.maps[method].map);
    if (same_size) maps = {ops::concat_batch(maps)};
    for (std::size_t i = 0; i < maps.size(); ++i) {
        const Shape& input = all[i].input_shape;
        out.raw.push_back(maps[i]);
        out.upsampled.push_back(cam::upsample_map(maps[i], input[2], input[3]));
        out.heat.push_back(cam::normalize_maps(out.upsampled.back()));
    }
    return out;
}

// (N, 1, h, w) as (N, h, w), or (1, 1, h, w) as (h, w).
nb::object maps_to_numpy(const std::vector<Tensor>& maps, bool stacked) {
    if (stacked) {
        const Tensor& t = maps.front();
        return to_numpy(t, {static_cast<std::size_t>(t.dim(0)), static_cast<std::size_t>(t.dim(2)),
                            static_cast<std::size_t>(t.dim(3))});
    }
    nb::list list;
    for (const Tensor& t : maps) list.append(to_numpy(t, {static_cast<std::size_t>(t.dim(2)), static_cast<std::size_t>(t.dim(3))}));
    return list;
}

nb::dict trace_dict(const ag::GradientTrace& trace) {
    nb::list entries;
    for (const ag::TraceEntry& e : trace.entries) {
        nb::dict d;
        d["op"] = e.op;
        d["name"] = e.name;
        nb::list shape;
        for (int i = 0; i < e.shape.rank(); ++i) shape.append(e.shape[i]);
        d["shape"] = nb::tuple(shape);
        d["l2"] = e.l2;
        d["min"] = e.min;
        d["max"] = e.max;
        d["zero_fraction"] = e.zero_fraction;
        entries.append(d);
    }
    nb::dict out;
    out["entries"] = entries;
    out["table"] = trace.to_string();
    return out;
}

nb::dict explain(const PyModel& self, nb::handle images, const ExplainArguments& arguments) {
    const models::Model& model = self.model;
    PythonImages inputs(images, model);
    cam::ExplainOptions request = request_of(model, arguments, inputs.size());
    std::vector<cam::ImageExplanation> all;
    cam::ExplainStats stats;
    std::vector<MethodArrays> arrays;
    std::vector<std::optional<io::Image>> views;
    bool same_size = true;
    {
        Computing computing;
        cam::Inputs in = inputs.inputs();
        in.classes = arguments.classes;
        std::function<void(int64_t)> after_batch;
        if (!arguments.progress.is_none()) {
            after_batch = [&](int64_t done) {
                nb::gil_scoped_acquire acquire;  // a Python exception it raises ends the run
                arguments.progress(done, inputs.size());
            };
        }
        all = cam::explain_all(model, in, request, &stats, after_batch);
        for (const cam::ImageExplanation& e : all) {
            same_size = same_size && e.input_shape == all.front().input_shape && e.layer_shape == all.front().layer_shape;
            views.push_back(inputs.take_view(e.index));
        }
        for (std::size_t m = 0; m < request.methods.size(); ++m) arrays.push_back(method_arrays(all, m, same_size));
    }

    nb::dict maps, upsampled, heatmaps, timings;
    for (std::size_t m = 0; m < request.methods.size(); ++m) {
        const std::string& name = request.methods[m]->name;
        maps[name.c_str()] = maps_to_numpy(arrays[m].raw, same_size);
        upsampled[name.c_str()] = maps_to_numpy(arrays[m].upsampled, same_size);
        heatmaps[name.c_str()] = maps_to_numpy(arrays[m].heat, same_size);
        timings[name.c_str()] = stats.methods[m].ms;
    }
    std::vector<int64_t> classes;
    std::vector<double> scores;
    std::vector<Tensor> logits;
    nb::list input_shapes, pictures, traces;
    bool have_views = true;
    for (std::size_t i = 0; i < all.size(); ++i) {
        const cam::ImageExplanation& e = all[i];
        classes.push_back(e.target_class);
        scores.push_back(e.score);
        logits.push_back(e.logits);
        input_shapes.append(nb::make_tuple(e.input_shape[2], e.input_shape[3]));
        have_views = have_views && views[i].has_value();
        if (views[i]) pictures.append(image_to_numpy(std::move(*views[i])));
        if (arguments.trace) traces.append(trace_dict(e.trace));
    }
    nb::dict out;
    out["methods"] = [&] {
        nb::list names;
        for (const cam::MethodSpec* m : request.methods) names.append(m->name);
        return names;
    }();
    out["layer"] = request.layer;
    out["layer_shape"] = nb::make_tuple(all.front().layer_shape[1], all.front().layer_shape[2], all.front().layer_shape[3]);
    out["maps"] = maps;
    out["upsampled"] = upsampled;
    out["heatmaps"] = heatmaps;
    out["classes"] = int_array(classes);
    out["scores"] = float_array(scores);
    out["logits"] = to_numpy(ops::concat_batch(logits));
    out["input_shapes"] = input_shapes;
    out["paths"] = inputs.paths().empty() ? nb::none() : nb::cast(inputs.paths());
    out["images"] = have_views ? nb::object(pictures) : nb::none();
    out["timings_ms"] = timings;
    out["traces"] = arguments.trace ? nb::object(traces) : nb::none();
    nb::object audit = nb::none();
    if (all.front().igcam) {
        std::vector<double> input, baseline, sum, gap;
        for (const cam::ImageExplanation& e : all) {
            input.push_back(e.igcam->score_input);
            baseline.push_back(e.igcam->score_baseline);
            sum.push_back(e.igcam->stieltjes_sum);
            gap.push_back(e.igcam->relative_gap);
        }
        nb::dict d;
        d["score_input"] = float_array(input);
        d["score_baseline"] = float_array(baseline);
        d["stieltjes_sum"] = float_array(sum);
        d["relative_gap"] = float_array(gap);
        d["steps"] = request.igcam.steps;
        d["riemann"] = cam::to_string(request.igcam.riemann);
        d["delta"] = cam::to_string(request.igcam.delta);
        d["relu"] = cam::to_string(request.igcam.relu);
        d["reduce"] = cam::to_string(request.igcam.reduce);
        audit = d;
    }
    out["igcam"] = audit;
    return out;
}

}  // namespace

void bind_model(nb::module_& m) {
    nb::class_<PyModel>(m, "Model", "A network loaded from a weight file (use igcam.load).")
        .def_prop_ro("info", &model_info, "The model's architecture, classes, preprocessing, dtype and device.")
        .def("layers", &layers, nb::arg("height") = nb::none(), nb::arg("width") = nb::none(),
             "(name, type, output shape, parameters) of every module, for an input of height x width.")
        .def("predict", &predict, nb::arg("images"), "Logits and softmax probabilities of the images.")
        .def(
            "explain",
            [](const PyModel& self, nb::handle images, const std::string& methods, const std::string& layer,
               const std::string& target, const std::vector<int64_t>& classes, const std::string& igcam_preset, int steps,
               const std::string& riemann, const std::string& delta, const std::string& relu, const std::string& reduce,
               const std::string& baseline, int64_t batch, bool trace, nb::object progress) {
                return explain(self, images,
                               ExplainArguments{methods, layer, target, classes, igcam_preset, steps, riemann, delta, relu,
                                                reduce, baseline, batch, trace, std::move(progress)});
            },
            nb::arg("images"), nb::arg("methods"), nb::arg("layer"), nb::arg("target"), nb::arg("classes"),
            nb::arg("igcam_preset"), nb::arg("steps"), nb::arg("riemann"), nb::arg("delta"), nb::arg("relu"),
            nb::arg("reduce"), nb::arg("baseline"), nb::arg("batch"), nb::arg("trace"), nb::arg("progress").none(),
            "The explanation pipeline on the images (igcam.Model.explain documents the arguments).");
    m.def("load", &load, nb::arg("path"), nb::arg("device"), nb::arg("dtype"), nb::arg("preprocess") = nb::none(),
          "Loads a weight file (igcam.load documents the arguments).");
    m.def("backend_summary", &backend_summary, "The compiled backends and the devices found.");
    m.def(
        "method_registry",
        [] {
            nb::list out;
            for (const cam::MethodSpec& spec : cam::method_registry()) out.append(nb::make_tuple(spec.name, spec.description));
            return out;
        },
        "(name, description) of every CAM method, in the order \"all\" runs them.");
}

}  // namespace igcam::python
