// The image files of a run. Every file's header is read up front, so a missing file or one
// that is not a PNG or JPEG fails the run before anything is computed, and the images can
// be grouped by the size the model will see. Each image is then decoded and preprocessed
// once, when its batch runs; the view it gives (the resized picture the model sees, for
// the overlays) is kept until its files are written.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cam/pipeline.h"
#include "core/io/image.h"
#include "models/preprocess.h"

namespace igcam::tools {

class ImageFiles {
public:
    // Throws IoError / FormatError naming the first file that cannot be read as an image or
    // whose size the preprocessing cannot crop.
    ImageFiles(std::vector<std::string> paths, const models::Preprocess& preprocess, DType dtype, Device device);
    // Pictures already decoded (a Python caller's arrays), preprocessed as files are and named
    // "image 0", "image 1", ... in messages; a size the preprocessing cannot crop is a
    // ShapeError (the caller's array, not a file). paths() is empty.
    ImageFiles(std::vector<io::Image> pictures, const models::Preprocess& preprocess, DType dtype, Device device);
    ImageFiles(const ImageFiles&) = delete;
    ImageFiles& operator=(const ImageFiles&) = delete;

    const std::vector<std::string>& paths() const { return paths_; }
    // The pipeline's view of the files: their input shapes, and a loader that keeps each
    // loaded image's view for take_view. Valid while this object lives.
    cam::Inputs inputs();
    // The view of image `index`, loaded since; released here (ValueError when not loaded).
    io::Image take_view(int64_t index);

private:
    Tensor load(int64_t index);
    Tensor keep_view(int64_t index, models::Preprocessed p);  // keeps p's view, returns its tensor

    std::vector<std::string> paths_;
    std::vector<io::Image> pictures_;  // instead of paths_
    models::Preprocess preprocess_;
    DType dtype_;
    Device device_;
    std::vector<Shape> shapes_;
    std::map<int64_t, io::Image> views_;
};

}  // namespace igcam::tools
