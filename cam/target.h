// Target selection: which class score y^c (the pre-softmax logit) each image's
// explanation follows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace igcam::cam {

// Which class each image's explanation follows: its own top-1, or one class for all.
struct Target {
    int64_t class_index = -1;  // -1: each image's top-1

    // spec "" -> top-1; a number -> that class index; otherwise a class name (exact match
    // first, then case-insensitive). Throws ValueError for an index out of range or an
    // unknown name, before any image is seen.
    static Target parse(const std::string& spec, const std::vector<std::string>& class_names);
    // One class per row of logits (N, C); the first of equal top logits wins.
    std::vector<int64_t> choose(const Tensor& logits) const;
};

// Target::parse(spec, class_names).choose(logits), after checking that logits (N, C) has a
// column per class name.
std::vector<int64_t> resolve_classes(const std::string& spec, const std::vector<std::string>& class_names,
                                     const Tensor& logits);

// The k highest classes of one row of logits (C values), highest first; ties keep the lower
// class index.
std::vector<int64_t> top_classes(const std::vector<double>& logits, int64_t k);

}  // namespace igcam::cam
