// The images a Python call names, as the explanation pipeline's inputs (cam/pipeline.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nanobind/nanobind.h>

#include "cam/pipeline.h"
#include "core/io/image.h"
#include "tools/image_files.h"

namespace igcam::python {

class PythonImages {
public:
    // `images` (the igcam package has already normalised what the user passed):
    //   a list of str: image files or folders of them, read as igcam-run reads them (headers
    //       now, pixels per batch);
    //   a list of (H, W, 3) uint8 arrays: RGB pictures, preprocessed as files are;
    //   one (N, 3, H, W) float32 / float64 array: model inputs, already preprocessed.
    // Needs the GIL (it copies the arrays); throws as tools::ImageFiles, and ShapeError /
    // DTypeError for arrays of another form.
    PythonImages(nanobind::handle images, const models::Model& model);
    PythonImages(const PythonImages&) = delete;
    PythonImages& operator=(const PythonImages&) = delete;

    int64_t size() const { return static_cast<int64_t>(inputs_.shapes.size()); }
    const std::vector<std::string>& paths() const { return paths_; }  // the files, folders expanded
    // The pipeline's view of the images; valid while this object lives.
    const cam::Inputs& inputs() const { return inputs_; }
    // What the model saw of image `index` (resized and cropped), loaded since; nothing for
    // preprocessed inputs.
    std::optional<io::Image> take_view(int64_t index);

private:
    std::vector<std::string> paths_;
    std::optional<tools::ImageFiles> files_;  // files or pictures; none for preprocessed inputs
    cam::Inputs inputs_;
};

}  // namespace igcam::python
