// Tensors to numpy arrays and numpy arrays to tensors and images.
#pragma once

#include <cstddef>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include "core/io/image.h"
#include "core/tensor.h"

namespace igcam::python {

namespace nb = nanobind;

// A numpy array of t's values with `shape` (t's numel): a view of t's storage, kept alive by
// the array, with no copy when t is plain and on the CPU (else one copy there first).
nb::object to_numpy(const Tensor& t, const std::vector<std::size_t>& shape);
nb::object to_numpy(const Tensor& t);  // in t's own shape

// A new numpy array holding `values` (copied).
nb::object int_array(const std::vector<int64_t>& values);
nb::object float_array(const std::vector<double>& values);

// An RGB image as a (H, W, 3) uint8 array (copied out of the image, which may be a temporary).
nb::object image_to_numpy(io::Image image);

using PixelArray = nb::ndarray<const uint8_t, nb::ndim<3>, nb::c_contig, nb::device::cpu>;
using FloatArray = nb::ndarray<nb::ndim<4>, nb::c_contig, nb::device::cpu>;
using MapArray = nb::ndarray<const double, nb::ndim<2>, nb::c_contig, nb::device::cpu>;  // (h, w)

// (H, W, 3) uint8 -> an RGB image (copied). Throws ShapeError for another channel count.
io::Image image_from_numpy(const PixelArray& pixels, const std::string& what);
// (N, 3, H, W) float32 / float64 -> a tensor of `dtype` on the CPU (one copy, converted when
// the dtypes differ). Throws DTypeError for another element type.
Tensor tensor_from_numpy(const FloatArray& array, DType dtype);

}  // namespace igcam::python
