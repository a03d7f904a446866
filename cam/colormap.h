// Colormaps for heatmaps: matplotlib 3.6's "jet" and "turbo", byte for byte.
//
// A heatmap colour must be the colour the reference pipelines show (they plot with
// matplotlib), so both maps reproduce `matplotlib.colormaps[name](value, bytes=True)`
// exactly rather than approximating it:
//   - the 256-entry lookup table (jet: built from matplotlib's `_jet_data` segments the way
//     `_create_lookup_table` builds it; turbo: Google's canonical table `_turbo_data`),
//   - bytes by truncation, `(lut * 255).astype(uint8)` (so jet's 0.5 blue is 127, not 128),
//   - the index `int(value * 256)`, with 1.0 mapped to the last entry.
// Note: OpenCV's COLORMAP_JET is a different table (e.g. (130, 255, 126) at 128 where
// matplotlib gives (124, 255, 121)); it is not what these functions reproduce.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace igcam::cam {

enum class Colormap { Jet, Turbo };

// "jet" or "turbo"; anything else throws ValueError "unknown colormap 'x' (expected jet or turbo)".
Colormap parse_colormap(const std::string& name);
// The names parse_colormap accepts, in a stable order: {"jet", "turbo"}.
std::vector<std::string> colormap_names();
// The name parse_colormap maps to `map`.
std::string colormap_name(Colormap map);

// Number of entries in every lookup table (matplotlib's default N).
constexpr int kColormapSize = 256;

// The lookup-table entry matplotlib picks for `value`: int(value * 256), clipped to
// [0, 255] (values below 0 give 0, values from 1 up give 255, +inf 255, -inf 0). NaN gives
// 0 here; matplotlib would give its transparent "bad" colour (0, 0, 0, 0) instead.
int colormap_index(double value);

// Entry `index` (0..255) of the byte table: (lut * 255) truncated to uint8.
// Throws ValueError for an index outside 0..255.
std::array<uint8_t, 3> colormap_entry(Colormap map, int index);

// matplotlib's cmap(value, bytes=True)[:3]: colormap_entry(map, colormap_index(value)).
std::array<uint8_t, 3> colormap_color(Colormap map, double value);

}  // namespace igcam::cam
