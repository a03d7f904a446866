#include "eval/class_lookup.h"

#include <algorithm>
#include <cctype>

namespace igcam::eval {

namespace {
bool equal_ignoring_case(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}
}  // namespace

std::optional<int64_t> find_class(const std::string& name, const std::vector<std::string>& class_names,
                                  const std::vector<std::string>& synsets) {
    const std::vector<std::string>& names = synsets.empty() ? class_names : synsets;
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return static_cast<int64_t>(i);
    for (std::size_t i = 0; i < names.size(); ++i)
        if (equal_ignoring_case(names[i], name)) return static_cast<int64_t>(i);
    return std::nullopt;
}

}  // namespace igcam::eval
