// The tensors of a weight file, as every weight format presents them to the loader: a
// catalogue of names, shapes and stored element types read before any data, and a read
// that converts one tensor to the run's dtype. HDF5 state dicts, safetensors files and
// torch.save archives each implement it; models/state_dict.h checks a catalogue against
// an architecture and reads the parameters, the same way for all of them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace igcam::models {

struct StoredTensor {
    std::vector<int64_t> dims;  // empty for a scalar
    bool scalar = false;
    std::string type_name;      // as the format names it: "float32", "F16", "BFloat16Storage", ...
    bool readable = false;      // a floating type this format converts to float32/float64
    std::string refusal;        // non-empty: why it cannot be read even so (a filter, ...)
};

class TensorSource {
public:
    virtual ~TensorSource() = default;
    virtual const std::string& path() const = 0;
    // How messages name a tensor: "/state_dict/conv1.weight" in HDF5, "conv1.weight" elsewhere.
    virtual std::string where(const std::string& key) const = 0;
    // Every tensor the loader must account for, by torch key; PyTorch's integer
    // num_batches_tracked counters are left out.
    virtual const std::map<std::string, StoredTensor>& tensors() const = 0;
    // "float32 or float64", "F32, F64, F16 or BF16": what `readable` accepts, for messages.
    virtual std::string readable_types() const = 0;
    // The tensor `key` of the catalogue in `dtype`, shape as catalogued.
    virtual Tensor read(const std::string& key, DType dtype) const = 0;
};

// True for PyTorch's BatchNorm step counter key ("...num_batches_tracked"), which is not a weight.
bool is_step_counter_key(const std::string& key);

// Element types stored by the binary formats, little-endian.
enum class ElementType { F16, BF16, F32, F64 };
std::size_t element_size(ElementType type);

// A tensor of `dims` in `dtype` from elements stored at `base`: element i (in row-major
// order of `dims`) is read at base + (offset + sum_k index_k * strides[k]) * element_size.
// `strides` empty means row-major (contiguous) order, which is also read straight through
// when given. The caller has checked every index lies inside the stored bytes.
Tensor decode_elements(const unsigned char* base, ElementType type, const std::vector<int64_t>& dims,
                       const std::vector<int64_t>& strides, int64_t offset, DType dtype);

}  // namespace igcam::models
