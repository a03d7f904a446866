#include "core/shape.h"

#include "core/error.h"

namespace igcam {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::vector<int64_t>(dims)) {}

Shape::Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {
    for (int64_t d : dims_) {
        IGCAM_CHECK(d >= 0, ShapeError, "shape ", to_string(), " has a negative dimension");
    }
}

int64_t Shape::operator[](int i) const {
    const int r = rank();
    IGCAM_CHECK(i >= -r && i < r, ShapeError, "dimension ", i, " is out of range for shape ",
                to_string());
    return dims_[static_cast<std::size_t>(i < 0 ? i + r : i)];
}

int64_t Shape::numel() const {
    int64_t n = 1;
    for (int64_t d : dims_) n *= d;
    return n;
}

std::string Shape::to_string() const {
    std::string text = "(";
    for (std::size_t i = 0; i < dims_.size(); ++i) {
        if (i > 0) text += ", ";
        text += std::to_string(dims_[i]);
    }
    return text + ")";
}

}  // namespace igcam
