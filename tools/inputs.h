// Command-line inputs: expanding --image arguments into image files.
#pragma once

#include <string>
#include <vector>

namespace igcam::tools {

// Each argument is a file (kept as given) or a directory (replaced by its .png/.jpg/.jpeg
// files, any case, sorted by name, not recursive). Throws IoError for a path that does
// not exist and for a directory without images.
std::vector<std::string> collect_image_paths(const std::vector<std::string>& arguments);

// "cat" for "images/cat.jpg": names output files.
std::string file_stem(const std::string& path);

}  // namespace igcam::tools
