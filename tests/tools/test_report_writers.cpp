// The report's small writers against hand-computed answers: base64 against RFC 4648's test
// vectors, the plot's ticks and escaping, each point's position from its value.
#include <doctest/doctest.h>

#include <regex>
#include <string>

#include "tools/report_html.h"
#include "tools/svg_plot.h"

using namespace igcam::tools;

TEST_CASE("png_data_uri encodes base64 as RFC 4648 section 10's vectors") {
    const std::string prefix = "data:image/png;base64,";
    CHECK(png_data_uri("") == prefix);
    CHECK(png_data_uri("f") == prefix + "Zg==");
    CHECK(png_data_uri("fo") == prefix + "Zm8=");
    CHECK(png_data_uri("foo") == prefix + "Zm9v");
    CHECK(png_data_uri("foob") == prefix + "Zm9vYg==");
    CHECK(png_data_uri("fooba") == prefix + "Zm9vYmE=");
    CHECK(png_data_uri("foobar") == prefix + "Zm9vYmFy");
    CHECK(png_data_uri(std::string("\xff\xfe\x00", 3)) == prefix + "//4A");
}

TEST_CASE("nice_ticks steps by 1, 2 or 5 times a power of ten") {
    const std::vector<double> unit = nice_ticks(0, 1, 5);
    REQUIRE(unit.size() == 6);
    for (std::size_t i = 0; i < unit.size(); ++i) CHECK(unit[i] == doctest::Approx(0.2 * i));
    // (10.5 + 2.37) / 5 = 2.574: the first of 1, 2, 5 (times 10^0) at least that is 5.
    const std::vector<double> wide = nice_ticks(-2.37, 10.5, 5);
    CHECK(wide == std::vector<double>{0, 5, 10});
    // 0.0123 / 4 = 0.003075: 5e-3, from 0.1 itself.
    const std::vector<double> small = nice_ticks(0.1, 0.1123, 4);
    REQUIRE(small.size() == 3);
    CHECK(small[0] == doctest::Approx(0.1));
    CHECK(small[1] == doctest::Approx(0.105));
    CHECK(small[2] == doctest::Approx(0.11));
    CHECK(nice_ticks(1, 1, 5).empty());
}

TEST_CASE("xml_escape escapes the five XML characters") {
    CHECK(xml_escape("a<b & \"c\" > 'd'") == "a&lt;b &amp; &quot;c&quot; &gt; &#39;d&#39;");
}

TEST_CASE("a plotted point carries its value and sits where the axis mapping puts it") {
    LinePlot plot("p", "title <1>", "t", "y");
    plot.fixed_x = true;
    plot.series.push_back(PlotSeries("s", "series", "#000", {0.25, 0.5}, {1.0, 3.0}));
    plot.references.push_back({"r", "reference", "#f00", 2.0});
    const std::string svg = plot.svg();
    CHECK(svg.find("title &lt;1&gt;") != std::string::npos);
    auto attribute = [&](const std::string& name) {
        std::smatch m;
        REQUIRE(std::regex_search(svg, m, std::regex(name + "=\"([^\"]+)\"")));
        return std::stod(m[1]);
    };
    const double x0 = attribute("data-x0"), x1 = attribute("data-x1"), y0 = attribute("data-y0"), y1 = attribute("data-y1");
    const double left = attribute("data-left"), top = attribute("data-top");
    const double width = attribute("data-plot-width"), height = attribute("data-plot-height");
    CHECK(x0 == 0);
    CHECK(x1 == 1);
    CHECK(y0 <= 1.0);
    CHECK(y1 >= 3.0);
    // The first point (0.25, 1): a quarter of the way across, (1 - y0) / (y1 - y0) up.
    std::smatch m;
    REQUIRE(std::regex_search(svg, m, std::regex("data-x=\"0.25\" data-y=\"1\" cx=\"([0-9.]+)\" cy=\"([0-9.]+)\"")));
    CHECK(std::stod(m[1]) == doctest::Approx(left + 0.25 * width).epsilon(1e-6));
    CHECK(std::stod(m[2]) == doctest::Approx(top + height - (1.0 - y0) / (y1 - y0) * height).epsilon(1e-6));
    CHECK(svg.find("data-reference=\"r\" data-y=\"2\"") != std::string::npos);
}
