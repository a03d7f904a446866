// A small SVG line-plot writer for the HTML report: axes with "nice" ticks, lines, markers,
// labelled horizontal reference lines and a legend, nothing else.
//
// Every marker carries its values as data-x / data-y (9 significant digits) beside its
// pixel position, and the <svg> its axis mapping (data-x0 .. data-y1 the plotted domain,
// data-left/top/plot-width/plot-height its pixel box), so a test can read the numbers back
// and check that each point sits where its value says.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace igcam::tools {

struct PlotSeries {
    PlotSeries(std::string id, std::string label, std::string colour, std::vector<double> x, std::vector<double> y,
               bool dashed = false)
        : id(std::move(id)), label(std::move(label)), colour(std::move(colour)), x(std::move(x)), y(std::move(y)),
          dashed(dashed) {}

    std::string id;      // data-series, for tests: "score", "gradient-norm", ...
    std::string label;   // in the legend
    std::string colour;  // CSS colour
    std::vector<double> x, y;  // x[i], y[i] one point; non-finite points are left out
    bool dashed = false;
};

struct ReferenceLine {
    std::string id, label, colour;
    double y = 0;
};

struct LinePlot {
    LinePlot(std::string id, std::string title, std::string x_label, std::string y_label)
        : id(std::move(id)), title(std::move(title)), x_label(std::move(x_label)), y_label(std::move(y_label)) {}

    std::string id;  // the <svg>'s id
    std::string title, x_label, y_label;
    double width = 400, height = 280;
    std::vector<PlotSeries> series;
    std::vector<ReferenceLine> references;
    // Where the x axis should start and end regardless of the data (t from 0 to 1).
    bool fixed_x = false;
    double x_min = 0, x_max = 1;

    std::string svg() const;
};

// Text made safe inside XML/HTML element content and attribute values.
std::string xml_escape(const std::string& text);
// Round numbers between lo and hi, about `count` of them (1, 2 or 5 times a power of ten apart).
std::vector<double> nice_ticks(double lo, double hi, int count);

}  // namespace igcam::tools
