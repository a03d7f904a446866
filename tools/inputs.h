// Command-line inputs: expanding --image arguments into image files.
#pragma once

#include <string>
#include <vector>

#include "models/model.h"

namespace igcam::tools {

// Each argument is a file (kept as given) or a directory (replaced by its .png/.jpg/.jpeg
// files, any case, sorted by name, not recursive). Throws IoError for a path that does
// not exist and for a directory without images.
std::vector<std::string> collect_image_paths(const std::vector<std::string>& arguments);

// The weight file's model in `dtype` on `device`, with the preprocessing preset `preprocess`
// instead of the file's when it is not empty.
models::Model load_tool_model(const std::string& weights, DType dtype, const std::string& preprocess, Device device);

// The target layer's module name: the model's default when `asked` is empty, else the one
// asked for (Keras layer names, conv5_block3_out or block5_conv3, name igcam's modules too).
// Throws UsageError naming the closest valid names.
std::string resolve_layer(const models::Model& model, const std::string& asked);

// "cat" for "images/cat.jpg": names output files.
std::string file_stem(const std::string& path);

}  // namespace igcam::tools
