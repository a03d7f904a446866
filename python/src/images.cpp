#include "python/src/images.h"

#include <nanobind/stl/string.h>

#include "python/src/arrays.h"
#include "python/src/errors.h"
#include "tools/inputs.h"

namespace nb = nanobind;

namespace igcam::python {

PythonImages::PythonImages(nb::handle images, const models::Model& model) : model_(model) {
    if (nb::isinstance<FloatArray>(images)) {
        const Tensor all = tensor_from_numpy(nb::cast<FloatArray>(images), model.dtype).to(model.device);
        IGCAM_CHECK(all.dim(1) == 3, ShapeError, "a preprocessed input must be (N, 3, H, W), got ", all.shape().to_string());
        IGCAM_CHECK(all.dim(0) > 0 && all.dim(2) > 0 && all.dim(3) > 0, ShapeError,
                    "a preprocessed input must hold at least one image of at least one pixel, got ", all.shape().to_string());
        for (int64_t n = 0; n < all.dim(0); ++n) {
            rows_.push_back(all.slice_batch(n, n + 1));
            shapes_.push_back(rows_.back().shape());
        }
        return;
    }
    const nb::list items = nb::cast<nb::list>(images);
    IGCAM_CHECK(items.size() > 0, ValueError, "no images given");
    if (nb::isinstance<nb::str>(items[0])) {
        std::vector<std::string> arguments;
        for (nb::handle item : items) arguments.push_back(nb::cast<std::string>(item));
        with_missing_files(arguments, [&] {
            paths_ = tools::collect_image_paths(arguments);  // directories expand as igcam-run's --image
            files_.emplace(paths_, model.preprocess, model.dtype, model.device);
        });
        shapes_ = files_->inputs().shapes;
        return;
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string what = "image " + std::to_string(i);
        pictures_.push_back(image_from_numpy(nb::cast<PixelArray>(items[i]), what));
        const io::Image& p = pictures_.back();
        try {
            const models::ImageSize input = models::model_input_size(p.height, p.width, model.preprocess);
            shapes_.push_back(Shape{1, 3, input.height, input.width});
        } catch (const ShapeError& e) {
            detail::throw_error<ShapeError>(what, ": ", e.what());
        }
    }
}

cam::Inputs PythonImages::inputs() {
    if (files_) return files_->inputs();
    cam::Inputs inputs;
    inputs.shapes = shapes_;
    inputs.load = [this](int64_t index) { return load(index); };
    return inputs;
}

Tensor PythonImages::load(int64_t index) {
    const std::size_t i = static_cast<std::size_t>(index);
    if (!rows_.empty()) return rows_.at(i);
    models::Preprocessed p = models::preprocess(pictures_.at(i), model_.preprocess, model_.dtype);
    views_[index] = std::move(p.view);
    return p.tensor.to(model_.device);
}

std::optional<io::Image> PythonImages::take_view(int64_t index) {
    if (files_) return files_->take_view(index);
    auto found = views_.find(index);
    if (found == views_.end()) return std::nullopt;
    io::Image view = std::move(found->second);
    views_.erase(found);
    return view;
}

}  // namespace igcam::python
