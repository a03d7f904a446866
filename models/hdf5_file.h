// A read-only, defensive view of an HDF5 file through the HDF5 C API (Debian's 1.10.8).
// It follows hard links only, checks a dataset's class, size, shape and filters before
// reading it, and reads attributes only when asked. Nothing in the file is ever
// interpreted as code. Every failure is a FormatError (or IoError) naming the file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/io/staged_file.h"
#include "core/tensor.h"

namespace igcam::h5 {

// "HDF5 1.10.8", for reports.
std::string hdf5_version();

enum class LinkKind { Group, Dataset, SoftLink, ExternalLink, Other };

struct Entry {
    std::string name;
    LinkKind kind;
};

struct DatasetInfo {
    std::vector<int64_t> dims;  // empty for a scalar dataset
    bool scalar = false;
    std::string type_name;      // "float32", "float64", "float16", "int64", "string", ...
    bool is_float = false;      // float32 or float64 (any byte order)
    bool is_integer = false;
    std::string unavailable_filter;  // non-empty when a filter cannot be decoded here
};

class File {
public:
    // Opens `path` read-only. IoError when it cannot be read; FormatError for an empty file,
    // a file that is not HDF5, or a truncated/corrupt one.
    explicit File(const std::string& path);
    // An HDF5 file image of `size` bytes at `image` (a .keras archive's model.weights.h5, in
    // memory or in a mapping of the archive), read by HDF5 in place: no copy, nothing written
    // to disk. `owner` keeps the bytes alive while the File lives; `label` names it in every
    // message. FormatError for an empty image, one without the HDF5 signature, or a
    // truncated/corrupt one.
    File(const std::string& label, const void* image, std::size_t size, std::shared_ptr<const void> owner);
    ~File();
    File(const File&) = delete;
    File& operator=(const File&) = delete;

    const std::string& path() const { return path_; }

    // The links inside `group` ("/" or "/state_dict"), sorted by name.
    std::vector<Entry> list(const std::string& group) const;
    // What `path` is, following hard links only; nullopt-like Other when absent.
    bool is_group(const std::string& path) const;
    bool is_dataset(const std::string& path) const;

    bool has_attribute(const std::string& object, const std::string& name) const;
    // A string attribute (fixed-length NUL-padded/terminated or variable-length, ASCII or
    // UTF-8; a one-element array counts as a string).
    std::string string_attribute(const std::string& object, const std::string& name) const;
    // A list of strings; an empty numeric attribute of shape (0,) is an empty list (h5py's
    // way of writing []).
    std::vector<std::string> string_list_attribute(const std::string& object, const std::string& name) const;
    // Integer or float attribute values, scalar or 1-D (at most 4096 values).
    std::vector<double> number_attribute(const std::string& object, const std::string& name) const;

    DatasetInfo dataset_info(const std::string& path) const;
    // Reads a float32/float64 dataset (check dataset_info first) converted to `dtype`.
    Tensor read_floats(const std::string& path, DType dtype) const;
    // Reads a 1-D dataset of strings.
    std::vector<std::string> read_strings(const std::string& path) const;

private:
    std::string path_;
    std::shared_ptr<const void> image_;  // what holds an in-memory file's bytes
    int64_t id_ = -1;                    // hid_t
};

}  // namespace igcam::h5

namespace igcam::h5 {

// Writes an HDF5 file for dumps (readable with h5py). The file is staged (core/io/staged_file.h):
// written beside the target and renamed into place by close() (or, for a run's staged file,
// with the run's other files); destroying an unclosed Writer removes it, so a failed run
// leaves no partial file.
class Writer {
public:
    explicit Writer(const std::string& path);
    // Into a run's staged file: close() finishes it and the run commits it with the rest.
    explicit Writer(io::StagedFile& file);
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // A float32/float64 dataset at `path` ("/igcam/steps/activations"); groups on the way
    // are created.
    void write(const std::string& path, const Tensor& t);
    // A fixed-length string attribute on the root.
    void attribute(const std::string& name, const std::string& value);
    // An integer attribute on an object already written (a group: "/cat").
    void attribute(const std::string& object, const std::string& name, int64_t value);
    void close();

private:
    std::optional<io::StagedFile> own_;  // with the path constructor
    io::StagedFile* file_;
    int64_t id_ = -1;
};

}  // namespace igcam::h5
