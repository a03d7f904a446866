// IG-CAM's baseline x', the start of the path: a black image preprocessed as the inputs are
// (the default), a zero model input (the authors' notebook), or an image file preprocessed
// like the inputs, which must then come out the size of each input.
#pragma once

#include <string>

#include "models/model.h"

namespace igcam::cam {

struct Baseline {
    enum class Kind { Black, Zero, Image };
    Kind kind = Kind::Black;
    std::string path;  // Kind::Image

    // "black", "zero", or anything else: an image file.
    static Baseline parse(const std::string& text);
    // x' (1, 3, H, W) for inputs of `input_shape` (1, 3, H, W), in the model's dtype, on its
    // device. A black image is constant, whatever its size before preprocessing, so each
    // channel holds (0 * scale - mean) / std. Throws IoError / FormatError for an image file
    // that cannot be read or does not come out the input's size.
    Tensor make(const models::Model& model, const Shape& input_shape) const;
};

}  // namespace igcam::cam
