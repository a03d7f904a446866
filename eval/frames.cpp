#include "eval/frames.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/ops.h"

namespace igcam::eval {

namespace {
// map (1, 1, h, w) resized to (height, width) in float64 on the CPU.
std::vector<double> upsample(const Tensor& map, int64_t height, int64_t width) {
    IGCAM_CHECK(map.rank() == 4 && map.dim(0) == 1 && map.dim(1) == 1, ShapeError,
                "a map must be (1, 1, h, w), got ", map.shape().to_string());
    const Tensor m = ops::cast(ops::to_device(map, Device::cpu()), DType::F64);
    return ops::resize_bilinear_forward(m, height, width).to_vector();
}
int64_t scaled(int64_t position, int64_t from, int64_t to) {
    return static_cast<int64_t>(std::llround(static_cast<double>(position) * static_cast<double>(to) /
                                             static_cast<double>(from)));
}
}  // namespace

Window model_window(int64_t height, int64_t width, const models::Preprocess& p) {
    if (p.crop <= 0) return Window{0, height, 0, width};
    const models::ImageSize resized = models::resized_size(height, width, p);
    const int64_t top = models::center_crop_start(resized.height, p.crop);
    const int64_t left = models::center_crop_start(resized.width, p.crop);
    Window w{scaled(top, resized.height, height), scaled(top + p.crop, resized.height, height),
             scaled(left, resized.width, width), scaled(left + p.crop, resized.width, width)};
    w.r1 = std::clamp(w.r1, w.r0 + 1, height);
    w.c1 = std::clamp(w.c1, w.c0 + 1, width);
    return w;
}

Grid localisation_frame(const Tensor& map, int64_t height, int64_t width, const models::Preprocess& preprocess) {
    const Window w = model_window(height, width, preprocess);
    Grid g{height, width, std::vector<double>(static_cast<std::size_t>(height * width), 0.0)};
    const int64_t rows = w.r1 - w.r0, cols = w.c1 - w.c0;
    const std::vector<double> up = upsample(map, rows, cols);
    for (int64_t r = 0; r < rows; ++r)
        std::copy_n(up.begin() + r * cols, cols, g.values.begin() + (w.r0 + r) * width + w.c0);
    return g;
}

Grid fidelity_frame(const Tensor& map, int64_t height, int64_t width) {
    Grid g{height, width, upsample(map, height, width)};
    const auto [lo, hi] = std::minmax_element(g.values.begin(), g.values.end());
    const double low = *lo, range = *hi - *lo;
    for (double& v : g.values) v = range > 0 ? (v - low) / range : 0.0;
    return g;
}

}  // namespace igcam::eval
