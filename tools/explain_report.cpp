#include "tools/explain_report.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "cam/postprocess.h"
#include "cam/target.h"
#include "core/backend.h"
#include "core/io/image.h"
#include "core/ops.h"
#include "models/hdf5_file.h"

namespace igcam::tools {

namespace {

using json = nlohmann::json;

json igcam_params(const ExplainOptions& o, int64_t rows_per_pass) {
    const cam::IgCamOptions& g = o.igcam;
    return {{"preset", o.igcam_preset}, {"steps", g.steps},        {"riemann", cam::to_string(g.riemann)},
            {"delta", cam::to_string(g.delta)}, {"relu", cam::to_string(g.relu)}, {"reduce", cam::to_string(g.reduce)},
            {"baseline", o.baseline}, {"batch", rows_per_pass}};
}

json method_params(const cam::MethodSpec& m, const ExplainOptions& o, int64_t rows_per_pass) {
    json params = m.needs_any(cam::kPath) ? igcam_params(o, rows_per_pass) : json::object();
    if (m.needs_any(cam::kReruns)) params["batch"] = rows_per_pass;
    for (const auto& [key, value] : m.conventions) params[key] = value;
    return params;
}

json topk_json(const models::Model& model, const Tensor& logits, int k) {
    const std::vector<double> l = logits.to_vector();
    const std::vector<double> p = ops::softmax_forward(logits, 1).to_vector();
    json out = json::array();
    for (int64_t c : cam::top_classes(l, k))
        out.push_back({{"class", c}, {"name", model.class_names[c]}, {"logit", l[c]}, {"probability", p[c]}});
    return out;
}

json trace_json(const ag::GradientTrace& trace) {
    json out = json::array();
    for (const ag::TraceEntry& e : trace.entries)
        out.push_back({{"op", e.op}, {"name", e.name}, {"shape", e.shape.dims()}, {"l2", e.l2}, {"min", e.min},
                       {"max", e.max}, {"zero_fraction", e.zero_fraction}});
    return out;
}

}  // namespace

json image_json(const ImageRecord& r) {
    json methods = json::array();
    for (const MethodRecord& m : r.methods) {
        json params = m.params;
        if (m.completeness) {
            const cam::IgCamAudit& a = *m.completeness;
            params["completeness"] = {{"stieltjes_sum", a.stieltjes_sum},
                                      {"score_change", a.score_input - a.score_baseline},
                                      {"score_input", a.score_input},
                                      {"score_baseline", a.score_baseline},
                                      {"relative_gap", a.relative_gap}};
        }
        json entry = {{"name", m.name}, {"ms", m.ms}, {"map_shape", m.map_shape}, {"map_max", m.map_max},
                      {"zero_map", m.zero_map}, {"png", m.png}, {"npy", m.npy}, {"params", params}};
        if (m.path)
            entry["path"] = {{"t", m.path->t},
                             {"scores", m.path->scores},
                             {"gradient_norms", m.path->gradient_norms},
                             {"running_sum", m.path->running_sum}};
        methods.push_back(std::move(entry));
    }
    json out = {{"path", r.path},
                {"stem", r.stem},
                {"input_shape", r.input_shape},
                {"layer_shape", r.layer_shape},
                {"class", {{"index", r.class_index}, {"name", r.class_name}, {"logit", r.logit},
                           {"probability", r.probability}}},
                {"topk", r.topk},
                {"capture_ms", r.capture_ms},
                {"batch_images", r.batch_images},
                {"methods", methods},
                {"grid", r.grid}};
    if (!r.input_png.empty()) out["input_png"] = r.input_png;
    if (!r.path_png.empty()) out["path_png"] = r.path_png;
    if (r.trace) out["trace"] = trace_json(*r.trace);
    return out;
}

json stats_json(const cam::ExplainStats& stats) {
    json methods = json::array();
    for (const cam::MethodStats& m : stats.methods)
        methods.push_back({{"passes", m.passes}, {"rows", m.rows}, {"memory_retries", m.memory_retries}, {"ms", m.ms}});
    return {{"images", stats.images},           {"groups", stats.groups},
            {"batches", stats.batches},         {"batch_sizes", stats.batch_sizes},
            {"memory_retries", stats.memory_retries}, {"methods", methods}};
}

void add_stats(cam::ExplainStats& into, const json& other) {
    into.images += other.at("images").get<int64_t>();
    into.groups = std::max(into.groups, other.at("groups").get<int64_t>());
    into.batches += other.at("batches").get<int64_t>();
    for (int64_t b : other.at("batch_sizes").get<std::vector<int64_t>>())
        if (std::find(into.batch_sizes.begin(), into.batch_sizes.end(), b) == into.batch_sizes.end()) into.batch_sizes.push_back(b);
    for (int64_t r : other.at("memory_retries").get<std::vector<int64_t>>()) into.memory_retries.push_back(r);
    const json& methods = other.at("methods");
    for (std::size_t m = 0; m < into.methods.size() && m < methods.size(); ++m) {
        cam::MethodStats& s = into.methods[m];
        s.passes += methods[m].at("passes").get<int64_t>();
        s.rows += methods[m].at("rows").get<int64_t>();
        for (int64_t r : methods[m].at("memory_retries").get<std::vector<int64_t>>()) s.memory_retries.push_back(r);
        s.ms += methods[m].at("ms").get<double>();
    }
}

ImageRecord record_image(const cam::ImageExplanation& e, const std::string& path, const std::string& stem,
                         const models::Model& model, const ExplainOptions& o) {
    ImageRecord r;
    r.path = path;
    r.stem = stem;
    r.input_shape = e.input_shape.dims();
    r.layer_shape = e.layer_shape.dims();
    r.class_index = e.target_class;
    r.class_name = model.class_names[static_cast<std::size_t>(e.target_class)];
    r.logit = e.score;
    r.probability = ops::softmax_forward(e.logits, 1).at({0, e.target_class});
    r.topk = topk_json(model, e.logits, o.topk);
    r.capture_ms = e.capture_ms;
    r.batch_images = e.batch_images;
    for (const cam::MethodMap& m : e.maps) {
        MethodRecord mr;
        mr.name = m.method->name;
        mr.ms = m.ms;
        mr.map_shape = m.map.shape().dims();
        mr.map_max = ops::max_abs(m.map);
        mr.zero_map = cam::zero_maps(m.map)[0];
        mr.png = stem + "." + mr.name + ".png";
        mr.npy = stem + "." + mr.name + ".npy";
        mr.params = method_params(*m.method, o, m.pass_rows);
        if (m.method->needs_any(cam::kPath)) {
            mr.completeness = e.igcam;
            mr.path = e.igcam_path;
            if (o.report && e.igcam_path) r.path_png = stem + ".igcam-path.png";
        }
        r.methods.push_back(std::move(mr));
    }
    r.grid = stem + ".grid.png";
    if (o.report) r.input_png = stem + ".input.png";
    if (o.trace || o.report) r.trace = e.trace;
    return r;
}

json report_json(const models::Model& model, const std::string& layer, const ExplainOptions& o,
                 const cam::ExplainStats& stats, const std::vector<json>& images, int ranks) {
    json methods = json::array();
    for (const cam::MethodStats& s : stats.methods)
        methods.push_back({{"name", s.method->name}, {"description", s.method->description},
                           {"formula", s.method->formula},
                           {"gradients", s.method->needs_any(cam::kGradients)},
                           {"reruns", s.method->needs_any(cam::kReruns)}, {"path", s.method->needs_any(cam::kPath)},
                           {"passes", s.passes}, {"rows", s.rows}, {"memory_retries", s.memory_retries},
                           {"total_ms", s.ms}});
    json report = {{"igcam_version", kIgcamVersion},
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
                   {"batch", {{"requested", o.batch > 0 ? json(o.batch) : json("automatic")},
                              {"per_input_size", stats.batch_sizes}, {"batches", stats.batches},
                              {"input_sizes", stats.groups}, {"memory_retries", stats.memory_retries}}},
                   {"methods", methods},
                   {"ranks", ranks},
                   {"report", o.report ? json("report.html") : json(nullptr)},
                   {"report_images", kReportImages},
                   {"libraries", {{"backend", backend_summary()}, {"blas", blas_version()},
                                  {"hdf5", h5::hdf5_version()}, {"images", io::image_library_versions()}}},
                   {"images", json::array()}};
    report["images"] = images;
    return report;
}

std::string image_summary(const ImageRecord& r, const std::string& layer, bool with_trace) {
    std::ostringstream out;
    // Text of any length (paths, class names) goes through the stream; snprintf formats
    // numbers only, into a buffer that always holds them.
    char numbers[96];
    std::snprintf(numbers, sizeof numbers, "logit %.5g, probability %.4f", r.logit, r.probability);
    out << r.path << ": class " << r.class_index << " '" << r.class_name << "' (" << numbers << "); layer "
        << layer << " " << Shape(r.layer_shape).to_string() << "\n";
    for (const MethodRecord& m : r.methods) {
        std::snprintf(numbers, sizeof numbers, "%10.1f ms", m.ms);
        out << "  " << m.name << std::string(m.name.size() < 12 ? 12 - m.name.size() : 0, ' ') << " " << numbers
            << (m.zero_map ? "  (all-zero map)" : "");
        if (m.completeness) {
            std::snprintf(numbers, sizeof numbers, "%.3g%% (%d steps, ", 100 * m.completeness->relative_gap,
                          m.params["steps"].get<int>());
            out << "  completeness gap " << numbers << m.params["riemann"].get<std::string>() << ", delta "
                << m.params["delta"].get<std::string>() << ")";
        }
        out << "\n";
    }
    if (r.trace && with_trace) {
        out << "  gradient trace, from the class score down to " << layer << ":\n";
        out << r.trace->to_string();
    }
    return out.str();
}

}  // namespace igcam::tools
