// Hugging Face's safetensors format, memory-mapped: an 8-byte little-endian header length
// n, n bytes of JSON ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
// optional "__metadata__": {string: string}}), then the tensors' raw little-endian bytes,
// offsets relative to the end of the header.
//
// Checked before any tensor is read, each failure a FormatError naming the file: n at most
// 100 MB and inside the file; the header valid JSON, an object, no name twice; each entry
// exactly dtype, shape and data_offsets, with a known dtype, a shape of non-negative
// integers and end - begin = numel * dtype size; the ranges, sorted by offset, start at 0,
// touch without gaps or overlaps and end exactly at the end of the file. F32, F64, F16 and
// BF16 tensors are readable (converted to the run's dtype); integer num_batches_tracked
// counters are left out of the catalogue; any other dtype is refused when a parameter needs it.
#pragma once

#include <cstddef>

#include "core/io/mapped_file.h"
#include "models/stored_tensors.h"

namespace igcam::models {

class SafetensorsFile final : public TensorSource {
public:
    static constexpr uint64_t kMaxHeaderBytes = 100'000'000;

    explicit SafetensorsFile(const std::string& path);  // IoError / FormatError
    ~SafetensorsFile() override;
    SafetensorsFile(const SafetensorsFile&) = delete;
    SafetensorsFile& operator=(const SafetensorsFile&) = delete;

    const std::string& path() const override { return path_; }
    std::string where(const std::string& key) const override { return key; }
    const std::map<std::string, StoredTensor>& tensors() const override { return catalogue_; }
    std::string readable_types() const override { return "F32, F64, F16 or BF16"; }
    Tensor read(const std::string& key, DType dtype) const override;

private:
    struct Located {
        ElementType type;
        std::size_t begin;  // from the start of the data section
    };
    std::string path_;
    io::MappedFile file_;
    const unsigned char* map_ = nullptr;  // file_'s bytes
    std::size_t size_ = 0;
    std::size_t data_start_ = 0;
    std::map<std::string, StoredTensor> catalogue_;
    std::map<std::string, Located> located_;  // the readable tensors of the catalogue
};

}  // namespace igcam::models
