// Rendering a CAM for people: a heatmap through a colormap, blended over the image the model
// saw, and several images side by side with a label above each (input, Grad-CAM, IG-CAM...).
//
// Everything here works on 8-bit RGB io::Image values and CPU heatmaps in [0, 1]; turning a
// CAM into such a heatmap (upsampling, normalising) is cam/postprocess's job.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cam/colormap.h"
#include "core/io/image.h"
#include "core/tensor.h"

namespace igcam::cam {

// heat: (H, W) or (1, 1, H, W), f32 or f64, on the CPU, values in [0, 1] -> the RGB image
// (H, W) whose pixel (y, x) is colormap_color(map, heat[y, x]). Values outside [0, 1] are
// clipped as matplotlib clips them (below 0: the first colour; 1 and above: the last), NaN
// gets the first colour.
// Throws ValueError (undefined tensor), DeviceError (not on the CPU), ShapeError (another
// layout, or no pixels).
io::Image apply_colormap(const Tensor& heat, Colormap map);

// The heatmap blended over `base`: out = (1 - alpha) * base + alpha * colormap(heat), per
// channel in double, rounded half up (floor(v + 0.5)) to uint8. heat is as for
// apply_colormap and must have base's height and width (ShapeError otherwise: upsample it
// first); alpha must lie in [0, 1] (ValueError otherwise; 0 gives base, 1 the colormap).
io::Image overlay(const io::Image& base, const Tensor& heat, Colormap map, double alpha);

// ---- the labelled grid ------------------------------------------------------------------

// White columns between neighbouring panels (label strip included).
constexpr int64_t kGridGap = 4;

// Labels use a built-in 5x7 bitmap font (printable ASCII) scaled by an integer factor chosen
// from the panel height: clamp(height / 112, 1, 4), i.e. 2 on 224-px panels (10x14-px glyphs).
int64_t label_scale(int64_t panel_height);
// The strip above the panels: 7 glyph rows plus 2 blank rows above and below, times the
// scale: 11 * label_scale(panel_height), i.e. 22 px on 224-px panels.
int64_t label_strip_height(int64_t panel_height);

// The text make_grid draws for `label` above a panel `width` px wide at `scale`. A glyph
// advances 6 * scale px (5 columns + 1 blank) and one blank font column (scale px) is kept
// on either side of the text. Bytes outside printable ASCII (control characters, each byte of
// UTF-8) become '?'. A label that does not fit becomes its longest prefix (trailing spaces
// dropped) followed by "...", or as much of "..." as fits when not even one character does.
// Throws ValueError for a scale below 1.
std::string fit_label(const std::string& label, int64_t width, int64_t scale);

// The panels side by side, left to right, kGridGap white columns between them, and above each
// panel a white strip of label_strip_height(H) px with its label in black, centred (left
// over pixels of an odd split go right) and fitted by fit_label. All panels must share the
// height H (ShapeError naming both sizes); widths may differ. The result is
// (label_strip_height(H) + H) x (sum of widths + kGridGap * (panels - 1)).
// Throws ValueError when there are no panels or labels.size() != panels.size(), and
// ShapeError for a panel whose size and pixel buffer disagree.
io::Image make_grid(const std::vector<io::Image>& panels, const std::vector<std::string>& labels);

}  // namespace igcam::cam
