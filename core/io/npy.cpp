#include "core/io/npy.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "core/error.h"
#include "core/io/mapped_file.h"
#include "core/io/staged_file.h"
#include "core/ops.h"

namespace igcam::io {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicSize = 6;
// Refuse absurd headers and shapes before allocating anything.
constexpr std::size_t kMaxHeader = 1 << 16;
constexpr int kMaxRank = 8;

std::string header_text(const Tensor& t) {
    std::string shape = "(";
    for (int d = 0; d < t.rank(); ++d) shape += std::to_string(t.dim(d)) + (t.rank() == 1 ? ",)" : d + 1 < t.rank() ? ", " : ")");
    if (t.rank() == 0) shape = "()";
    std::string header = std::string("{'descr': '") + (t.dtype() == DType::F32 ? "<f4" : "<f8") +
                         "', 'fortran_order': False, 'shape': " + shape + ", }";
    // Pad with spaces so that magic + version + length + header is a multiple of 64.
    const std::size_t unpadded = kMagicSize + 2 + 2 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    return header + "\n";
}

// The value text after `'key':` in a header dict, up to the next top-level comma.
std::string field(const std::string& header, const std::string& key, const std::string& path) {
    const std::size_t at = header.find("'" + key + "'");
    IGCAM_CHECK(at != std::string::npos, FormatError, path, ": .npy header has no '", key, "' field");
    std::size_t start = header.find(':', at);
    IGCAM_CHECK(start != std::string::npos, FormatError, path, ": malformed .npy header");
    ++start;
    int depth = 0;
    std::size_t end = start;
    for (; end < header.size(); ++end) {
        const char c = header[end];
        if (c == '(') ++depth;
        if (c == ')') --depth;
        if ((c == ',' || c == '}') && depth == 0) break;
    }
    std::string value = header.substr(start, end - start);
    const std::size_t first = value.find_first_not_of(" ");
    const std::size_t last = value.find_last_not_of(" ");
    return first == std::string::npos ? "" : value.substr(first, last - first + 1);
}

std::vector<int64_t> parse_shape(const std::string& text, const std::string& path) {
    IGCAM_CHECK(text.size() >= 2 && text.front() == '(' && text.back() == ')', FormatError, path,
                ": malformed .npy shape ", text);
    std::vector<int64_t> dims;
    std::size_t i = 1;
    while (i + 1 < text.size()) {
        while (i + 1 < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
        if (i + 1 >= text.size()) break;
        int64_t value = 0;
        std::size_t digits = 0;
        while (i + 1 < text.size() && text[i] >= '0' && text[i] <= '9') {
            IGCAM_CHECK(value < (int64_t{1} << 40), FormatError, path, ": .npy dimension too large in ", text);
            value = value * 10 + (text[i] - '0');
            ++i;
            ++digits;
        }
        IGCAM_CHECK(digits > 0, FormatError, path, ": malformed .npy shape ", text);
        dims.push_back(value);
        IGCAM_CHECK(static_cast<int>(dims.size()) <= kMaxRank, FormatError, path, ": .npy rank above ", kMaxRank);
    }
    return dims;
}

}  // namespace

void write_npy(const StagedFile& file, const Tensor& t) {
    const std::string& path = file.path();
    IGCAM_CHECK(t.defined(), ValueError, "write_npy: ", path, ": tensor is undefined");
    // The plain host copy of a GPU or channel-blocked tensor (views are contiguous).
    const Tensor host = ops::to_plain(t.to(Device::cpu()));
    const std::string header = header_text(host);
    std::ofstream out(file.temporary(), std::ios::binary | std::ios::trunc);
    IGCAM_CHECK(out.good(), IoError, path, ": cannot open for writing");
    const bool v2 = header.size() > 65535;
    out.write(kMagic, kMagicSize);
    const char version[2] = {static_cast<char>(v2 ? 2 : 1), 0};
    out.write(version, 2);
    const uint32_t length = static_cast<uint32_t>(header.size());
    const unsigned char bytes[4] = {static_cast<unsigned char>(length & 0xff),
                                    static_cast<unsigned char>((length >> 8) & 0xff),
                                    static_cast<unsigned char>((length >> 16) & 0xff),
                                    static_cast<unsigned char>((length >> 24) & 0xff)};
    out.write(reinterpret_cast<const char*>(bytes), v2 ? 4 : 2);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(static_cast<const char*>(host.raw_data()), static_cast<std::streamsize>(host.bytes()));
    out.close();
    IGCAM_CHECK(out.good(), IoError, path, ": write failed");
}

void write_npy(const std::string& path, const Tensor& t) {
    StagedFile file(path);
    write_npy(file, t);
    file.commit();
}

namespace {

struct Header {
    std::string text;         // the header dict
    std::size_t data_offset;  // where the array's bytes start
};

Header parse_header(const std::string& label, const unsigned char* bytes, std::size_t size) {
    IGCAM_CHECK(size >= kMagicSize + 2 && std::memcmp(bytes, kMagic, kMagicSize) == 0, FormatError, label,
                ": not a .npy file (bad magic)");
    const int major = bytes[kMagicSize];
    IGCAM_CHECK(major == 1 || major == 2 || major == 3, FormatError, label, ": unsupported .npy version ", major);
    const std::size_t length_size = major == 1 ? 2 : 4;
    std::size_t at = kMagicSize + 2;
    IGCAM_CHECK(size >= at + length_size, FormatError, label, ": truncated .npy header");
    std::size_t header_length = bytes[at] | (static_cast<std::size_t>(bytes[at + 1]) << 8);
    if (major != 1) header_length |= (static_cast<std::size_t>(bytes[at + 2]) << 16) | (static_cast<std::size_t>(bytes[at + 3]) << 24);
    at += length_size;
    IGCAM_CHECK(header_length <= kMaxHeader, FormatError, label, ": .npy header length ", header_length,
                " is invalid");
    IGCAM_CHECK(size - at >= header_length, FormatError, label, ": truncated .npy header");
    return Header{std::string(reinterpret_cast<const char*>(bytes + at), header_length), at + header_length};
}

}  // namespace

std::string npy_descr(const std::string& label, const void* data, std::size_t size) {
    const Header h = parse_header(label, static_cast<const unsigned char*>(data), size);
    std::string descr = field(h.text, "descr", label);
    if (descr.size() >= 2 && (descr.front() == '\'' || descr.front() == '"')) descr = descr.substr(1, descr.size() - 2);
    return descr;
}

Tensor read_npy(const std::string& label, const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    const Header h = parse_header(label, bytes, size);
    const std::string& header = h.text;
    const std::size_t at = h.data_offset;

    const std::string descr = field(header, "descr", label);
    DType dtype;
    if (descr == "'<f4'") dtype = DType::F32;
    else if (descr == "'<f8'") dtype = DType::F64;
    else detail::throw_error<FormatError>(label, ": unsupported .npy dtype ", descr, " (expected '<f4' or '<f8')");
    IGCAM_CHECK(field(header, "fortran_order", label) == "False", FormatError, label,
                ": Fortran-ordered .npy arrays are not supported");
    const std::vector<int64_t> dims = parse_shape(field(header, "shape", label), label);
    // Bound the element count by the data's size before multiplying further (no overflow,
    // and no allocation from a declared shape the bytes cannot fill).
    const auto data_size = static_cast<int64_t>(size - at);
    int64_t elements = 1;
    for (int64_t d : dims) {
        elements *= d;
        IGCAM_CHECK(elements <= data_size, FormatError, label, ": .npy shape is larger than the file");
    }
    const Shape shape(dims);
    const int64_t expected = shape.numel() * static_cast<int64_t>(dtype_size(dtype));
    IGCAM_CHECK(data_size == expected, FormatError, label, ": .npy data holds ", data_size, " bytes but shape ",
                shape.to_string(), " needs ", expected);
    Tensor t = Tensor::empty(shape, dtype);
    if (expected > 0) std::memcpy(t.mutable_raw_data(), bytes + at, static_cast<std::size_t>(expected));
    return t;
}

Tensor read_npy(const std::string& path) {
    const MappedFile file(path);
    return read_npy(path, file.data(), file.size());
}

}  // namespace igcam::io
