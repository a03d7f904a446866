#include "python/src/images.h"

#include <nanobind/stl/string.h>

#include "python/src/arrays.h"
#include "python/src/errors.h"
#include "tools/inputs.h"

namespace nb = nanobind;

namespace igcam::python {

PythonImages::PythonImages(nb::handle images, const models::Model& model) {
    if (nb::isinstance<FloatArray>(images)) {
        const Tensor all = tensor_from_numpy(nb::cast<FloatArray>(images), model.dtype).to(model.device);
        IGCAM_CHECK(all.dim(1) == 3, ShapeError, "a preprocessed input must be (N, 3, H, W), got ", all.shape().to_string());
        IGCAM_CHECK(all.dim(0) > 0 && all.dim(2) > 0 && all.dim(3) > 0, ShapeError,
                    "a preprocessed input must hold at least one image of at least one pixel, got ", all.shape().to_string());
        inputs_ = cam::Inputs::from_tensors({all});
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
        inputs_ = files_->inputs();
        return;
    }
    std::vector<io::Image> pictures;
    for (std::size_t i = 0; i < items.size(); ++i)
        pictures.push_back(image_from_numpy(nb::cast<PixelArray>(items[i]), "image " + std::to_string(i)));
    files_.emplace(std::move(pictures), model.preprocess, model.dtype, model.device);
    inputs_ = files_->inputs();
}

std::optional<io::Image> PythonImages::take_view(int64_t index) {
    if (files_) return files_->take_view(index);
    return std::nullopt;  // preprocessed inputs: no picture
}

}  // namespace igcam::python
