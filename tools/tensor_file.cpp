#include "tools/tensor_file.h"

#include <cstring>
#include <fstream>

#include "core/error.h"
#include "core/io/npy.h"
#include "models/hdf5_file.h"
#include "models/zip_archive.h"
#include "tools/number_text.h"

namespace igcam::tools {
namespace {

// The attributes an audit shows or compares, where present.
const char* const kRootAttributes[] = {"layer", "reference", "igcam_version", "dtype"};
const char* const kGroupAttributes[] = {"class"};

void read_attribute(const h5::File& file, const std::string& object, const std::string& name,
                    const std::string& key, TensorFile& out) {
    if (!file.has_attribute(object, name)) return;
    try {
        out.attributes[key] = file.string_attribute(object, name);
        return;
    } catch (const FormatError&) {
        // not a string: a number, below
    }
    try {
        const std::vector<double> values = file.number_attribute(object, name);
        if (values.size() == 1) out.attributes[key] = number_text(values[0], "%.17g");
    } catch (const FormatError&) {
        // neither: nothing an audit compares
    }
}

void read_group(const h5::File& file, const std::string& group, TensorFile& out, int depth) {
    // Dumps nest three levels ("/cat/igcam/t"); a deeper file is walked as far as this bound
    // so that a hostile one cannot recurse without end (h5::File follows hard links only).
    IGCAM_CHECK(depth < 32, FormatError, file.path(), ": groups nested deeper than 32 levels");
    for (const h5::Entry& entry : file.list(group)) {
        const std::string path = (group == "/" ? "/" : group + "/") + entry.name;
        const std::string name = path.substr(1);
        if (entry.kind == h5::LinkKind::Group) {
            for (const char* attribute : kGroupAttributes) read_attribute(file, path, attribute, name + "/" + attribute, out);
            read_group(file, path, out, depth + 1);
        } else if (entry.kind == h5::LinkKind::Dataset) {
            const h5::DatasetInfo info = file.dataset_info(path);
            if (!info.is_float || !info.unavailable_filter.empty()) {
                out.skipped.push_back(name + " (" + (info.unavailable_filter.empty() ? info.type_name
                                                     : "filter " + info.unavailable_filter) + ")");
                continue;
            }
            out.arrays[name] = StoredArray{info.type_name, file.read_floats(path, DType::F64)};
        }
    }
}

TensorFile read_hdf5(const std::string& path) {
    TensorFile out;
    out.path = path;
    out.format = "HDF5";
    const h5::File file(path);
    for (const char* attribute : kRootAttributes) read_attribute(file, "/", attribute, attribute, out);
    read_group(file, "/", out, 0);
    return out;
}

TensorFile read_npz(const std::string& path) {
    TensorFile out;
    out.path = path;
    out.format = "npz";
    const models::ZipArchive archive(path);
    for (const auto& [member, info] : archive.members()) {
        std::string name = member;
        if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0) name.resize(name.size() - 4);
        while (!name.empty() && name.front() == '/') name.erase(0, 1);
        const models::ZipArchive::Bytes bytes = archive.bytes(member);
        const std::string label = path + ": " + member;
        const std::string descr = io::npy_descr(label, bytes.data, bytes.size);
        if (descr != "<f4" && descr != "<f8") {
            out.skipped.push_back(name + " (" + descr + ")");
            continue;
        }
        const Tensor t = io::read_npy(label, bytes.data, bytes.size);
        out.arrays[name] = StoredArray{t.dtype() == DType::F32 ? "float32" : "float64", t.to(DType::F64)};
    }
    // A .npz has no attributes; the reference scripts write theirs into the archive's comment
    // as "key=value; key=value".
    const std::string comment = archive.comment();
    std::size_t start = 0;
    while (start < comment.size()) {
        std::size_t end = comment.find("; ", start);
        if (end == std::string::npos) end = comment.size();
        const std::string pair = comment.substr(start, end - start);
        const std::size_t equals = pair.find('=');
        if (equals != std::string::npos && equals > 0) out.attributes[pair.substr(0, equals)] = pair.substr(equals + 1);
        start = end + 2;
    }
    return out;
}

}  // namespace

TensorFile read_tensor_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    IGCAM_CHECK(in.good(), IoError, path, ": cannot open for reading");
    char signature[8] = {};
    in.read(signature, sizeof signature);
    if (in.gcount() == 8 && std::memcmp(signature, "\x89HDF\r\n\x1a\n", 8) == 0) return read_hdf5(path);
    if (in.gcount() >= 4 && std::memcmp(signature, "PK\x03\x04", 4) == 0) return read_npz(path);
    detail::throw_error<FormatError>(path, ": neither an HDF5 file nor an .npz archive");
}

}  // namespace igcam::tools
