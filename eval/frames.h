// The frames metrics work in. A method's map L (1, 1, h, w) is upsampled bilinearly with
// half-pixel centres (F.interpolate, align_corners=False):
//   - localisation: to the original image's pixels, over the region the model saw (the whole
//     image without a crop; the crop window mapped back through the resize otherwise, with
//     L = 0 outside it), as TorchRay scores its maps;
//   - fidelity: to the model input's size, then min-max normalised to [0, 1] (Ln); a
//     constant map (all zero after the method's ReLU) gives Ln = 0 everywhere.
#pragma once

#include "core/tensor.h"
#include "eval/metrics.h"
#include "models/preprocess.h"

namespace igcam::eval {

// The rows [r0, r1) and columns [c0, c1) of the original image the model input covers.
struct Window {
    int64_t r0 = 0, r1 = 0, c0 = 0, c1 = 0;
};
// For an image of height x width under `preprocess`: the crop window through the resize,
// rounded to the nearest pixel (the whole image without a crop).
Window model_window(int64_t height, int64_t width, const models::Preprocess& preprocess);

// map (1, 1, h, w), any dtype and device -> the original image's frame (height x width).
Grid localisation_frame(const Tensor& map, int64_t height, int64_t width, const models::Preprocess& preprocess);
// map (1, 1, h, w) -> Ln at the model input's size (height x width).
Grid fidelity_frame(const Tensor& map, int64_t height, int64_t width);

}  // namespace igcam::eval
