// Element types a Tensor can hold. f32 is the working type; f64 exists for audits and
// gradient checks on the CPU.
#pragma once

#include <cstddef>
#include <string>

namespace igcam {

enum class DType { F32, F64 };

inline std::size_t dtype_size(DType dtype) { return dtype == DType::F32 ? 4 : 8; }
inline std::string dtype_name(DType dtype) { return dtype == DType::F32 ? "f32" : "f64"; }

template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() { return DType::F32; }
template <>
constexpr DType dtype_of<double>() { return DType::F64; }

// Parses "f32"/"float32" and "f64"/"float64"; throws ValueError otherwise.
DType parse_dtype(const std::string& text);

}  // namespace igcam
