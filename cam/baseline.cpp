#include "cam/baseline.h"

#include <vector>

#include "core/error.h"
#include "core/io/image.h"

namespace igcam::cam {

Baseline Baseline::parse(const std::string& text) {
    if (text == "black") return Baseline{Kind::Black, ""};
    if (text == "zero") return Baseline{Kind::Zero, ""};
    return Baseline{Kind::Image, text};
}

Tensor Baseline::make(const models::Model& model, const Shape& input_shape) const {
    IGCAM_CHECK(input_shape.rank() == 4 && input_shape[0] == 1 && input_shape[1] == 3, ShapeError,
                "baseline: inputs must be (1, 3, H, W), got ", input_shape.to_string());
    if (kind == Kind::Zero) return Tensor::zeros(input_shape, model.dtype, model.device);
    if (kind == Kind::Black) {
        const models::Preprocess& p = model.preprocess;
        const int64_t plane = input_shape[2] * input_shape[3];
        std::vector<double> values;
        values.reserve(static_cast<std::size_t>(3 * plane));
        for (int c = 0; c < 3; ++c)
            values.insert(values.end(), static_cast<std::size_t>(plane), (0.0 * p.scale - p.mean[c]) / p.std[c]);
        return Tensor::from_values(input_shape, values, model.dtype, model.device);
    }
    const Tensor t = models::preprocess_image(io::read_image(path), model.preprocess, model.dtype);
    IGCAM_CHECK(t.shape() == input_shape, FormatError, path, ": the baseline image becomes ", t.shape().to_string(),
                " after preprocessing, but the inputs are ", input_shape.to_string(),
                "; use a baseline that preprocesses to the inputs' size");
    return t.to(model.device);
}

}  // namespace igcam::cam
