// Shape: the dimensions of a contiguous row-major tensor (NCHW for images).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace igcam {

class Shape {
public:
    Shape() = default;
    // Throws ShapeError on a negative dimension. Zero is allowed (an empty tensor).
    Shape(std::initializer_list<int64_t> dims);
    explicit Shape(std::vector<int64_t> dims);

    int rank() const { return static_cast<int>(dims_.size()); }
    // Dimension i; negative i counts from the end. Throws ShapeError when out of range.
    int64_t operator[](int i) const;
    int64_t numel() const;
    const std::vector<int64_t>& dims() const { return dims_; }
    // "(2, 3, 4)"; a scalar shape prints "()".
    std::string to_string() const;

    bool operator==(const Shape& other) const = default;

private:
    std::vector<int64_t> dims_;
};

}  // namespace igcam
