// Class names as datasets write them, to the model's class indices.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace igcam::eval {

// The index of `name` among the model's class names (exact first, then ignoring case), or
// through `synsets` (WordNet ids, position = class index) when given; nullopt if none.
std::optional<int64_t> find_class(const std::string& name, const std::vector<std::string>& class_names,
                                  const std::vector<std::string>& synsets);

}  // namespace igcam::eval
