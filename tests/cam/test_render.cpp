// Colormaps, overlays and the labelled grid on hand-computed cases. (Byte-for-byte parity with
// matplotlib over thousands of values is tests/reference/test_matplotlib_colormaps.cpp.)
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <sstream>

#include "cam/colormap.h"
#include "cam/render.h"

using namespace igcam;
using cam::Colormap;

namespace {

// "(r, g, b)": colours compared as text so a failure prints them.
std::string rgb(const std::array<uint8_t, 3>& c) {
    std::ostringstream out;
    out << "(" << int{c[0]} << ", " << int{c[1]} << ", " << int{c[2]} << ")";
    return out.str();
}

// The pixel at (y, x) as "(r, g, b)"; the caller has checked the bounds.
std::string unchecked_pixel(const io::Image& image, int64_t y, int64_t x) {
    const uint8_t* p = image.rgb.data() + (y * image.width + x) * 3;
    return rgb({p[0], p[1], p[2]});
}

std::string pixel(const io::Image& image, int64_t y, int64_t x) {
    REQUIRE(image.rgb.size() == static_cast<std::size_t>(image.height * image.width * 3));
    REQUIRE((y >= 0 && y < image.height && x >= 0 && x < image.width));
    return unchecked_pixel(image, y, x);
}

// How many pixels in rows [top, bottom) and columns [left, right) have `colour`.
int64_t count_pixels(const io::Image& image, int64_t top, int64_t bottom, int64_t left, int64_t right,
                     const std::string& colour) {
    REQUIRE(image.rgb.size() == static_cast<std::size_t>(image.height * image.width * 3));
    REQUIRE((0 <= top && top < bottom && bottom <= image.height && 0 <= left && left < right && right <= image.width));
    int64_t count = 0;
    for (int64_t y = top; y < bottom; ++y)
        for (int64_t x = left; x < right; ++x) count += unchecked_pixel(image, y, x) == colour;
    return count;
}

// Every pixel in rows [top, bottom) and columns [left, right) has `colour`.
bool all_pixels(const io::Image& image, int64_t top, int64_t bottom, int64_t left, int64_t right,
                const std::string& colour) {
    return count_pixels(image, top, bottom, left, right, colour) == (bottom - top) * (right - left);
}

io::Image filled(int64_t height, int64_t width, uint8_t r, uint8_t g, uint8_t b) {
    io::Image image{height, width, {}};
    for (int64_t i = 0; i < height * width; ++i) image.rgb.insert(image.rgb.end(), {r, g, b});
    return image;
}

// A 2x2 image: (y, x) -> RGB
//   (0,0) 10 20 30   (0,1) 40 50 60
//   (1,0) 70 80 90   (1,1) 100 110 255
io::Image two_by_two() { return {2, 2, {10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 255}}; }

// Heat values whose jet colours are worked out below: 0 -> entry 0, 0.25 -> entry 64,
// 0.5 -> entry 128, 1 -> entry 255.
Tensor two_by_two_heat(DType dtype = DType::F64) {
    return Tensor::from_values(Shape{2, 2}, {0.0, 0.25, 0.5, 1.0}, dtype);
}

const std::string kBlack = "(0, 0, 0)", kWhite = "(255, 255, 255)";

}  // namespace

TEST_CASE("colormap: names and parsing") {
    CHECK(cam::colormap_names() == std::vector<std::string>{"jet", "turbo"});
    CHECK(cam::parse_colormap("jet") == Colormap::Jet);
    CHECK(cam::parse_colormap("turbo") == Colormap::Turbo);
    CHECK(cam::colormap_name(Colormap::Jet) == "jet");
    CHECK(cam::colormap_name(Colormap::Turbo) == "turbo");
    CHECK_THROWS_WITH_AS(cam::parse_colormap("viridis"), "unknown colormap 'viridis' (expected jet or turbo)",
                         ValueError);
    // matplotlib's names are case-sensitive; so are ours.
    CHECK_THROWS_WITH_AS(cam::parse_colormap("Jet"), "unknown colormap 'Jet' (expected jet or turbo)", ValueError);
    CHECK_THROWS_WITH_AS(cam::parse_colormap(""), "unknown colormap '' (expected jet or turbo)", ValueError);
}

TEST_CASE("colormap: the lookup index is int(value * 256), clipped") {
    const double inf = std::numeric_limits<double>::infinity();
    CHECK(cam::colormap_index(0.0) == 0);
    CHECK(cam::colormap_index(-0.0) == 0);
    CHECK(cam::colormap_index(1.0 / 256) == 1);                      // a boundary belongs to the entry above
    CHECK(cam::colormap_index(std::nextafter(1.0 / 256, 0.0)) == 0);  // just below it, the entry below
    CHECK(cam::colormap_index(0.25) == 64);
    CHECK(cam::colormap_index(0.5) == 128);
    CHECK(cam::colormap_index(0.75) == 192);
    CHECK(cam::colormap_index(255.0 / 256) == 255);
    CHECK(cam::colormap_index(0.999) == 255);  // 255.744 truncates to 255
    CHECK(cam::colormap_index(1.0) == 255);    // 256 would be "over"; matplotlib maps exactly 1 to N - 1
    // Outside [0, 1]: under -> the first entry, over -> the last (matplotlib's default extremes).
    CHECK(cam::colormap_index(-1e-300) == 0);
    CHECK(cam::colormap_index(-0.5) == 0);
    CHECK(cam::colormap_index(-inf) == 0);
    CHECK(cam::colormap_index(std::nextafter(1.0, 2.0)) == 255);
    CHECK(cam::colormap_index(7.0) == 255);
    CHECK(cam::colormap_index(inf) == 255);
    // NaN: the first entry (matplotlib would give its transparent "bad" colour).
    CHECK(cam::colormap_index(std::nan("")) == 0);
}

// jet, from matplotlib's `_jet_data` (x: (y0, y1) per channel):
//   red   0: 0, 0.35: 0, 0.66: 1, 0.89: 1, 1: 0.5
//   green 0: 0, 0.125: 0, 0.375: 1, 0.64: 1, 0.91: 0, 1: 0
//   blue  0: 0.5, 0.11: 1, 0.34: 1, 0.65: 0, 1: 0
// Entry k samples x = k / 255 (entry 0 takes y1 of the first point, entry 255 y0 of the last),
// interpolating linearly between the control points around x; the byte is int(level * 255),
// truncated (so 0.5 -> 127.5 -> 127).
TEST_CASE("colormap: jet at entries 0, 64, 128, 192, 255") {
    // 0: red 0, green 0, blue 0.5 -> 127.
    CHECK(rgb(cam::colormap_entry(Colormap::Jet, 0)) == "(0, 0, 127)");
    // 64: x = 0.25098. red: 0 up to 0.35. green: (0.25098 - 0.125) / (0.375 - 0.125)
    // = 32.125 / 63.75 (in units of 1/255) = 0.503922 -> 128.5 -> 128. blue: 1 on [0.11, 0.34].
    CHECK(rgb(cam::colormap_entry(Colormap::Jet, 64)) == "(0, 128, 255)");
    // 128: x = 0.501961. red: (128 - 89.25) / (168.3 - 89.25) = 38.75 / 79.05 = 0.490196,
    // * 255 = 125 exactly in real arithmetic, but matplotlib's doubles give 124.99999999999999,
    // which truncates to 124. green: 1 on [0.375, 0.64]. blue: 1 - (128 - 86.7) / (165.75 - 86.7)
    // = 0.477546 -> 121.774 -> 121.
    CHECK(rgb(cam::colormap_entry(Colormap::Jet, 128)) == "(124, 255, 121)");
    // 192: x = 0.752941. red: 1 on [0.66, 0.89]. green: 1 - (192 - 163.2) / (232.05 - 163.2)
    // = 0.581699 -> 148.333 -> 148. blue: 0 from 0.65 on.
    CHECK(rgb(cam::colormap_entry(Colormap::Jet, 192)) == "(255, 148, 0)");
    // 255: red y0 = 0.5 -> 127, green 0, blue 0.
    CHECK(rgb(cam::colormap_entry(Colormap::Jet, 255)) == "(127, 0, 0)");

    // colormap_color reaches entry k at exactly k / 256, and entry 255 at 1.
    CHECK(rgb(cam::colormap_color(Colormap::Jet, 0.0)) == "(0, 0, 127)");
    CHECK(rgb(cam::colormap_color(Colormap::Jet, 0.25)) == "(0, 128, 255)");
    CHECK(rgb(cam::colormap_color(Colormap::Jet, 0.5)) == "(124, 255, 121)");
    CHECK(rgb(cam::colormap_color(Colormap::Jet, 0.75)) == "(255, 148, 0)");
    CHECK(rgb(cam::colormap_color(Colormap::Jet, 255.0 / 256)) == "(127, 0, 0)");
    CHECK(rgb(cam::colormap_color(Colormap::Jet, 1.0)) == "(127, 0, 0)");
}

// turbo: matplotlib's `_turbo_data` (Google's table) entries, each channel * 255, truncated.
TEST_CASE("colormap: turbo at entries 0, 64, 128, 192, 255") {
    // 0: (0.18995, 0.07176, 0.23217) * 255 = (48.437, 18.299, 59.203).
    CHECK(rgb(cam::colormap_entry(Colormap::Turbo, 0)) == "(48, 18, 59)");
    // 64: (0.15844, 0.73551, 0.92305) * 255 = (40.402, 187.555, 235.378).
    CHECK(rgb(cam::colormap_entry(Colormap::Turbo, 64)) == "(40, 187, 235)");
    // 128: (0.64362, 0.98999, 0.23356) * 255 = (164.123, 252.447, 59.558).
    CHECK(rgb(cam::colormap_entry(Colormap::Turbo, 128)) == "(164, 252, 59)");
    // 192: (0.98360, 0.49291, 0.12849) * 255 = (250.818, 125.692, 32.765).
    CHECK(rgb(cam::colormap_entry(Colormap::Turbo, 192)) == "(250, 125, 32)");
    // 255: (0.47960, 0.01583, 0.01055) * 255 = (122.298, 4.037, 2.690).
    CHECK(rgb(cam::colormap_entry(Colormap::Turbo, 255)) == "(122, 4, 2)");

    CHECK(rgb(cam::colormap_color(Colormap::Turbo, 0.0)) == "(48, 18, 59)");
    CHECK(rgb(cam::colormap_color(Colormap::Turbo, 0.25)) == "(40, 187, 235)");
    CHECK(rgb(cam::colormap_color(Colormap::Turbo, 0.5)) == "(164, 252, 59)");
    CHECK(rgb(cam::colormap_color(Colormap::Turbo, 0.75)) == "(250, 125, 32)");
    CHECK(rgb(cam::colormap_color(Colormap::Turbo, 1.0)) == "(122, 4, 2)");
}

TEST_CASE("colormap: entry indices out of range") {
    CHECK_THROWS_WITH_AS(cam::colormap_entry(Colormap::Jet, 256), "colormap_entry: index must be in 0..255, got 256",
                         ValueError);
    CHECK_THROWS_WITH_AS(cam::colormap_entry(Colormap::Turbo, -1), "colormap_entry: index must be in 0..255, got -1",
                         ValueError);
}

TEST_CASE("apply_colormap: (H, W) and (1, 1, H, W), f32 and f64") {
    for (DType dtype : {DType::F64, DType::F32}) {
        CAPTURE(dtype_name(dtype));
        for (const Tensor& heat : {two_by_two_heat(dtype), two_by_two_heat(dtype).reshape(Shape{1, 1, 2, 2})}) {
            const io::Image image = cam::apply_colormap(heat, Colormap::Jet);
            REQUIRE(image.height == 2);
            REQUIRE(image.width == 2);
            REQUIRE(image.rgb.size() == 12);
            CHECK(pixel(image, 0, 0) == "(0, 0, 127)");
            CHECK(pixel(image, 0, 1) == "(0, 128, 255)");
            CHECK(pixel(image, 1, 0) == "(124, 255, 121)");
            CHECK(pixel(image, 1, 1) == "(127, 0, 0)");
        }
    }
    // Non-square: rows stay rows.
    const io::Image wide = cam::apply_colormap(Tensor::from_values(Shape{1, 3}, {0.0, 0.5, 1.0}), Colormap::Turbo);
    REQUIRE(wide.height == 1);
    REQUIRE(wide.width == 3);
    CHECK(pixel(wide, 0, 2) == "(122, 4, 2)");
}

TEST_CASE("apply_colormap: errors") {
    CHECK_THROWS_WITH_AS(cam::apply_colormap(Tensor(), Colormap::Jet), "apply_colormap: the heatmap is undefined",
                         ValueError);
    CHECK_THROWS_WITH_AS(cam::apply_colormap(Tensor::zeros(Shape{1, 2, 2}), Colormap::Jet),
                         "apply_colormap: the heatmap must be (H, W) or (1, 1, H, W), got (1, 2, 2)", ShapeError);
    CHECK_THROWS_WITH_AS(cam::apply_colormap(Tensor::zeros(Shape{2, 1, 2, 2}), Colormap::Jet),
                         "apply_colormap: the heatmap must be (H, W) or (1, 1, H, W), got (2, 1, 2, 2)", ShapeError);
    CHECK_THROWS_WITH_AS(cam::apply_colormap(Tensor::zeros(Shape{1, 3, 2, 2}), Colormap::Jet),
                         "apply_colormap: the heatmap must be (H, W) or (1, 1, H, W), got (1, 3, 2, 2)", ShapeError);
    CHECK_THROWS_WITH_AS(cam::apply_colormap(Tensor::zeros(Shape{0, 3}), Colormap::Jet),
                         "apply_colormap: the heatmap of shape (0, 3) has no pixels", ShapeError);
}

// Base two_by_two(), heat two_by_two_heat() through jet: colours (0, 0, 127), (0, 128, 255),
// (124, 255, 121), (127, 0, 0). Every product below is a multiple of 1/4, exact in double, so
// the halves are real halves and round up.
TEST_CASE("overlay: alpha 0.5 and 0.25 on a 2x2 image") {
    const io::Image base = two_by_two();
    const Tensor heat = two_by_two_heat();
    // alpha 0.5: (base + colour) / 2.
    //   (10+0)/2=5   (20+0)/2=10   (30+127)/2=78.5->79
    //   (40+0)/2=20  (50+128)/2=89 (60+255)/2=157.5->158
    //   (70+124)/2=97 (80+255)/2=167.5->168 (90+121)/2=105.5->106
    //   (100+127)/2=113.5->114 (110+0)/2=55 (255+0)/2=127.5->128
    const io::Image half = cam::overlay(base, heat, Colormap::Jet, 0.5);
    REQUIRE(half.height == 2);
    REQUIRE(half.width == 2);
    CHECK(half.rgb == std::vector<uint8_t>{5, 10, 79, 20, 89, 158, 97, 168, 106, 114, 55, 128});
    // alpha 0.25: 0.75 * base + 0.25 * colour.
    //   7.5->8   15   22.5+31.75=54.25->54
    //   30   37.5+32=69.5->70   45+63.75=108.75->109
    //   52.5+31=83.5->84   60+63.75=123.75->124   67.5+30.25=97.75->98
    //   75+31.75=106.75->107   82.5->83   191.25->191
    const io::Image quarter = cam::overlay(base, heat, Colormap::Jet, 0.25);
    CHECK(quarter.rgb == std::vector<uint8_t>{8, 15, 54, 30, 70, 109, 84, 124, 98, 107, 83, 191});
    // The ends: alpha 0 is the image, alpha 1 the colormap.
    CHECK(cam::overlay(base, heat, Colormap::Jet, 0.0).rgb == base.rgb);
    CHECK(cam::overlay(base, heat, Colormap::Jet, 1.0).rgb == cam::apply_colormap(heat, Colormap::Jet).rgb);
    // (1, 1, H, W) f32 heat gives the same.
    const Tensor f32_map = two_by_two_heat(DType::F32).reshape(Shape{1, 1, 2, 2});
    CHECK(cam::overlay(base, f32_map, Colormap::Jet, 0.5).rgb == half.rgb);
}

TEST_CASE("overlay: errors") {
    const io::Image base = two_by_two();
    CHECK_THROWS_WITH_AS(cam::overlay(base, Tensor::zeros(Shape{3, 2}), Colormap::Jet, 0.5),
                         "overlay: the heatmap is 3x2 but the image is 2x2 (height x width); resize the heatmap to "
                         "the image first",
                         ShapeError);
    CHECK_THROWS_WITH_AS(cam::overlay(base, Tensor::zeros(Shape{1, 1, 2, 3}), Colormap::Jet, 0.5),
                         "overlay: the heatmap is 2x3 but the image is 2x2 (height x width); resize the heatmap to "
                         "the image first",
                         ShapeError);
    CHECK_THROWS_WITH_AS(cam::overlay(base, two_by_two_heat(), Colormap::Jet, 1.5),
                         "overlay: alpha must be in [0, 1], got 1.5", ValueError);
    CHECK_THROWS_WITH_AS(cam::overlay(base, two_by_two_heat(), Colormap::Jet, -0.25),
                         "overlay: alpha must be in [0, 1], got -0.25", ValueError);
    CHECK_THROWS_WITH_AS(cam::overlay(base, two_by_two_heat(), Colormap::Jet, std::nan("")),
                         "overlay: alpha must be in [0, 1], got nan", ValueError);
    CHECK_THROWS_WITH_AS(cam::overlay(base, Tensor::zeros(Shape{2, 2, 2}), Colormap::Jet, 0.5),
                         "overlay: the heatmap must be (H, W) or (1, 1, H, W), got (2, 2, 2)", ShapeError);
    io::Image broken = two_by_two();
    broken.rgb.pop_back();
    CHECK_THROWS_WITH_AS(cam::overlay(broken, two_by_two_heat(), Colormap::Jet, 0.5),
                         "overlay: the base image: a 2x2 RGB image needs 12 bytes of pixels but holds 11", ShapeError);
}

TEST_CASE("grid: label scale and strip height") {
    CHECK(cam::label_scale(1) == 1);
    CHECK(cam::label_scale(111) == 1);
    CHECK(cam::label_scale(223) == 1);
    CHECK(cam::label_scale(224) == 2);
    CHECK(cam::label_scale(335) == 2);
    CHECK(cam::label_scale(336) == 3);
    CHECK(cam::label_scale(448) == 4);
    CHECK(cam::label_scale(5000) == 4);
    // 7 glyph rows + 2 blank rows above and below, times the scale.
    CHECK(cam::label_strip_height(2) == 11);
    CHECK(cam::label_strip_height(224) == 22);
    CHECK(cam::label_strip_height(448) == 44);
}

TEST_CASE("grid: labels are fitted, truncated with '...'") {
    // 224 px at scale 2: one blank column (2 px) each side leaves 220 px; n characters take
    // (6n - 1) * 2 px, so 18 fit.
    CHECK(cam::fit_label("Grad-CAM", 224, 2) == "Grad-CAM");
    CHECK(cam::fit_label("Integrated GradCAM", 224, 2) == "Integrated GradCAM");  // 18: fits exactly
    CHECK(cam::fit_label("Integrated Grad-CAM", 224, 2) == "Integrated Grad...");  // 19: 15 + "..."
    // 100 px at scale 1: 98 px, 16 characters; 13 kept, the trailing space dropped.
    CHECK(cam::fit_label("Hello world, again", 100, 1) == "Hello world,...");
    // Room for one character (10 px at scale 1: 8 px), then for none.
    CHECK(cam::fit_label("abc", 10, 1) == ".");
    CHECK(cam::fit_label("abc", 1, 1) == "");
    CHECK(cam::fit_label("", 224, 2) == "");
    // Outside printable ASCII: '?' per byte (UTF-8 'é' is two bytes), tab and DEL too.
    CHECK(cam::fit_label("caf\xc3\xa9", 224, 2) == "caf??");
    CHECK(cam::fit_label("a\tb\x7f", 224, 2) == "a?b?");
    CHECK_THROWS_WITH_AS(cam::fit_label("a", 224, 0), "fit_label: scale must be >= 1, got 0", ValueError);
}

TEST_CASE("grid: dimensions, panels, gaps and labels") {
    const io::Image first = filled(224, 224, 10, 20, 30), second = filled(224, 224, 200, 100, 50),
                    third = filled(224, 100, 1, 2, 3);
    const io::Image grid = cam::make_grid({first, second, third}, {"H", "Grad-CAM", ""});
    // 22-px label strip over 224 rows; 224 + 4 + 224 + 4 + 100 columns.
    CHECK(grid.height == 246);
    CHECK(grid.width == 556);
    REQUIRE(grid.rgb.size() == static_cast<std::size_t>(246 * 556 * 3));

    // The panels, copied unchanged below the strip.
    CHECK(all_pixels(grid, 22, 246, 0, 224, "(10, 20, 30)"));
    CHECK(all_pixels(grid, 22, 246, 228, 452, "(200, 100, 50)"));
    CHECK(all_pixels(grid, 22, 246, 456, 556, "(1, 2, 3)"));
    // The gaps, white from top to bottom.
    CHECK(all_pixels(grid, 0, 246, 224, 228, kWhite));
    CHECK(all_pixels(grid, 0, 246, 452, 456, kWhite));
    CHECK(pixel(grid, 100, 225) == kWhite);

    // "H" at scale 2 is 10 px wide, centred: left = (224 - 10) / 2 = 107; top = 2 blank rows * 2 = 4.
    // Row 0 of H is #...#: columns 107-108 and 115-116 dark, 109-114 white.
    CHECK(pixel(grid, 4, 107) == kBlack);
    CHECK(pixel(grid, 5, 108) == kBlack);
    CHECK(pixel(grid, 4, 109) == kWhite);
    CHECK(pixel(grid, 4, 116) == kBlack);
    // Row 3 is the bar #####: rows 10-11, columns 107-116.
    CHECK(all_pixels(grid, 10, 12, 107, 117, kBlack));
    // Above and below the glyph the strip is white.
    CHECK(pixel(grid, 3, 107) == kWhite);
    CHECK(pixel(grid, 18, 107) == kWhite);
    // H has 17 set bits, 4 px each at scale 2; nothing else is drawn over the first panel.
    CHECK(count_pixels(grid, 0, 22, 0, 224, kBlack) == 68);
    CHECK(count_pixels(grid, 0, 22, 0, 224, kWhite) == 22 * 224 - 68);

    // "Grad-CAM": 8 glyphs = (8 * 6 - 1) * 2 = 94 px, left = 228 + (224 - 94) / 2 = 293.
    // G's row 0 is .###.: column 0 (293-294) white, column 1 (295-296) dark.
    CHECK(pixel(grid, 4, 293) == kWhite);
    CHECK(pixel(grid, 4, 295) == kBlack);
    CHECK(count_pixels(grid, 0, 22, 228, 293, kBlack) == 0);   // nothing left of the text
    CHECK(count_pixels(grid, 0, 22, 387, 452, kBlack) == 0);   // nor right of it (293 + 94 = 387)
    // An empty label leaves its strip white.
    CHECK(all_pixels(grid, 0, 22, 456, 556, kWhite));
}

TEST_CASE("grid: small panels get scale 1") {
    const io::Image grid = cam::make_grid({two_by_two(), filled(2, 3, 9, 9, 9)}, {"a", "b"});
    // An 11-px strip (scale 1) over 2 rows; 2 + 4 + 3 columns. The labels do not fit in 2-3 px.
    CHECK(grid.height == 13);
    CHECK(grid.width == 9);
    CHECK(pixel(grid, 11, 0) == "(10, 20, 30)");
    CHECK(pixel(grid, 12, 1) == "(100, 110, 255)");
    CHECK(all_pixels(grid, 11, 13, 2, 6, kWhite));
    CHECK(all_pixels(grid, 11, 13, 6, 9, "(9, 9, 9)"));
    CHECK(all_pixels(grid, 0, 11, 0, 9, kWhite));
    // One panel, no gap.
    const io::Image single = cam::make_grid({two_by_two()}, {""});
    CHECK(single.height == 13);
    CHECK(single.width == 2);
}

TEST_CASE("grid: errors") {
    CHECK_THROWS_WITH_AS(cam::make_grid({}, {}), "make_grid: no panels", ValueError);
    CHECK_THROWS_WITH_AS(cam::make_grid({two_by_two(), two_by_two()}, {"a"}),
                         "make_grid: 2 panels but 1 labels (one label per panel)", ValueError);
    CHECK_THROWS_WITH_AS(cam::make_grid({two_by_two(), filled(3, 2, 0, 0, 0)}, {"a", "b"}),
                         "make_grid: panel 1 is 3x2 but panel 0 is 2x2 (height x width); panels must have the same "
                         "height",
                         ShapeError);
    io::Image broken = two_by_two();
    broken.rgb.pop_back();
    CHECK_THROWS_WITH_AS(cam::make_grid({two_by_two(), broken}, {"a", "b"}),
                         "make_grid: panel 1: a 2x2 RGB image needs 12 bytes of pixels but holds 11", ShapeError);
    CHECK_THROWS_WITH_AS(cam::make_grid({io::Image{}}, {"a"}),
                         "make_grid: panel 0: image size 0x0 (width x height) is not a positive size", ShapeError);
}
