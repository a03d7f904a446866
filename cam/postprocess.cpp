#include "cam/postprocess.h"

#include "core/error.h"
#include "core/ops.h"

namespace igcam::cam {

namespace {
constexpr double kEpsilon = 1e-7;
}

Tensor upsample_map(const Tensor& map, int64_t height, int64_t width) {
    IGCAM_CHECK(map.rank() == 4 && map.dim(1) == 1, ShapeError, "upsample_map: map must be (N, 1, h, w), got ",
                map.shape().to_string());
    return ops::resize_bilinear_forward(map, height, width);
}

Tensor normalize_maps(const Tensor& maps) {
    IGCAM_CHECK(maps.rank() == 4, ShapeError, "normalize_maps: maps must be (N, 1, H, W), got ",
                maps.shape().to_string());
    const Tensor lo = ops::amin(maps, {1, 2, 3}, true), hi = ops::amax(maps, {1, 2, 3}, true);
    return ops::div(ops::sub(maps, lo), ops::affine(ops::sub(hi, lo), 1.0, kEpsilon));
}

std::vector<bool> zero_maps(const Tensor& maps) {
    const std::vector<double> hi = ops::amax(ops::relu_forward(maps), {1, 2, 3}).to_vector();
    const std::vector<double> lo = ops::amin(maps, {1, 2, 3}).to_vector();
    std::vector<bool> zero;
    for (std::size_t n = 0; n < hi.size(); ++n) zero.push_back(hi[n] == 0.0 && lo[n] == 0.0);
    return zero;
}

}  // namespace igcam::cam
