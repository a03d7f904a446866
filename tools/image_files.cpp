#include "tools/image_files.h"

#include "core/error.h"

namespace igcam::tools {

ImageFiles::ImageFiles(std::vector<std::string> paths, const models::Preprocess& preprocess, DType dtype,
                       Device device)
    : paths_(std::move(paths)), preprocess_(preprocess), dtype_(dtype), device_(device) {
    for (const std::string& path : paths_) {
        const io::ImageSize size = io::read_image_size(path);
        try {
            const models::ImageSize input = models::model_input_size(size.height, size.width, preprocess_);
            shapes_.push_back(Shape{1, 3, input.height, input.width});
        } catch (const ShapeError& e) {
            detail::throw_error<FormatError>(path, ": ", e.what());
        }
    }
}

ImageFiles::ImageFiles(std::vector<io::Image> pictures, const models::Preprocess& preprocess, DType dtype,
                       Device device)
    : pictures_(std::move(pictures)), preprocess_(preprocess), dtype_(dtype), device_(device) {
    for (std::size_t i = 0; i < pictures_.size(); ++i) {
        try {
            const models::ImageSize input = models::model_input_size(pictures_[i].height, pictures_[i].width, preprocess_);
            shapes_.push_back(Shape{1, 3, input.height, input.width});
        } catch (const ShapeError& e) {
            detail::throw_error<ShapeError>("image ", i, ": ", e.what());
        }
    }
}

cam::Inputs ImageFiles::inputs() {
    cam::Inputs inputs;
    inputs.shapes = shapes_;
    inputs.load = [this](int64_t index) { return load(index); };
    return inputs;
}

Tensor ImageFiles::load(int64_t index) {
    const std::size_t i = static_cast<std::size_t>(index);
    if (!pictures_.empty()) return keep_view(index, models::preprocess(pictures_.at(i), preprocess_, dtype_));
    const std::string& path = paths_.at(i);
    models::Preprocessed p = models::preprocess(io::read_image(path), preprocess_, dtype_);
    IGCAM_CHECK(p.tensor.shape() == shapes_[i], FormatError, path, ": the image changed while the run was reading it");
    return keep_view(index, std::move(p));
}

Tensor ImageFiles::keep_view(int64_t index, models::Preprocessed p) {
    views_[index] = std::move(p.view);
    return p.tensor.to(device_);
}

io::Image ImageFiles::take_view(int64_t index) {
    auto found = views_.find(index);
    IGCAM_CHECK(found != views_.end(), ValueError, "image ", index, " was not loaded");
    io::Image view = std::move(found->second);
    views_.erase(found);
    return view;
}

}  // namespace igcam::tools
