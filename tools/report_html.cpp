#include "tools/report_html.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "cam/colormap.h"
#include "tools/number_text.h"
#include "tools/svg_plot.h"

namespace igcam::tools {
namespace {

using json = nlohmann::json;

const char* const kStyle = R"css(
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1d232a;
       margin: 0 auto; max-width: 1320px; padding: 18px 28px 60px; background: #fbfbfa; }
h1 { font-size: 26px; margin: 8px 0 4px; } h2 { font-size: 21px; margin: 0 0 4px; }
h3 { font-size: 17px; margin: 22px 0 6px; } h4 { font-size: 15px; margin: 14px 0 4px; }
.run, .note { color: #4a5560; } .run code { font-size: 12px; word-break: break-all; }
section.image { background: #fff; border: 1px solid #dde1e5; border-radius: 8px; padding: 16px 20px; margin: 22px 0; }
.class { font-weight: normal; color: #34495e; }
.panels { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; }
figure { margin: 0; text-align: center; } figure img { width: 168px; height: auto; border-radius: 3px; display: block; }
figcaption { font-size: 12.5px; color: #333; margin-top: 2px; } figcaption .ms { color: #7a848d; }
.strip img { width: 100%; max-width: 1260px; height: auto; }
.plots { display: flex; flex-wrap: wrap; gap: 12px; }
svg.plot { background: #fff; border: 1px solid #e3e6e9; border-radius: 4px; }
svg .grid { stroke: #eceff1; } svg .frame { fill: none; stroke: #98a2ab; }
svg text { font: 11px system-ui, "DejaVu Sans", sans-serif; fill: #333; } svg .plot-title { font-size: 13px; font-weight: 600; }
svg .axis-label { font-size: 12px; } svg .legend { font-size: 11.5px; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
td, th { border-bottom: 1px solid #e6e9ec; padding: 3px 10px 3px 0; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code.formula { display: block; background: #f3f5f7; padding: 4px 8px; margin-top: 3px; border-radius: 4px; font-size: 13px; white-space: pre-wrap; }
table.method-table { width: 100%; } table.method-table td, table.method-table th { padding: 6px 10px 6px 0; }
.completeness { font-variant-numeric: tabular-nums; }
nav a { margin-right: 12px; }
)css";

std::string esc(const std::string& s) { return xml_escape(s); }

std::string num(double v, const char* pattern = "%.6g") { return number_text(v, pattern); }

// "0.12 ms", "3.4 ms", "764 ms": two significant digits below 100, whole milliseconds above.
std::string milliseconds(double ms) { return num(ms, ms >= 100 ? "%.0f" : "%.2g") + " ms"; }

std::string shape_text(const json& dims) {
    std::string text = "(";
    for (std::size_t i = 0; i < dims.size(); ++i) text.append(i ? ", " : "").append(std::to_string(dims[i].get<int64_t>()));
    return text + ")";
}

std::string text_of(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// Numbers of a JSON array, null (JSON's NaN) as NaN.
std::vector<double> numbers(const json& values) {
    std::vector<double> out;
    for (const json& v : values) out.push_back(v.is_number() ? v.get<double>() : std::nan(""));
    return out;
}

std::string html_page(const std::string& title, const std::string& body) {
    std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                       // Nothing may be fetched: a page shown offline, or audited, loads nothing.
                       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
                       "style-src 'unsafe-inline'\">\n<title>";
    page.append(esc(title)).append("</title>\n<style>").append(kStyle).append("</style>\n</head>\n<body>\n");
    return page.append(body).append("</body>\n</html>\n");
}

std::string image_tag(const std::string& png, const std::string& alt) {
    return "<img alt=\"" + esc(alt) + "\" src=\"" + png_data_uri(png) + "\">";
}

// The colour bar all overlays share: each map is min-max scaled to [0, 1] before colouring.
std::string colour_bar(const std::string& colormap_name) {
    const cam::Colormap map = cam::parse_colormap(colormap_name);
    std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"colorbar\" width=\"360\" height=\"44\" "
                      "role=\"img\" aria-label=\"colour bar\"><defs><linearGradient id=\"bar-" + colormap_name + "\">";
    for (int i = 0; i <= 16; ++i) {
        const std::array<uint8_t, 3> c = cam::colormap_color(map, i / 16.0);
        char stop[96];
        std::snprintf(stop, sizeof stop, "<stop offset=\"%.4f\" stop-color=\"rgb(%d,%d,%d)\"/>", i / 16.0, c[0], c[1], c[2]);
        svg += stop;
    }
    svg += "</linearGradient></defs><rect x=\"10\" y=\"4\" width=\"340\" height=\"14\" fill=\"url(#bar-" + colormap_name +
           ")\"/><text x=\"10\" y=\"32\">0: the map's minimum</text><text x=\"350\" y=\"32\" text-anchor=\"end\">"
           "1: its maximum</text></svg>";
    return svg;
}

const json* find_method(const json& image, const std::string& name) {
    for (const json& m : image.at("methods"))
        if (m.at("name") == name) return &m;
    return nullptr;
}

std::string igcam_section(const json& image, const json& igcam, const ReadOutputFile& read_file) {
    const json& params = igcam.at("params");
    const json& path = igcam.at("path");
    const std::vector<double> t = numbers(path.at("t")), scores = numbers(path.at("scores"));
    const std::vector<double> norms = numbers(path.at("gradient_norms")), running = numbers(path.at("running_sum"));
    const json& c = params.at("completeness");
    const double y_input = c.at("score_input").get<double>(), y_baseline = c.at("score_baseline").get<double>();
    const std::string stem = image.at("stem").get<std::string>();

    std::string out = "<section class=\"igcam-path\" data-method=\"igcam\">\n<h3>Integrated Grad-CAM along the path</h3>\n"
                      "<p class=\"note\">The straight path x<sub>j</sub> = x′ + t<sub>j</sub> (x − x′) from the baseline "
                      "(t = 0, " + esc(text_of(params.at("baseline"))) + ") to the image (t = 1), " +
                      std::to_string(params.at("steps").get<int>()) + " steps, " + esc(text_of(params.at("riemann"))) +
                      " rule. Where the gradient's norm falls while the score still rises, the network saturates: "
                      "Grad-CAM, which reads the gradient at x alone, misses that part of the evidence; IG-CAM "
                      "integrates it.</p>\n<div class=\"plots\">\n";
    LinePlot score{"plot-score-" + stem, "class score y^c(x_j) along the path", "t", "y^c (pre-softmax)"};
    score.fixed_x = true;
    score.series.push_back({"score", "y^c(x_j)", "#1f6fb2", t, scores});
    score.references.push_back({"score-baseline", "y^c(x′) = " + num(y_baseline) + " (baseline)", "#7f8c8d", y_baseline});
    score.references.push_back({"score-input", "y^c(x) = " + num(y_input) + " (image)", "#c0392b", y_input});
    out += score.svg();

    LinePlot gradient{"plot-gradient-" + stem, "norm of dy^c/dA along the path", "t", "||dy^c/dA||₂"};
    gradient.fixed_x = true;
    gradient.series.push_back({"gradient-norm", "||dy^c/dA(x_j)||₂", "#8e44ad", t, norms});
    out += gradient.svg();

    if (!running.empty()) {
        std::vector<double> ends;
        for (std::size_t i = 1; i <= running.size(); ++i) ends.push_back(static_cast<double>(i) / running.size());
        LinePlot sum{"plot-completeness-" + stem, "completeness: the running sum of g · ΔA", "t",
                     "Σ g · ΔA up to t"};
        sum.fixed_x = true;
        sum.series.push_back({"running-sum", "Σ_j g(x_j) · (A(x_j) − A(x_{j−1}))", "#16a085", ends, running});
        sum.references.push_back({"score-change", "y^c(x) − y^c(x′) = " + num(y_input - y_baseline), "#c0392b",
                                  y_input - y_baseline});
        out += sum.svg();
    }
    const auto [lowest, highest] = std::minmax_element(norms.begin(), norms.end());
    if (!norms.empty() && *highest - *lowest <= 1e-9 * *highest)
        out += "</div>\n<p class=\"note\">The gradient is the same at every step: only pooling and linear layers follow "
               "this target layer, so dy<sup>c</sup>/dA does not depend on A, IG-CAM's weights equal Grad-CAM's, and the "
               "completeness sum is exact up to rounding. Choose an earlier layer to see the gradient change along the "
               "path.</p>\n<div>";
    out += "</div>\n<p class=\"completeness\">Completeness: the Riemann–Stieltjes sum is " +
           num(c.at("stieltjes_sum").is_number() ? c.at("stieltjes_sum").get<double>() : std::nan("")) +
           ", y<sup>c</sup>(x) − y<sup>c</sup>(x′) = " + num(y_input - y_baseline) + ", relative gap " +
           num(c.at("relative_gap").is_number() ? 100 * c.at("relative_gap").get<double>() : std::nan(""), "%.3g") +
           " %.</p>\n";
    if (image.contains("path_png")) {
        out += "<h4>Per-step maps (one shared colour scale, before each step's weight)</h4>\n<figure class=\"strip\">" +
               image_tag(read_file(image.at("path_png").get<std::string>()), "IG-CAM per-step maps of " + stem) +
               "</figure>\n";
    }
    return out + "</section>\n";
}

// The backward pass as a column of nodes, from the class score down to the target layer.
std::string trace_diagram(const json& trace, const std::string& stem, const std::string& layer) {
    const double box_w = 560, box_h = 44, gap = 22, left = 20, bar_w = 120, legend_w = 90;
    const double height = 30 + trace.size() * (box_h + gap);
    double max_l2 = 0;
    for (const json& e : trace) max_l2 = std::max(max_l2, e.at("l2").get<double>());
    std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"trace\" id=\"trace-" + esc(stem) +
                      "\" width=\"" + num(left + box_w + 18 + bar_w + legend_w) + "\" height=\"" + num(height) +
                      "\" role=\"img\" aria-label=\"gradient trace\"><defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" "
                      "refX=\"5\" refY=\"9\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
                      "<path d=\"M0,0 L10,0 L5,10 z\" fill=\"#7a848d\"/></marker></defs>\n";
    double y = 10;
    for (std::size_t i = 0; i < trace.size(); ++i) {
        const json& e = trace[i];
        const double l2 = e.at("l2").get<double>(), zeros = e.at("zero_fraction").get<double>();
        const bool last = i + 1 == trace.size();
        svg += "<g class=\"node\" data-op=\"" + esc(e.at("op").get<std::string>()) + "\" data-l2=\"" + num(l2, "%.9g") +
               "\" data-zero-fraction=\"" + num(zeros, "%.9g") + "\">";
        svg += "<rect x=\"" + num(left) + "\" y=\"" + num(y) + "\" width=\"" + num(box_w) + "\" height=\"" + num(box_h) +
               "\" rx=\"6\" fill=\"" + (last ? "#fdf2e9" : "#eef4fa") + "\" stroke=\"" + (last ? "#d35400" : "#5d8fc1") + "\"/>";
        svg += "<text x=\"" + num(left + 10) + "\" y=\"" + num(y + 17) + "\" font-weight=\"600\">" +
               esc(e.at("op").get<std::string>()) + "</text><text x=\"" + num(left + 130) + "\" y=\"" + num(y + 17) + "\">" +
               esc(e.at("name").get<std::string>()) + "</text>";
        svg += "<text x=\"" + num(left + 10) + "\" y=\"" + num(y + 35) + "\">gradient " + shape_text(e.at("shape")) +
               "   ‖g‖₂ = " + num(l2, "%.4g") + "   min " + num(e.at("min").get<double>(), "%.3g") + "   max " +
               num(e.at("max").get<double>(), "%.3g") + "</text>";
        // Two bars beside the node: its share of the largest gradient norm, its zeros.
        const double norm_share = max_l2 > 0 ? l2 / max_l2 : 0;
        svg += "<rect x=\"" + num(left + box_w + 14) + "\" y=\"" + num(y + 6) + "\" width=\"" + num(bar_w * norm_share) +
               "\" height=\"12\" fill=\"#5d8fc1\"/><rect x=\"" + num(left + box_w + 14) + "\" y=\"" + num(y + 24) +
               "\" width=\"" + num(bar_w * zeros) + "\" height=\"12\" fill=\"#b0b8bf\"/>";
        svg += "<text x=\"" + num(left + box_w + 18 + bar_w) + "\" y=\"" + num(y + 16) + "\" font-size=\"10\">norm</text>"
               "<text x=\"" + num(left + box_w + 18 + bar_w) + "\" y=\"" + num(y + 34) + "\" font-size=\"10\">zeros " +
               num(100 * zeros, "%.0f") + "%</text></g>\n";
        if (!last)
            svg += "<line x1=\"" + num(left + box_w / 2) + "\" y1=\"" + num(y + box_h) + "\" x2=\"" + num(left + box_w / 2) +
                   "\" y2=\"" + num(y + box_h + gap - 2) + "\" stroke=\"#7a848d\" stroke-width=\"1.5\" "
                   "marker-end=\"url(#arrow)\"/>\n";
        y += box_h + gap;
    }
    svg += "</svg>\n";
    return "<section class=\"trace\">\n<h3>Gradient trace: the backward pass from y<sup>c</sup> down to " + esc(layer) +
           "</h3>\n<p class=\"note\">Each node is a tensor the backward pass visited, in the order it visited them; "
           "the gradient of the class score with respect to it: shape, L2 norm, range, and the fraction of exact zeros "
           "(a ReLU or a max-pool's unused positions). The last node is the target layer, where backward stops.</p>\n" +
           svg + "</section>\n";
}

std::string image_section(const json& report, const json& image, const ReadOutputFile& read_file) {
    const std::string stem = image.at("stem").get<std::string>();
    const json& cls = image.at("class");
    std::string out = "<section class=\"image\" id=\"image-" + esc(stem) + "\" data-stem=\"" + esc(stem) + "\">\n";
    out += "<h2>" + esc(stem) + " <span class=\"class\">— class " + std::to_string(cls.at("index").get<int64_t>()) +
           " “" + esc(cls.at("name").get<std::string>()) + "”, probability " + num(cls.at("probability").get<double>(), "%.4f") +
           ", logit " + num(cls.at("logit").get<double>(), "%.5g") + "</span></h2>\n";
    out += "<p class=\"note\">" + esc(image.at("path").get<std::string>()) + "; model input " +
           shape_text(image.at("input_shape")) + ", layer " + esc(report.at("layer").get<std::string>()) + " " +
           shape_text(image.at("layer_shape")) + "</p>\n<div class=\"panels\">\n";
    if (image.contains("input_png"))
        out += "<figure class=\"panel\" data-panel=\"input\">" + image_tag(read_file(image.at("input_png").get<std::string>()), "input " + stem) +
               "<figcaption>input (as the model saw it)</figcaption></figure>\n";
    for (const json& m : image.at("methods")) {
        const std::string name = m.at("name").get<std::string>();
        out += "<figure class=\"panel\" data-method=\"" + esc(name) + "\">" +
               image_tag(read_file(m.at("png").get<std::string>()), name + " overlay of " + stem) + "<figcaption>" + esc(name) +
               (m.at("zero_map").get<bool>() ? " (all-zero map)" : "") + " <span class=\"ms\">" +
               milliseconds(m.at("ms").get<double>()) + "</span></figcaption></figure>\n";
    }
    out += "</div>\n" + colour_bar(report.at("colormap").get<std::string>()) + "\n";
    out += "<h4>Top classes</h4>\n<table class=\"topk\"><tr><th>class</th><th>name</th><th>logit</th><th>probability</th></tr>";
    for (const json& k : image.at("topk"))
        out += "<tr><td class=\"num\">" + std::to_string(k.at("class").get<int64_t>()) + "</td><td>" +
               esc(k.at("name").get<std::string>()) + "</td><td class=\"num\">" + num(k.at("logit").get<double>(), "%.5g") +
               "</td><td class=\"num\">" + num(k.at("probability").get<double>(), "%.4f") + "</td></tr>";
    out += "</table>\n";
    if (const json* igcam = find_method(image, "igcam"); igcam != nullptr && igcam->contains("path"))
        out += igcam_section(image, *igcam, read_file);
    if (image.contains("trace")) out += trace_diagram(image.at("trace"), stem, report.at("layer").get<std::string>());
    return out + "</section>\n";
}

std::string methods_section(const json& report) {
    std::string out = "<section class=\"methods\">\n<h2>The methods as run</h2>\n<p class=\"note\">Notation: A<sup>k</sup> "
                      "the target layer's feature maps (k = 1..K, h × w positions, Z = h w), g<sup>k</sup> = ∂y<sup>c</sup>/"
                      "∂A<sup>k</sup> the gradient of the pre-softmax class score. Every map is the raw map after the "
                      "method's own ReLU, upsampled bilinearly and min–max scaled for display.</p>\n"
                      "<table class=\"method-table\"><tr><th>method</th><th>definition</th><th>parameters as run</th>"
                      "<th>passes</th><th>time</th></tr>\n";
    const json& images = report.at("images");
    for (const json& m : report.at("methods")) {
        const std::string name = m.at("name").get<std::string>();
        out += "<tr class=\"method-info\" data-method=\"" + esc(name) + "\"><th>" + esc(name) + "</th><td>" +
               esc(m.at("description").get<std::string>()) + "<code class=\"formula\">" + esc(m.value("formula", "")) +
               "</code></td><td>";
        const json* first = images.empty() ? nullptr : find_method(images.front(), name);
        if (first != nullptr)
            for (const auto& [key, value] : first->at("params").items())
                if (key != "completeness") out += esc(key) + " = " + esc(text_of(value)) + "<br>";
        out += "</td><td class=\"num\">" + std::to_string(m.at("passes").get<int64_t>()) + "</td><td class=\"num\">" +
               milliseconds(m.at("total_ms").get<double>()) + "</td></tr>\n";
    }
    return out + "</table>\n<p class=\"note\">passes: forward (and backward) passes a method ran beyond the batch's "
                 "own; time: over every image.</p>\n</section>\n";
}

std::string run_header(const json& report) {
    const json& model = report.at("model");
    const json& device = report.at("device");
    std::string out = "<h1>igcam report</h1>\n<p class=\"run\">" + esc(model.at("arch").get<std::string>()) + " (" +
                      esc(model.at("format").get<std::string>()) + ", " + std::to_string(model.at("classes").get<int64_t>()) +
                      " classes, " + std::to_string(model.at("parameters").get<int64_t>()) + " parameters) from " +
                      esc(model.at("path").get<std::string>()) + "<br>layer " + esc(report.at("layer").get<std::string>()) +
                      ", device " + esc(device.at("name").get<std::string>()) + " (" +
                      esc(device.at("description").get<std::string>()) + "), dtype " +
                      esc(report.at("dtype").get<std::string>()) + ", preprocessing " +
                      esc(report.at("preprocessing").at("name").get<std::string>()) + ", colormap " +
                      esc(report.at("colormap").get<std::string>()) + "<br>igcam " +
                      esc(report.at("igcam_version").get<std::string>()) + "; " +
                      esc(report.at("libraries").at("backend").get<std::string>()) + "<br><code>" +
                      esc(report.at("command").get<std::string>()) + "</code></p>\n";
    const json& images = report.at("images");
    if (images.size() > 1) {
        out += "<nav>";
        for (const json& image : images)
            out += "<a href=\"#image-" + esc(image.at("stem").get<std::string>()) + "\">" +
                   esc(image.at("stem").get<std::string>()) + "</a>";
        out += "</nav>\n";
    }
    return out;
}

}  // namespace

std::string png_data_uri(const std::string& bytes) {
    static const char* const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out = "data:image/png;base64,";
    out.reserve(out.size() + (bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                           static_cast<uint8_t>(bytes[i + 2]);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    if (i < bytes.size()) {
        const bool two = i + 1 < bytes.size();
        const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (two ? static_cast<uint8_t>(bytes[i + 1]) << 8 : 0);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += two ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string report_html(const json& report, const ReadOutputFile& read_file) {
    std::string body = run_header(report);
    const json& images = report.at("images");
    // Only the first images are shown: a page for a projector, not a dataset.
    std::size_t shown = 0;
    const std::size_t limit = report.value("report_images", images.size());
    for (const json& image : images) {
        if (shown++ >= limit) break;
        body += image_section(report, image, read_file);
    }
    if (images.size() > limit)
        body += "<p class=\"note\">The report shows the first " + std::to_string(limit) + " of " +
                std::to_string(images.size()) + " images; report.json and the folder hold them all.</p>\n";
    body += methods_section(report);
    return html_page("igcam report: " + report.at("model").at("arch").get<std::string>() + ", " +
                         std::to_string(images.size()) + (images.size() == 1 ? " image" : " images"),
                     body);
}

std::string sensitivity_report_html(const json& report) {
    const json& curve = report.at("curve");
    const std::vector<double> x = numbers(curve.at("x"));
    std::string body = "<h1>Sensitivity: why the gradient at x is not enough</h1>\n<p class=\"note\">f(x) = 1 − ReLU(1 − x), "
                       "baseline x′ = 0, " + std::to_string(report.at("steps").get<int>()) +
                       " right-Riemann steps. Once f saturates (x &gt; 1) its gradient is 0 although f(x) − f(0) = 1: an "
                       "attribution that reads the gradient at x alone says x does not matter. The integrated gradient "
                       "(x − x′) · mean<sub>j</sub> f′(x′ + t<sub>j</sub> (x − x′)) recovers f(x) − f(0) (completeness). "
                       "Every number comes from igcam's own backward pass.</p>\n<div class=\"plots\">\n";
    LinePlot f{"plot-f", "f(x) and f(x) − f(0)", "x", "f"};
    f.width = 520;
    f.series.push_back({"f", "f(x)", "#1f6fb2", x, numbers(curve.at("f"))});
    f.series.push_back({"f-minus-f0", "f(x) − f(0)", "#7f8c8d", x, numbers(curve.at("f_minus_f0")), true});
    body += f.svg();
    LinePlot g{"plot-attributions", "gradient at x against the integrated gradient", "x", "attribution"};
    g.width = 520;
    g.series.push_back({"gradient", "gradient f′(x)", "#c0392b", x, numbers(curve.at("gradient"))});
    g.series.push_back({"integrated", "integrated gradient", "#16a085", x, numbers(curve.at("integrated"))});
    body += g.svg();
    body += "</div>\n<p class=\"note\">The small gap near x = 1 comes from the kink falling between Riemann steps; it "
            "shrinks as --steps grows. igcam " + esc(report.at("igcam_version").get<std::string>()) + ", dtype " +
            esc(report.at("dtype").get<std::string>()) + ".</p>\n";
    return html_page("igcam: the sensitivity demo", body);
}

}  // namespace igcam::tools
