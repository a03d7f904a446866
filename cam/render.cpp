#include "cam/render.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

#include "core/error.h"

namespace igcam::cam {

namespace {

// ---- heatmaps -------------------------------------------------------------------------

struct PixelSize {
    int64_t height = 0, width = 0;
};

// The (H, W) of a heatmap argument of `op`, after checking that it is one we can read.
PixelSize heat_size(const char* op, const Tensor& heat) {
    IGCAM_CHECK(heat.defined(), ValueError, op, ": the heatmap is undefined");
    const bool plane = heat.rank() == 2;
    const bool single_map = heat.rank() == 4 && heat.dim(0) == 1 && heat.dim(1) == 1;
    IGCAM_CHECK(plane || single_map, ShapeError, op, ": the heatmap must be (H, W) or (1, 1, H, W), got ",
                heat.shape().to_string());
    const PixelSize size{heat.dim(-2), heat.dim(-1)};
    IGCAM_CHECK(size.height > 0 && size.width > 0, ShapeError, op, ": the heatmap of shape ",
                heat.shape().to_string(), " has no pixels");
    return size;
}

template <typename T>
void colour_pixels(const T* values, int64_t count, Colormap map, uint8_t* rgb) {
    for (int64_t i = 0; i < count; ++i) {
        const std::array<uint8_t, 3> colour = colormap_color(map, static_cast<double>(values[i]));
        std::copy(colour.begin(), colour.end(), rgb + i * 3);
    }
}

// (1 - alpha) * base + alpha * colour, rounded half up and kept in 0..255 (a convex
// combination cannot leave it, but rounding error must not wrap a uint8).
uint8_t blend(uint8_t base, uint8_t colour, double alpha) {
    const double value = (1.0 - alpha) * base + alpha * colour;
    return static_cast<uint8_t>(std::clamp(std::floor(value + 0.5), 0.0, 255.0));
}

// ---- the bitmap font ------------------------------------------------------------------

constexpr int kGlyphWidth = 5, kGlyphHeight = 7;
constexpr int kGlyphAdvance = kGlyphWidth + 1;  // one blank column between characters
constexpr int kStripPadding = 2;                // blank font rows above and below the text
constexpr char kFirstGlyph = ' ', kLastGlyph = '~';

// igcam's own 5x7 font for printable ASCII (' ' .. '~'), drawn for this file. One byte per
// row, top row first; bit 4 is the leftmost column, bit 0 the rightmost.
constexpr uint8_t kFont[kLastGlyph - kFirstGlyph + 1][kGlyphHeight] = {
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},  // ' '
    {0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04},  // '!'
    {0x0A, 0x0A, 0x0A, 0x00, 0x00, 0x00, 0x00},  // '"'
    {0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A},  // '#'
    {0x04, 0x0F, 0x14, 0x0E, 0x05, 0x1E, 0x04},  // '$'
    {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03},  // '%'
    {0x0C, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0D},  // '&'
    {0x04, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00},  // "'"
    {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02},  // '('
    {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08},  // ')'
    {0x00, 0x04, 0x15, 0x0E, 0x15, 0x04, 0x00},  // '*'
    {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00},  // '+'
    {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08},  // ','
    {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00},  // '-'
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C},  // '.'
    {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00},  // '/'
    {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E},  // '0'
    {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},  // '1'
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F},  // '2'
    {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E},  // '3'
    {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02},  // '4'
    {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},  // '5'
    {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E},  // '6'
    {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},  // '7'
    {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E},  // '8'
    {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C},  // '9'
    {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00},  // ':'
    {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x04, 0x08},  // ';'
    {0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02},  // '<'
    {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00},  // '='
    {0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08},  // '>'
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04},  // '?'
    {0x0E, 0x11, 0x01, 0x0D, 0x15, 0x15, 0x0E},  // '@'
    {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11},  // 'A'
    {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E},  // 'B'
    {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E},  // 'C'
    {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C},  // 'D'
    {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F},  // 'E'
    {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10},  // 'F'
    {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F},  // 'G'
    {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11},  // 'H'
    {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E},  // 'I'
    {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C},  // 'J'
    {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11},  // 'K'
    {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F},  // 'L'
    {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11},  // 'M'
    {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11},  // 'N'
    {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},  // 'O'
    {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10},  // 'P'
    {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D},  // 'Q'
    {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11},  // 'R'
    {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E},  // 'S'
    {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04},  // 'T'
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},  // 'U'
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04},  // 'V'
    {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A},  // 'W'
    {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11},  // 'X'
    {0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04},  // 'Y'
    {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F},  // 'Z'
    {0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E},  // '['
    {0x00, 0x10, 0x08, 0x04, 0x02, 0x01, 0x00},  // backslash
    {0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E},  // ']'
    {0x04, 0x0A, 0x11, 0x00, 0x00, 0x00, 0x00},  // '^'
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F},  // '_'
    {0x08, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00},  // '`'
    {0x00, 0x00, 0x0E, 0x01, 0x0F, 0x11, 0x0F},  // 'a'
    {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1E},  // 'b'
    {0x00, 0x00, 0x0E, 0x10, 0x10, 0x11, 0x0E},  // 'c'
    {0x01, 0x01, 0x0D, 0x13, 0x11, 0x11, 0x0F},  // 'd'
    {0x00, 0x00, 0x0E, 0x11, 0x1F, 0x10, 0x0E},  // 'e'
    {0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08},  // 'f'
    {0x00, 0x0F, 0x11, 0x11, 0x0F, 0x01, 0x0E},  // 'g'
    {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11},  // 'h'
    {0x04, 0x00, 0x0C, 0x04, 0x04, 0x04, 0x0E},  // 'i'
    {0x02, 0x00, 0x06, 0x02, 0x02, 0x12, 0x0C},  // 'j'
    {0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12},  // 'k'
    {0x0C, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E},  // 'l'
    {0x00, 0x00, 0x1A, 0x15, 0x15, 0x11, 0x11},  // 'm'
    {0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11},  // 'n'
    {0x00, 0x00, 0x0E, 0x11, 0x11, 0x11, 0x0E},  // 'o'
    {0x00, 0x00, 0x1E, 0x11, 0x1E, 0x10, 0x10},  // 'p'
    {0x00, 0x00, 0x0D, 0x13, 0x0F, 0x01, 0x01},  // 'q'
    {0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10},  // 'r'
    {0x00, 0x00, 0x0E, 0x10, 0x0E, 0x01, 0x1E},  // 's'
    {0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06},  // 't'
    {0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0D},  // 'u'
    {0x00, 0x00, 0x11, 0x11, 0x11, 0x0A, 0x04},  // 'v'
    {0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0A},  // 'w'
    {0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11},  // 'x'
    {0x00, 0x00, 0x11, 0x11, 0x0F, 0x01, 0x0E},  // 'y'
    {0x00, 0x00, 0x1F, 0x02, 0x04, 0x08, 0x1F},  // 'z'
    {0x02, 0x04, 0x04, 0x08, 0x04, 0x04, 0x02},  // '{'
    {0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04},  // '|'
    {0x08, 0x04, 0x04, 0x02, 0x04, 0x04, 0x08},  // '}'
    {0x00, 0x00, 0x08, 0x15, 0x02, 0x00, 0x00},  // '~'
};

bool printable(char c) { return c >= kFirstGlyph && c <= kLastGlyph; }

bool glyph_pixel(char c, int row, int column) {
    const uint8_t bits = kFont[static_cast<unsigned char>(c) - static_cast<unsigned char>(kFirstGlyph)][row];
    return ((bits >> (kGlyphWidth - 1 - column)) & 1) != 0;
}

// Width in pixels of `count` characters at `scale` (no blank column after the last one).
int64_t text_width(int64_t count, int64_t scale) {
    return count == 0 ? 0 : (count * kGlyphAdvance - 1) * scale;
}

// Draws `text` (printable ASCII) in black with its top-left corner at (top, left); pixels
// falling outside the image are skipped.
void draw_text(io::Image& image, int64_t top, int64_t left, const std::string& text, int64_t scale) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const int64_t glyph_left = left + static_cast<int64_t>(i) * kGlyphAdvance * scale;
        for (int row = 0; row < kGlyphHeight; ++row)
            for (int column = 0; column < kGlyphWidth; ++column) {
                if (!glyph_pixel(text[i], row, column)) continue;
                for (int64_t dy = 0; dy < scale; ++dy)
                    for (int64_t dx = 0; dx < scale; ++dx) {
                        const int64_t y = top + row * scale + dy, x = glyph_left + column * scale + dx;
                        if (y < 0 || y >= image.height || x < 0 || x >= image.width) continue;
                        std::fill_n(image.rgb.begin() + (y * image.width + x) * 3, 3, uint8_t{0});
                    }
            }
    }
}

// ---- the grid -------------------------------------------------------------------------

void check_panels(const std::vector<io::Image>& panels, const std::vector<std::string>& labels) {
    IGCAM_CHECK(!panels.empty(), ValueError, "make_grid: no panels");
    IGCAM_CHECK(labels.size() == panels.size(), ValueError, "make_grid: ", panels.size(), " panels but ",
                labels.size(), " labels (one label per panel)");
    for (std::size_t i = 0; i < panels.size(); ++i) {
        io::check_image(panels[i], "make_grid: panel " + std::to_string(i));
        IGCAM_CHECK(panels[i].height == panels[0].height, ShapeError, "make_grid: panel ", i, " is ",
                    panels[i].height, "x", panels[i].width, " but panel 0 is ", panels[0].height, "x",
                    panels[0].width, " (height x width); panels must have the same height");
    }
}

// Copies `panel` into `grid` with its top-left corner at (top, left).
void paste(io::Image& grid, const io::Image& panel, int64_t top, int64_t left) {
    const std::size_t row_bytes = static_cast<std::size_t>(panel.width * 3);
    for (int64_t y = 0; y < panel.height; ++y)
        std::copy_n(panel.rgb.begin() + y * panel.width * 3, row_bytes,
                    grid.rgb.begin() + ((top + y) * grid.width + left) * 3);
}

}  // namespace

io::Image apply_colormap(const Tensor& heat, Colormap map) {
    const PixelSize size = heat_size("apply_colormap", heat);
    const int64_t count = size.height * size.width;
    io::Image out{size.height, size.width, std::vector<uint8_t>(static_cast<std::size_t>(count * 3))};
    // Colour mapping runs on the host: the map (H x W) is copied once, as the result is written.
    const Tensor host = heat.to(Device::cpu());
    if (host.dtype() == DType::F32) colour_pixels(host.data<float>(), count, map, out.rgb.data());
    else colour_pixels(host.data<double>(), count, map, out.rgb.data());
    return out;
}

io::Image overlay(const io::Image& base, const Tensor& heat, Colormap map, double alpha) {
    io::check_image(base, "overlay: the base image");
    const PixelSize size = heat_size("overlay", heat);
    IGCAM_CHECK(size.height == base.height && size.width == base.width, ShapeError, "overlay: the heatmap is ",
                size.height, "x", size.width, " but the image is ", base.height, "x", base.width,
                " (height x width); resize the heatmap to the image first");
    IGCAM_CHECK(alpha >= 0.0 && alpha <= 1.0, ValueError, "overlay: alpha must be in [0, 1], got ", alpha);
    const io::Image colours = apply_colormap(heat, map);
    io::Image out{base.height, base.width, std::vector<uint8_t>(base.rgb.size())};
    for (std::size_t i = 0; i < out.rgb.size(); ++i) out.rgb[i] = blend(base.rgb[i], colours.rgb[i], alpha);
    return out;
}

int64_t label_scale(int64_t panel_height) { return std::clamp<int64_t>(panel_height / 112, 1, 4); }

int64_t label_strip_height(int64_t panel_height) {
    return (kGlyphHeight + 2 * kStripPadding) * label_scale(panel_height);
}

std::string fit_label(const std::string& label, int64_t width, int64_t scale) {
    IGCAM_CHECK(scale >= 1, ValueError, "fit_label: scale must be >= 1, got ", scale);
    std::string text = label;
    std::replace_if(text.begin(), text.end(), [](char c) { return !printable(c); }, '?');
    // One blank font column (scale px) stays free on either side of the text.
    const int64_t room = width - 2 * scale;
    const auto fits = [&](std::size_t count) { return text_width(static_cast<int64_t>(count), scale) <= room; };
    if (fits(text.size())) return text;
    const std::string ellipsis = "...";
    std::size_t keep = 0;
    while (keep < text.size() && fits(keep + 1 + ellipsis.size())) ++keep;
    if (keep == 0) {
        std::size_t dots = 0;
        while (dots < ellipsis.size() && fits(dots + 1)) ++dots;
        return ellipsis.substr(0, dots);
    }
    text.resize(keep);
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text + ellipsis;
}

io::Image make_grid(const std::vector<io::Image>& panels, const std::vector<std::string>& labels) {
    check_panels(panels, labels);
    const int64_t panel_height = panels[0].height;
    const int64_t scale = label_scale(panel_height), strip = label_strip_height(panel_height);
    int64_t width = kGridGap * static_cast<int64_t>(panels.size() - 1);
    for (const io::Image& panel : panels) width += panel.width;
    const int64_t height = strip + panel_height;
    io::Image grid{height, width, std::vector<uint8_t>(static_cast<std::size_t>(height * width * 3), 255)};
    int64_t left = 0;
    for (std::size_t i = 0; i < panels.size(); ++i) {
        paste(grid, panels[i], strip, left);
        const std::string text = fit_label(labels[i], panels[i].width, scale);
        const int64_t text_left = left + (panels[i].width - text_width(static_cast<int64_t>(text.size()), scale)) / 2;
        draw_text(grid, kStripPadding * scale, text_left, text, scale);
        left += panels[i].width + kGridGap;
    }
    return grid;
}

}  // namespace igcam::cam
