// Class names for weight files that do not carry their own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace igcam::models {

const std::vector<std::string>& imagenet_class_names();  // 1000, torchvision's order
const std::vector<std::string>& voc_class_names();       // 20, TorchRay's VOC_CLASSES
// ImageNet for 1000 classes, VOC for 20, otherwise "class_0", "class_1", ...
std::vector<std::string> default_class_names(int64_t num_classes);

}  // namespace igcam::models
