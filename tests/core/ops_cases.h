// Helpers shared by the hand-computed op tests (tests/core/test_ops_*.cpp): small CPU
// tensors and the tolerance for results that involve exp/log or a division by 3.
#pragma once

#include <initializer_list>
#include <vector>

#include "core/op_params.h"
#include "core/tensor.h"

namespace igcam::test {

inline constexpr DType kBothDTypes[] = {DType::F32, DType::F64};

// A CPU tensor with the given row-major values.
inline Tensor make(const Shape& shape, std::initializer_list<double> values, DType dtype = DType::F64) {
    return Tensor::from_values(shape, values, dtype);
}

// 0, 1, 2, ... (row-major), or start, start + 1, ... .
inline Tensor iota(const Shape& shape, double start = 0.0, DType dtype = DType::F64) {
    std::vector<double> values(static_cast<std::size_t>(shape.numel()));
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = start + static_cast<double>(i);
    return Tensor::from_values(shape, values, dtype);
}

// Tolerance for results that involve exp/log or a division by 3: exact types get a loose
// f32 bound or a tight f64 one.
inline double tol(DType dtype) { return dtype == DType::F32 ? 1e-6 : 1e-12; }

inline Conv2dParams conv_params(int64_t stride_h, int64_t stride_w, Padding2d pad = {}) {
    Conv2dParams p;
    p.stride_h = stride_h;
    p.stride_w = stride_w;
    p.pad = pad;
    return p;
}

}  // namespace igcam::test
