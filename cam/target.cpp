#include "cam/target.h"

#include <algorithm>
#include <cctype>
#include <numeric>

#include "core/error.h"

namespace igcam::cam {

namespace {
std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

bool all_digits(const std::string& s) {
    return !s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

int64_t class_by_name(const std::string& spec, const std::vector<std::string>& names) {
    auto exact = std::find(names.begin(), names.end(), spec);
    if (exact != names.end()) return exact - names.begin();
    const std::string wanted = lower(spec);
    for (std::size_t i = 0; i < names.size(); ++i)
        if (lower(names[i]) == wanted) return static_cast<int64_t>(i);
    std::string examples;
    for (std::size_t i = 0; i < std::min<std::size_t>(names.size(), 5); ++i) examples += (i ? ", " : "") + names[i];
    detail::throw_error<ValueError>("unknown class '", spec, "': not a class index (0..", names.size() - 1,
                                    ") nor one of the model's class names (", examples,
                                    names.size() > 5 ? ", ..." : "", ")");
}
}  // namespace

Target Target::parse(const std::string& spec, const std::vector<std::string>& class_names) {
    if (spec.empty()) return Target{};
    if (all_digits(spec)) {
        const int64_t index = std::stoll(spec);
        IGCAM_CHECK(index < static_cast<int64_t>(class_names.size()), ValueError, "class ", index,
                    " is out of range (the model has ", class_names.size(), " classes)");
        return Target{index};
    }
    return Target{class_by_name(spec, class_names)};
}

std::vector<int64_t> Target::choose(const Tensor& logits) const {
    IGCAM_CHECK(logits.rank() == 2, ShapeError, "Target::choose: logits must be (N, C), got ", logits.shape().to_string());
    const int64_t images = logits.dim(0), classes = logits.dim(1);
    if (class_index >= 0) return std::vector<int64_t>(static_cast<std::size_t>(images), class_index);
    const std::vector<double> v = logits.to_vector();
    std::vector<int64_t> top(static_cast<std::size_t>(images), 0);
    for (int64_t n = 0; n < images; ++n)
        for (int64_t c = 1; c < classes; ++c)
            if (v[n * classes + c] > v[n * classes + top[n]]) top[n] = c;
    return top;
}

std::vector<int64_t> resolve_classes(const std::string& spec, const std::vector<std::string>& class_names,
                                     const Tensor& logits) {
    IGCAM_CHECK(logits.rank() == 2 && logits.dim(1) == static_cast<int64_t>(class_names.size()), ShapeError,
                "resolve_classes: logits ", logits.shape().to_string(), " do not match ", class_names.size(),
                " class names");
    return Target::parse(spec, class_names).choose(logits);
}

std::vector<int64_t> top_classes(const std::vector<double>& logits, int64_t k) {
    std::vector<int64_t> order(logits.size());
    std::iota(order.begin(), order.end(), 0);
    const auto n = static_cast<std::ptrdiff_t>(std::clamp<int64_t>(k, 0, static_cast<int64_t>(order.size())));
    std::partial_sort(order.begin(), order.begin() + n, order.end(), [&](int64_t a, int64_t b) {
        return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    });
    order.resize(static_cast<std::size_t>(n));
    return order;
}

}  // namespace igcam::cam
