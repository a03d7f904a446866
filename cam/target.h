// Target selection: which class score y^c (the pre-softmax logit) each image's
// explanation follows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace igcam::cam {

// spec "" -> each image's top-1 class; a number -> that class index; otherwise a class
// name (exact match first, then case-insensitive). logits (N, C). Throws ValueError for an
// index out of range or an unknown name.
std::vector<int64_t> resolve_classes(const std::string& spec, const std::vector<std::string>& class_names,
                                     const Tensor& logits);

// The k highest classes of one row of logits (C values), highest first; ties keep the lower
// class index.
std::vector<int64_t> top_classes(const std::vector<double>& logits, int64_t k);

}  // namespace igcam::cam
