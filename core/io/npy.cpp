#include "core/io/npy.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "core/error.h"
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

Tensor read_npy(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    IGCAM_CHECK(in.good(), IoError, path, ": cannot open for reading");
    const int64_t file_size = static_cast<int64_t>(in.tellg());
    in.seekg(0);
    char prefix[kMagicSize + 2] = {};
    in.read(prefix, sizeof prefix);
    IGCAM_CHECK(in.good() && std::memcmp(prefix, kMagic, kMagicSize) == 0, FormatError, path,
                ": not a .npy file (bad magic)");
    const int major = static_cast<unsigned char>(prefix[kMagicSize]);
    IGCAM_CHECK(major == 1 || major == 2 || major == 3, FormatError, path, ": unsupported .npy version ", major);
    unsigned char length_bytes[4] = {};
    in.read(reinterpret_cast<char*>(length_bytes), major == 1 ? 2 : 4);
    std::size_t header_length = length_bytes[0] | (length_bytes[1] << 8);
    if (major != 1) header_length |= (static_cast<std::size_t>(length_bytes[2]) << 16) | (static_cast<std::size_t>(length_bytes[3]) << 24);
    IGCAM_CHECK(in.good() && header_length <= kMaxHeader, FormatError, path, ": .npy header length ",
                header_length, " is invalid");
    std::string header(header_length, '\0');
    in.read(header.data(), static_cast<std::streamsize>(header_length));
    IGCAM_CHECK(in.good(), FormatError, path, ": truncated .npy header");

    const std::string descr = field(header, "descr", path);
    DType dtype;
    if (descr == "'<f4'") dtype = DType::F32;
    else if (descr == "'<f8'") dtype = DType::F64;
    else detail::throw_error<FormatError>(path, ": unsupported .npy dtype ", descr, " (expected '<f4' or '<f8')");
    IGCAM_CHECK(field(header, "fortran_order", path) == "False", FormatError, path,
                ": Fortran-ordered .npy arrays are not supported");
    const std::vector<int64_t> dims = parse_shape(field(header, "shape", path), path);
    // Bound the element count by the file size before multiplying further (no overflow).
    int64_t elements = 1;
    for (int64_t d : dims) {
        elements *= d;
        IGCAM_CHECK(elements <= file_size, FormatError, path, ": .npy shape is larger than the file");
    }
    const Shape shape(dims);

    const int64_t data_offset = static_cast<int64_t>(in.tellg());
    const int64_t expected = shape.numel() * static_cast<int64_t>(dtype_size(dtype));
    IGCAM_CHECK(file_size - data_offset == expected, FormatError, path, ": .npy data holds ",
                file_size - data_offset, " bytes but shape ", shape.to_string(), " needs ", expected);
    Tensor t = Tensor::empty(shape, dtype);
    in.read(static_cast<char*>(t.mutable_raw_data()), static_cast<std::streamsize>(expected));
    IGCAM_CHECK(in.good() || expected == 0, IoError, path, ": read failed");
    return t;
}

}  // namespace igcam::io
