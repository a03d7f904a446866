// The named tensors of a dump or a reference file, read whole for igcam-audit: an HDF5 file
// (igcam-run --dump, tools/reference_torch.py, tools/reference_keras.py, or any h5py file)
// or a NumPy .npz archive. A tensor's name is its path without the leading slash
// ("cat/maps/gradcam"; an .npz key without ".npy"). An .npz's attributes are read from its
// comment, "key=value; key=value" (as the reference scripts write them).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace igcam::tools {

struct StoredArray {
    std::string dtype;  // as stored: "float32", "float64"
    Tensor values;      // float64, the stored shape
};

struct TensorFile {
    std::string path;
    std::string format;                              // "HDF5" or "npz"
    std::map<std::string, StoredArray> arrays;       // by name
    std::map<std::string, std::string> attributes;   // "layer", "reference", "cat/class", ... as text
    std::vector<std::string> skipped;                // "name (int64)": arrays that hold no floats
};

// Reads every float32/float64 array of `path`, chosen by its signature (HDF5 or zip).
// IoError when it cannot be read, FormatError (naming the file) when it is neither or malformed.
TensorFile read_tensor_file(const std::string& path);

}  // namespace igcam::tools
