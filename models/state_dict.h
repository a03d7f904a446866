// Loading a torch state dict from any weight format (models/stored_tensors.h): the
// architecture inferred from key names and shapes, every parameter present once with the
// exact shape and a readable element type, checked before any tensor is read, then read
// and checked for non-finite values. Anything else in the catalogue is an error.
#pragma once

#include <string>

#include "models/model.h"
#include "models/stored_tensors.h"

namespace igcam::models {

// The preprocessing a torch state dict gets by default: the torchvision preset, or
// torchray-voc for TorchRay's Caffe variant.
Preprocess default_preprocess(const Architecture& arch);

// The catalogue's shapes by key, for infer_architecture.
std::map<std::string, std::vector<int64_t>> catalogue_shapes(const TensorSource& source);

// Builds arch's network and fills its parameters from `source`. FormatError naming the
// file and tensor for a missing, extra, mistyped or misshapen tensor or a non-finite value.
std::shared_ptr<nn::Module> build_from_state_dict(const TensorSource& source, const Architecture& arch, DType dtype);

// A whole Model from a bare state dict (safetensors, torch.save): the architecture and
// variant inferred (a biased conv1 means TorchRay's Caffe ResNet), the variant's default
// preprocessing, class names class_0..., `format` recorded as given.
Model model_from_state_dict(const TensorSource& source, const std::string& format, DType dtype);

}  // namespace igcam::models
