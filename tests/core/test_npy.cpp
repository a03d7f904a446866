// .npy files: byte layout as numpy writes it, round trips, and malformed files refused with
// a message naming the file.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "core/io/npy.h"
#include "core/random.h"
#include "tests/test_util.h"

using namespace igcam;

namespace {
std::string temp_path(const std::string& name) { return "/tmp/igcam_test_npy_" + name; }

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_all(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A v1.0 file with the given header dict and payload.
std::string npy_bytes(const std::string& dict, const std::string& payload) {
    std::string header = dict;
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::string out = std::string("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    return out + header + payload;
}
}  // namespace

TEST_CASE("npy: the header is numpy's, padded so data starts on a 64-byte boundary") {
    const std::string path = temp_path("layout.npy");
    io::write_npy(path, Tensor::from_values(Shape{2, 3}, {1, 2, 3, 4, 5, 6}, DType::F32));
    const std::string bytes = read_all(path);
    // np.save of a (2, 3) float32 array: HEADER_LEN 118, data from byte 128.
    REQUIRE(bytes.size() == 128 + 6 * 4);
    CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
    CHECK(static_cast<unsigned char>(bytes[8]) == 118);
    CHECK(bytes[9] == 0);
    CHECK(bytes.substr(10, 59) == "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
    CHECK(bytes[127] == '\n');
    float third;
    std::memcpy(&third, bytes.data() + 128 + 8, 4);
    CHECK(third == 3.0f);
    std::remove(path.c_str());
}

TEST_CASE("npy: round trips of f32 and f64, 1-D and 0-D shapes") {
    for (const Shape& shape : {Shape{5}, Shape{}, Shape{2, 3, 4, 5}}) {
        for (DType dtype : {DType::F32, DType::F64}) {
            const Tensor t = random_uniform(shape, -1, 1, 3, dtype);
            const std::string path = temp_path("roundtrip.npy");
            io::write_npy(path, t);
            const Tensor back = io::read_npy(path);
            CHECK(back.shape() == shape);
            CHECK(back.dtype() == dtype);
            CHECK(back.to_vector() == t.to_vector());
            std::remove(path.c_str());
        }
    }
}

TEST_CASE("npy: malformed files are refused with the file named") {
    const std::string path = temp_path("bad.npy");
    const std::string f4x2 = std::string(8, '\0');
    struct Bad {
        std::string bytes, message;
    };
    const std::vector<Bad> cases{
        {"", path + ": not a .npy file (bad magic)"},
        {"PK\x03\x04 this is a zip", path + ": not a .npy file (bad magic)"},
        {npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", f4x2),
         path + ": unsupported .npy dtype '<i4' (expected '<f4' or '<f8')"},
        {npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", f4x2),
         path + ": unsupported .npy dtype '>f4' (expected '<f4' or '<f8')"},
        {npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", f4x2),
         path + ": Fortran-ordered .npy arrays are not supported"},
        {npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4x2),
         path + ": .npy data holds 8 bytes but shape (3) needs 12"},
        {npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", f4x2),
         path + ": .npy shape is larger than the file"},
        {npy_bytes("{'descr': '<f4', 'fortran_order': False}", f4x2), path + ": .npy header has no 'shape' field"},
        {npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", f4x2),
         path + ": malformed .npy shape (2, x)"},
        {std::string("\x93NUMPY\x01\x00\xff\x00{'descr'", 18), path + ": truncated .npy header"},
    };
    for (const Bad& bad : cases) {
        CAPTURE(bad.message);
        write_all(path, bad.bytes);
        CHECK_THROWS_WITH_AS(io::read_npy(path), bad.message.c_str(), FormatError);
    }
    std::remove(path.c_str());
    // The file is mapped (core/io/mapped_file.h), whose message gives the system's reason.
    CHECK_THROWS_WITH_AS(io::read_npy(temp_path("missing.npy")),
                         (temp_path("missing.npy") + ": cannot open for reading (No such file or directory)").c_str(),
                         IoError);
}

TEST_CASE("npy: a failed write leaves no file behind") {
    const std::string path = "/nonexistent-dir/out.npy";
    CHECK_THROWS_WITH_AS(io::write_npy(path, Tensor::zeros(Shape{2})), (path + ": cannot open for writing").c_str(), IoError);
    std::ifstream probe(path);
    CHECK_FALSE(probe.good());
}
