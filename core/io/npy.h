// NumPy .npy files (format version 1.0/2.0, little-endian, C order) for float32 and float64
// tensors: raw CAM maps, tensor dumps and reference fixtures.
#pragma once

#include <cstddef>
#include <string>

#include "core/io/staged_file.h"
#include "core/tensor.h"

namespace igcam::io {

// Writes t (f32 -> '<f4', f64 -> '<f8') to path. The file appears whole or not at all:
// it is written beside the target and renamed into place. Throws IoError on failure.
void write_npy(const std::string& path, const Tensor& t);
// The same into `file`'s temporary (a run's staged file: the caller commits).
void write_npy(const StagedFile& file, const Tensor& t);

// Reads a '<f4' or '<f8' C-order array. Throws IoError when the file cannot be read and
// FormatError (naming the file) when it is not a well-formed .npy of a supported dtype, or
// when its size does not match its header.
Tensor read_npy(const std::string& path);
// The same from `size` bytes at `data` (an .npz member), `label` naming it in messages.
Tensor read_npy(const std::string& label, const void* data, std::size_t size);
// The dtype a .npy header declares ("<f8", "<i8", "<U5", ...), the header alone parsed;
// FormatError as read_npy for a malformed one.
std::string npy_descr(const std::string& label, const void* data, std::size_t size);

}  // namespace igcam::io
