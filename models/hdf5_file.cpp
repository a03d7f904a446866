#include "models/hdf5_file.h"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <algorithm>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <utility>

#include "core/error.h"
#include "core/ops.h"

namespace igcam::h5 {

namespace {

constexpr std::size_t kMaxAttributeBytes = std::size_t{16} << 20;
constexpr int kMaxRank = 8;

// Owns one HDF5 identifier and closes it with the matching function.
class Handle {
public:
    using Closer = herr_t (*)(hid_t);
    Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
    ~Handle() {
        if (id_ >= 0) closer_(id_);
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    hid_t get() const { return id_; }
    bool valid() const { return id_ >= 0; }

private:
    hid_t id_;
    Closer closer_;
};

void silence_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// True when every component of `path` is a hard link (no soft or external link on the way).
bool hard_path(hid_t file, const std::string& path) {
    if (path == "/" || path.empty()) return true;
    std::string prefix;
    std::size_t start = path[0] == '/' ? 1 : 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        prefix.push_back('/');
        prefix.append(path, start, end - start);
        H5L_info_t info;
        if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
        if (H5Lget_info(file, prefix.c_str(), &info, H5P_DEFAULT) < 0 || info.type != H5L_TYPE_HARD) return false;
        start = end + 1;
    }
    return true;
}

H5I_type_t object_type(hid_t file, const std::string& path) {
    if (!hard_path(file, path)) return H5I_BADID;
    Handle object(H5Oopen(file, path.c_str(), H5P_DEFAULT), H5Oclose);
    return object.valid() ? H5Iget_type(object.get()) : H5I_BADID;
}

std::string type_name(hid_t type) {
    const H5T_class_t cls = H5Tget_class(type);
    const std::size_t size = H5Tget_size(type);
    switch (cls) {
        case H5T_FLOAT: return "float" + std::to_string(size * 8);
        case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(size * 8);
        case H5T_STRING: return "string";
        case H5T_COMPOUND: return "compound";
        case H5T_ENUM: return "enum";
        case H5T_ARRAY: return "array";
        case H5T_VLEN: return "vlen";
        case H5T_REFERENCE: return "reference";
        case H5T_OPAQUE: return "opaque";
        case H5T_BITFIELD: return "bitfield";
        default: return "unknown";
    }
}

// Reads n strings of the given string type from an attribute or dataset.
template <typename ReadFn>
std::vector<std::string> read_string_values(hid_t file_type, hsize_t n, ReadFn read, hid_t space,
                                            const std::string& where) {
    std::vector<std::string> out;
    if (H5Tis_variable_str(file_type) > 0) {
        Handle memory(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(memory.get(), H5T_VARIABLE);
        H5Tset_cset(memory.get(), H5Tget_cset(file_type));  // ASCII vs UTF-8 must match the file
        std::vector<char*> pointers(n, nullptr);
        IGCAM_CHECK(read(memory.get(), pointers.data()) >= 0, FormatError, where, ": unreadable string value");
        for (char* p : pointers) out.emplace_back(p ? p : "");
        H5Dvlen_reclaim(memory.get(), space, H5P_DEFAULT, pointers.data());
        return out;
    }
    const std::size_t width = H5Tget_size(file_type);
    IGCAM_CHECK(width > 0 && width * n <= kMaxAttributeBytes, FormatError, where, ": string value of ",
                width * n, " bytes is too large");
    Handle memory(H5Tcopy(file_type), H5Tclose);
    std::vector<char> buffer(width * n, '\0');
    IGCAM_CHECK(read(memory.get(), buffer.data()) >= 0, FormatError, where, ": unreadable string value");
    for (hsize_t i = 0; i < n; ++i) {
        const char* item = buffer.data() + i * width;
        out.emplace_back(item, strnlen(item, width));  // NULLPAD strings that fill the width have no NUL
    }
    return out;
}

}  // namespace

std::string hdf5_version() {
    unsigned major = 0, minor = 0, release = 0;
    H5get_libversion(&major, &minor, &release);
    return "HDF5 " + std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

File::File(const std::string& path) : path_(path) {
    silence_errors();
    std::ifstream probe(path, std::ios::binary | std::ios::ate);
    IGCAM_CHECK(probe.good(), IoError, path, ": cannot open for reading");
    IGCAM_CHECK(probe.tellg() > 0, FormatError, path, ": empty file (0 bytes), not an HDF5 file");
    probe.close();
    IGCAM_CHECK(H5Fis_hdf5(path.c_str()) > 0, FormatError, path, ": not an HDF5 file");
    Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5Pset_fclose_degree(access.get(), H5F_CLOSE_STRONG);
    id_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, access.get());
    IGCAM_CHECK(id_ >= 0, FormatError, path, ": truncated or corrupt HDF5 file (the library cannot open it)");
}

namespace {

// HDF5's format signature, at byte 0 or after a user block of 512, 1024, 2048, ... bytes.
bool has_hdf5_signature(const unsigned char* bytes, std::size_t size) {
    static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    for (std::size_t offset = 0; offset + sizeof signature <= size; offset = offset == 0 ? 512 : 2 * offset)
        if (std::memcmp(bytes + offset, signature, sizeof signature) == 0) return true;
    return false;
}

}  // namespace

File::File(const std::string& label, const void* image, std::size_t size, std::shared_ptr<const void> owner)
    : path_(label), image_(std::move(owner)) {
    silence_errors();
    IGCAM_CHECK(size > 0, FormatError, label, ": empty (0 bytes), not an HDF5 file");
    IGCAM_CHECK(has_hdf5_signature(static_cast<const unsigned char*>(image), size), FormatError, label,
                ": not an HDF5 file");
    // Read-only, in place: HDF5 neither copies the bytes nor frees them (image_ does).
    id_ = H5LTopen_file_image(const_cast<void*>(image), size, H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE);
    IGCAM_CHECK(id_ >= 0, FormatError, label, ": truncated or corrupt HDF5 file (the library cannot open it)");
}

File::~File() {
    if (id_ >= 0) H5Fclose(id_);
}

std::vector<Entry> File::list(const std::string& group) const {
    IGCAM_CHECK(is_group(group), FormatError, path_, ": ", group, " is not a group");
    Handle g(H5Gopen2(id_, group.c_str(), H5P_DEFAULT), H5Gclose);
    struct State {
        std::vector<Entry> entries;
        hid_t group;
    } state{{}, g.get()};
    auto callback = [](hid_t group_id, const char* name, const H5L_info_t* info, void* data) -> herr_t {
        auto* s = static_cast<State*>(data);
        LinkKind kind = LinkKind::Other;
        if (info->type == H5L_TYPE_SOFT) kind = LinkKind::SoftLink;
        else if (info->type == H5L_TYPE_EXTERNAL) kind = LinkKind::ExternalLink;
        else if (info->type == H5L_TYPE_HARD) {
            Handle object(H5Oopen(group_id, name, H5P_DEFAULT), H5Oclose);
            const H5I_type_t t = object.valid() ? H5Iget_type(object.get()) : H5I_BADID;
            kind = t == H5I_GROUP ? LinkKind::Group : t == H5I_DATASET ? LinkKind::Dataset : LinkKind::Other;
        }
        s->entries.push_back({name, kind});
        return 0;
    };
    hsize_t index = 0;
    IGCAM_CHECK(H5Literate(g.get(), H5_INDEX_NAME, H5_ITER_INC, &index, callback, &state) >= 0, FormatError, path_,
                ": cannot list ", group, " (corrupt file)");
    std::sort(state.entries.begin(), state.entries.end(),
              [](const Entry& a, const Entry& b) { return a.name < b.name; });
    return state.entries;
}

bool File::is_group(const std::string& path) const { return object_type(id_, path) == H5I_GROUP; }
bool File::is_dataset(const std::string& path) const { return object_type(id_, path) == H5I_DATASET; }

bool File::has_attribute(const std::string& object, const std::string& name) const {
    if (!hard_path(id_, object)) return false;
    return H5Aexists_by_name(id_, object.c_str(), name.c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> File::string_list_attribute(const std::string& object, const std::string& name) const {
    const std::string where = path_ + ": attribute '" + name + "' of " + object;
    IGCAM_CHECK(has_attribute(object, name), FormatError, where, " is missing");
    Handle attribute(H5Aopen_by_name(id_, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    IGCAM_CHECK(attribute.valid(), FormatError, where, " cannot be opened");
    Handle type(H5Aget_type(attribute.get()), H5Tclose);
    Handle space(H5Aget_space(attribute.get()), H5Sclose);
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    IGCAM_CHECK(n >= 0 && static_cast<std::size_t>(n) <= kMaxAttributeBytes, FormatError, where, " has an invalid size");
    if (n == 0) return {};  // h5py writes an empty list as float64 of shape (0,)
    IGCAM_CHECK(H5Tget_class(type.get()) == H5T_STRING, FormatError, where, " holds ", type_name(type.get()),
                ", not strings");
    return read_string_values(
        type.get(), static_cast<hsize_t>(n),
        [&](hid_t memory, void* buffer) { return H5Aread(attribute.get(), memory, buffer); }, space.get(), where);
}

std::string File::string_attribute(const std::string& object, const std::string& name) const {
    const std::vector<std::string> values = string_list_attribute(object, name);
    IGCAM_CHECK(values.size() == 1, FormatError, path_, ": attribute '", name, "' of ", object,
                " must hold one string, found ", values.size());
    return values[0];
}

std::vector<double> File::number_attribute(const std::string& object, const std::string& name) const {
    const std::string where = path_ + ": attribute '" + name + "' of " + object;
    IGCAM_CHECK(has_attribute(object, name), FormatError, where, " is missing");
    Handle attribute(H5Aopen_by_name(id_, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    Handle type(H5Aget_type(attribute.get()), H5Tclose);
    Handle space(H5Aget_space(attribute.get()), H5Sclose);
    const H5T_class_t cls = H5Tget_class(type.get());
    IGCAM_CHECK(cls == H5T_INTEGER || cls == H5T_FLOAT, FormatError, where, " holds ", type_name(type.get()),
                ", expected a number");
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    IGCAM_CHECK(n >= 1 && n <= 4096, FormatError, where, " holds ", n, " values");
    std::vector<double> values(static_cast<std::size_t>(n));
    IGCAM_CHECK(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, values.data()) >= 0, FormatError, where,
                " cannot be read");
    return values;
}

DatasetInfo File::dataset_info(const std::string& path) const {
    IGCAM_CHECK(is_dataset(path), FormatError, path_, ": ", path, " is not a dataset");
    Handle dataset(H5Dopen2(id_, path.c_str(), H5P_DEFAULT), H5Dclose);
    Handle type(H5Dget_type(dataset.get()), H5Tclose);
    Handle space(H5Dget_space(dataset.get()), H5Sclose);
    DatasetInfo info;
    info.type_name = type_name(type.get());
    const H5T_class_t cls = H5Tget_class(type.get());
    const std::size_t size = H5Tget_size(type.get());
    info.is_float = cls == H5T_FLOAT && (size == 4 || size == 8);
    info.is_integer = cls == H5T_INTEGER;
    const H5S_class_t space_class = H5Sget_simple_extent_type(space.get());
    info.scalar = space_class == H5S_SCALAR;
    if (space_class == H5S_SIMPLE) {
        const int rank = H5Sget_simple_extent_ndims(space.get());
        IGCAM_CHECK(rank >= 0 && rank <= kMaxRank, FormatError, path_, ": ", path, " has rank ", rank);
        std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
        H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
        for (hsize_t d : dims) info.dims.push_back(static_cast<int64_t>(d));
    }
    Handle plist(H5Dget_create_plist(dataset.get()), H5Pclose);
    const int filters = H5Pget_nfilters(plist.get());
    for (int i = 0; i < filters; ++i) {
        unsigned flags = 0, config = 0;
        std::size_t count = 0;
        char filter_name[64] = {};
        const H5Z_filter_t filter = H5Pget_filter2(plist.get(), static_cast<unsigned>(i), &flags, &count, nullptr,
                                                   sizeof filter_name, filter_name, &config);
        if (filter < 0 || H5Zfilter_avail(filter) <= 0) {
            info.unavailable_filter = std::string(filter_name[0] ? filter_name : "unknown") + "' (id " +
                                      std::to_string(static_cast<long>(filter)) + ")";
            info.unavailable_filter = "'" + info.unavailable_filter;
            break;
        }
    }
    return info;
}

Tensor File::read_floats(const std::string& path, DType dtype) const {
    const DatasetInfo info = dataset_info(path);
    IGCAM_CHECK(info.is_float, FormatError, path_, ": ", path, " holds ", info.type_name, ", not float32/float64");
    Handle dataset(H5Dopen2(id_, path.c_str(), H5P_DEFAULT), H5Dclose);
    Tensor t = Tensor::empty(Shape(info.dims), dtype);
    const hid_t memory = dtype == DType::F32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
    IGCAM_CHECK(H5Dread(dataset.get(), memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.mutable_raw_data()) >= 0, FormatError,
                path_, ": ", path, " cannot be read (truncated or corrupt data)");
    return t;
}

std::vector<std::string> File::read_strings(const std::string& path) const {
    const std::string where = path_ + ": " + path;
    const DatasetInfo info = dataset_info(path);
    IGCAM_CHECK(info.type_name == "string", FormatError, where, " holds ", info.type_name, ", not strings");
    IGCAM_CHECK(info.dims.size() == 1, FormatError, where, " must be a 1-D list of strings");
    Handle dataset(H5Dopen2(id_, path.c_str(), H5P_DEFAULT), H5Dclose);
    Handle type(H5Dget_type(dataset.get()), H5Tclose);
    Handle space(H5Dget_space(dataset.get()), H5Sclose);
    return read_string_values(
        type.get(), static_cast<hsize_t>(info.dims[0]),
        [&](hid_t memory, void* buffer) { return H5Dread(dataset.get(), memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer); },
        space.get(), where);
}

}  // namespace igcam::h5

namespace igcam::h5 {

Writer::Writer(const std::string& path) : own_(std::in_place, path), file_(&*own_) {
    silence_errors();
    id_ = H5Fcreate(file_->temporary().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    IGCAM_CHECK(id_ >= 0, IoError, path, ": cannot create the HDF5 file");
}

Writer::Writer(io::StagedFile& file) : file_(&file) {
    silence_errors();
    id_ = H5Fcreate(file_->temporary().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    IGCAM_CHECK(id_ >= 0, IoError, file_->path(), ": cannot create the HDF5 file");
}

Writer::~Writer() {
    if (id_ >= 0) H5Fclose(id_);  // then the staged file removes the unfinished temporary
}

void Writer::write(const std::string& path, const Tensor& t) {
    IGCAM_CHECK(id_ >= 0, IoError, file_->path(), ": the file is already closed");
    const Tensor host = ops::to_plain(t.to(Device::cpu()));
    std::vector<hsize_t> dims;
    for (int64_t d : host.shape().dims()) dims.push_back(static_cast<hsize_t>(d));
    Handle space(dims.empty() ? H5Screate(H5S_SCALAR)
                              : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                 H5Sclose);
    Handle links(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    H5Pset_create_intermediate_group(links.get(), 1);
    const hid_t type = host.dtype() == DType::F32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
    const hid_t memory = host.dtype() == DType::F32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
    Handle dataset(H5Dcreate2(id_, path.c_str(), type, space.get(), links.get(), H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    IGCAM_CHECK(dataset.valid(), IoError, file_->path(), ": cannot create dataset ", path);
    IGCAM_CHECK(H5Dwrite(dataset.get(), memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, host.raw_data()) >= 0, IoError,
                file_->path(), ": cannot write dataset ", path);
}

void Writer::attribute(const std::string& name, const std::string& value) {
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), std::max<std::size_t>(value.size(), 1));
    H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    Handle attribute(H5Acreate2(id_, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    IGCAM_CHECK(attribute.valid() && H5Awrite(attribute.get(), type.get(), value.c_str()) >= 0, IoError,
                file_->path(), ": cannot write attribute ", name);
}

void Writer::attribute(const std::string& object, const std::string& name, int64_t value) {
    IGCAM_CHECK(id_ >= 0, IoError, file_->path(), ": the file is already closed");
    Handle target(H5Oopen(id_, object.c_str(), H5P_DEFAULT), H5Oclose);
    IGCAM_CHECK(target.valid(), IoError, file_->path(), ": no object ", object, " to hold attribute ", name);
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    Handle attribute(H5Acreate2(target.get(), name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                     H5Aclose);
    IGCAM_CHECK(attribute.valid() && H5Awrite(attribute.get(), H5T_NATIVE_INT64, &value) >= 0, IoError,
                file_->path(), ": cannot write attribute ", name, " of ", object);
}

void Writer::close() {
    if (id_ < 0) return;
    const herr_t closed = H5Fclose(id_);
    id_ = -1;
    IGCAM_CHECK(closed >= 0, IoError, file_->path(), ": cannot finish writing the file");
    if (own_) own_->commit();
}

}  // namespace igcam::h5
