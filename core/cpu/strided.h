// Row-major odometer over an index space: for every index of `dims` (in order), calls
// body(offset_0, offset_1, ...) where offset_k = sum_d index_d * strides_k[d]. A stride of 0
// repeats an element (broadcast) or folds a dimension (reduction). Header-only so the body
// inlines.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace igcam::cpu {

template <std::size_t Operands, typename Body>
void for_each_offset(const std::vector<int64_t>& dims,
                     const std::array<const std::vector<int64_t>*, Operands>& strides, Body&& body) {
    for (int64_t d : dims)
        if (d == 0) return;
    const int rank = static_cast<int>(dims.size());
    std::vector<int64_t> index(dims.size(), 0);
    std::array<int64_t, Operands> offset{};
    for (;;) {
        body(offset);
        int axis = rank - 1;
        for (; axis >= 0; --axis) {
            ++index[axis];
            for (std::size_t k = 0; k < Operands; ++k) offset[k] += (*strides[k])[axis];
            if (index[axis] < dims[axis]) break;
            for (std::size_t k = 0; k < Operands; ++k) offset[k] -= (*strides[k])[axis] * dims[axis];
            index[axis] = 0;
        }
        if (axis < 0) return;
    }
}

// Contiguous row-major strides of `dims`.
inline std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& dims) {
    std::vector<int64_t> strides(dims.size(), 1);
    for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) strides[i] = strides[i + 1] * dims[i + 1];
    return strides;
}

}  // namespace igcam::cpu
