#include "tools/svg_plot.h"

#include "tools/number_text.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace igcam::tools {
namespace {

std::string px(double v) { return number_text(v, "%.3f"); }
std::string value(double v) { return number_text(v, "%.9g"); }
std::string tick_label(double v) { return number_text(std::abs(v) < 1e-12 ? 0.0 : v, "%.6g"); }

// The range [lo, hi] widened to the ticks around it; a flat range gets some height.
void padded_range(double& lo, double& hi) {
    if (!(hi > lo)) {
        const double pad = std::abs(lo) > 0 ? std::abs(lo) * 0.1 : 1.0;
        lo -= pad;
        hi += pad;
    }
    // A little room, so that no line runs along the frame (a range starting at 0 keeps it).
    const double room = 0.04 * (hi - lo);
    if (lo != 0) lo -= room;
    hi += room;
    const std::vector<double> ticks = nice_ticks(lo, hi, 5);
    const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : (hi - lo);
    lo = std::floor(lo / step + 1e-9) * step;
    hi = std::ceil(hi / step - 1e-9) * step;
}

}  // namespace

std::string xml_escape(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::vector<double> nice_ticks(double lo, double hi, int count) {
    std::vector<double> ticks;
    if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo) || count < 1) return ticks;
    const double rough = (hi - lo) / count;
    const double power = std::pow(10.0, std::floor(std::log10(rough)));
    double step = power;
    for (double f : {1.0, 2.0, 5.0, 10.0})
        if (f * power >= rough) {
            step = f * power;
            break;
        }
    for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push_back(t);
    return ticks;
}

std::string LinePlot::svg() const {
    // Margins hold the tick labels, the axis labels, the title and the legend.
    const double left = 64, right = 16, top = 30;
    const double legend_rows = static_cast<double>(series.size() + references.size());
    const double bottom = 44 + 16 * legend_rows;
    const double plot_w = width - left - right, plot_h = height - top - bottom;

    double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
    for (const PlotSeries& s : series) {
        for (double v : s.x)
            if (std::isfinite(v)) x0 = std::min(x0, v), x1 = std::max(x1, v);
        for (double v : s.y)
            if (std::isfinite(v)) y0 = std::min(y0, v), y1 = std::max(y1, v);
    }
    for (const ReferenceLine& r : references)
        if (std::isfinite(r.y)) y0 = std::min(y0, r.y), y1 = std::max(y1, r.y);
    if (fixed_x) x0 = x_min, x1 = x_max;
    if (!std::isfinite(x0)) x0 = 0, x1 = 1;
    if (!std::isfinite(y0)) y0 = 0, y1 = 1;
    if (!fixed_x) padded_range(x0, x1);
    padded_range(y0, y1);
    auto to_x = [&](double v) { return left + (v - x0) / (x1 - x0) * plot_w; };
    auto to_y = [&](double v) { return top + plot_h - (v - y0) / (y1 - y0) * plot_h; };

    std::string out;
    out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" id=\"").append(xml_escape(id))
        .append("\" width=\"").append(px(width)).append("\" height=\"").append(px(height))
        .append("\" viewBox=\"0 0 ").append(px(width)).append(" ").append(px(height))
        .append("\" data-x0=\"").append(value(x0)).append("\" data-x1=\"").append(value(x1))
        .append("\" data-y0=\"").append(value(y0)).append("\" data-y1=\"").append(value(y1))
        .append("\" data-left=\"").append(px(left)).append("\" data-top=\"").append(px(top))
        .append("\" data-plot-width=\"").append(px(plot_w)).append("\" data-plot-height=\"").append(px(plot_h))
        .append("\" role=\"img\" aria-label=\"").append(xml_escape(title)).append("\">\n");
    out.append("<title>").append(xml_escape(title)).append("</title>\n");
    out.append("<text class=\"plot-title\" x=\"").append(px(left)).append("\" y=\"18\">").append(xml_escape(title))
        .append("</text>\n");
    // Grid lines and ticks.
    for (double t : nice_ticks(x0, x1, 5)) {
        const double x = to_x(t);
        out.append("<line class=\"grid\" x1=\"").append(px(x)).append("\" y1=\"").append(px(top)).append("\" x2=\"")
            .append(px(x)).append("\" y2=\"").append(px(top + plot_h)).append("\"/>")
            .append("<text class=\"tick\" text-anchor=\"middle\" x=\"").append(px(x)).append("\" y=\"")
            .append(px(top + plot_h + 14)).append("\">").append(tick_label(t)).append("</text>\n");
    }
    for (double t : nice_ticks(y0, y1, 5)) {
        const double y = to_y(t);
        out.append("<line class=\"grid\" x1=\"").append(px(left)).append("\" y1=\"").append(px(y)).append("\" x2=\"")
            .append(px(left + plot_w)).append("\" y2=\"").append(px(y)).append("\"/>")
            .append("<text class=\"tick\" text-anchor=\"end\" x=\"").append(px(left - 6)).append("\" y=\"")
            .append(px(y + 4)).append("\">").append(tick_label(t)).append("</text>\n");
    }
    out.append("<rect class=\"frame\" x=\"").append(px(left)).append("\" y=\"").append(px(top)).append("\" width=\"")
        .append(px(plot_w)).append("\" height=\"").append(px(plot_h)).append("\"/>\n");
    out.append("<text class=\"axis-label\" text-anchor=\"middle\" x=\"").append(px(left + plot_w / 2)).append("\" y=\"")
        .append(px(top + plot_h + 32)).append("\">").append(xml_escape(x_label)).append("</text>\n");
    out.append("<text class=\"axis-label\" text-anchor=\"middle\" transform=\"translate(14 ")
        .append(px(top + plot_h / 2)).append(") rotate(-90)\">").append(xml_escape(y_label)).append("</text>\n");

    for (const ReferenceLine& r : references) {
        if (!std::isfinite(r.y)) continue;
        const double y = to_y(r.y);
        out.append("<line class=\"reference\" data-reference=\"").append(xml_escape(r.id)).append("\" data-y=\"")
            .append(value(r.y)).append("\" x1=\"").append(px(left)).append("\" y1=\"").append(px(y)).append("\" x2=\"")
            .append(px(left + plot_w)).append("\" y2=\"").append(px(y)).append("\" stroke=\"").append(r.colour)
            .append("\" stroke-dasharray=\"6 4\"/>\n");
    }
    for (const PlotSeries& s : series) {
        std::string points;
        for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
            if (std::isfinite(s.x[i]) && std::isfinite(s.y[i]))
                points.append(points.empty() ? "" : " ").append(px(to_x(s.x[i]))).append(",").append(px(to_y(s.y[i])));
        out.append("<polyline class=\"series\" data-series=\"").append(xml_escape(s.id)).append("\" fill=\"none\" stroke=\"")
            .append(s.colour).append("\" stroke-width=\"1.8\"").append(s.dashed ? " stroke-dasharray=\"4 3\"" : "")
            .append(" points=\"").append(points).append("\"/>\n");
        for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
            out.append("<circle class=\"point\" data-series=\"").append(xml_escape(s.id)).append("\" data-x=\"")
                .append(value(s.x[i])).append("\" data-y=\"").append(value(s.y[i])).append("\" cx=\"")
                .append(px(to_x(s.x[i]))).append("\" cy=\"").append(px(to_y(s.y[i]))).append("\" r=\"2.4\" fill=\"")
                .append(s.colour).append("\"><title>").append(xml_escape(s.label)).append(": (").append(value(s.x[i]))
                .append(", ").append(value(s.y[i])).append(")</title></circle>\n");
        }
    }
    // The legend, one row per series and reference line, under the axis label.
    double row_y = top + plot_h + 52;
    auto legend = [&](const std::string& label, const std::string& colour, bool dashed) {
        out.append("<line x1=\"").append(px(left)).append("\" y1=\"").append(px(row_y - 4)).append("\" x2=\"")
            .append(px(left + 22)).append("\" y2=\"").append(px(row_y - 4)).append("\" stroke=\"").append(colour)
            .append("\" stroke-width=\"2\"").append(dashed ? " stroke-dasharray=\"6 4\"" : "").append("/>")
            .append("<text class=\"legend\" x=\"").append(px(left + 28)).append("\" y=\"").append(px(row_y))
            .append("\">").append(xml_escape(label)).append("</text>\n");
        row_y += 16;
    };
    for (const PlotSeries& s : series) legend(s.label, s.colour, s.dashed);
    for (const ReferenceLine& r : references) legend(r.label, r.colour, true);
    out.append("</svg>\n");
    return out;
}

}  // namespace igcam::tools
