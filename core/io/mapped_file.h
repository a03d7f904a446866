// A file mapped read-only into memory (untrusted weight files: safetensors, the stored
// members of .keras archives), so that large weights are read in place, page by page.
#pragma once

#include <cstddef>
#include <string>

namespace igcam::io {

class MappedFile {
public:
    // Maps `path` whole. IoError when it cannot be opened, is not a regular file, or cannot
    // be mapped. An empty file maps to no bytes (data() is null).
    explicit MappedFile(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const unsigned char* data() const { return data_; }
    std::size_t size() const { return size_; }

private:
    const unsigned char* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace igcam::io
