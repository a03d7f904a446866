// PNG/JPEG files: exact PNG round trips, JPEG decoding of files made here with libjpeg, and
// damaged or hostile files refused with the error type and the exact sentence a user sees.
// The malformed bytes are made here: a valid file, then truncated, flipped or patched.
// (Pixel parity with PIL is tests/reference/test_pil_images.cpp.)
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

// jpeglib.h needs FILE and size_t declared before it.
#include <jpeglib.h>

#include "core/io/image.h"
#include "tests/test_util.h"

using namespace igcam;

namespace {

// Unique per process: other suites may run at the same time.
std::string temp_path(const std::string& name) {
    return "/tmp/igcam_test_image_" + std::to_string(::getpid()) + "_" + name;
}

bool exists(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_all(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A deterministic image with edges and every channel different.
io::Image pattern(int64_t height, int64_t width) {
    io::Image image{height, width, std::vector<uint8_t>(static_cast<std::size_t>(height * width * 3))};
    for (int64_t y = 0; y < height; ++y)
        for (int64_t x = 0; x < width; ++x) {
            uint8_t* p = &image.rgb[static_cast<std::size_t>((y * width + x) * 3)];
            p[0] = static_cast<uint8_t>(x * 37 + y * 11);
            p[1] = static_cast<uint8_t>(y * 53 + 7);
            p[2] = static_cast<uint8_t>((x ^ y) * 29);
        }
    return image;
}

io::Image flat(int64_t height, int64_t width, std::array<uint8_t, 3> colour) {
    io::Image image{height, width, {}};
    for (int64_t i = 0; i < height * width; ++i) image.rgb.insert(image.rgb.end(), colour.begin(), colour.end());
    return image;
}

// The bytes of a PNG written by write_png.
std::string png_bytes(const io::Image& image) {
    const std::string path = temp_path("source.png");
    io::write_png(path, image);
    std::string bytes = read_all(path);
    std::remove(path.c_str());
    return bytes;
}

// PNG's CRC-32 (ISO 3309, as zlib's crc32), to forge chunks that pass the CRC check.
uint32_t crc32(const std::string& bytes) {
    uint32_t crc = 0xFFFFFFFFu;
    for (unsigned char byte : bytes) {
        crc ^= byte;
        for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}

std::string big_endian(uint32_t value) {
    return {static_cast<char>(value >> 24), static_cast<char>(value >> 16), static_cast<char>(value >> 8),
            static_cast<char>(value)};
}

std::string png_chunk(const std::string& type, const std::string& data) {
    return big_endian(static_cast<uint32_t>(data.size())) + type + data + big_endian(crc32(type + data));
}

// A valid PNG whose IHDR (bytes 16..28, CRC at 29..32) claims another size, CRC recomputed.
std::string png_claiming(uint32_t width, uint32_t height) {
    std::string bytes = png_bytes(pattern(4, 4));
    bytes.replace(16, 8, big_endian(width) + big_endian(height));
    bytes.replace(29, 4, big_endian(crc32(bytes.substr(12, 17))));
    return bytes;
}

// A JPEG made by libjpeg from `pixels` (components per pixel in `space`: 1, 3 or 4 for CMYK).
std::string jpeg_bytes(int width, int height, const std::vector<uint8_t>& pixels, J_COLOR_SPACE space,
                       int components, int quality, bool full_chroma = false) {
    jpeg_compress_struct cinfo;
    jpeg_error_mgr errors;
    cinfo.err = jpeg_std_error(&errors);  // encoding valid input: libjpeg's exit() is fine here
    jpeg_create_compress(&cinfo);
    unsigned char* buffer = nullptr;
    unsigned long size = 0;
    jpeg_mem_dest(&cinfo, &buffer, &size);
    cinfo.image_width = static_cast<JDIMENSION>(width);
    cinfo.image_height = static_cast<JDIMENSION>(height);
    cinfo.input_components = components;
    cinfo.in_color_space = space;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (full_chroma) cinfo.comp_info[0].h_samp_factor = cinfo.comp_info[0].v_samp_factor = 1;
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = const_cast<uint8_t*>(pixels.data()) + cinfo.next_scanline * static_cast<std::size_t>(width * components);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    std::string bytes(reinterpret_cast<char*>(buffer), size);
    jpeg_destroy_compress(&cinfo);
    std::free(buffer);
    return bytes;
}

std::string rgb_jpeg(const io::Image& image, int quality = 90) {
    return jpeg_bytes(static_cast<int>(image.width), static_cast<int>(image.height), image.rgb, JCS_RGB, 3, quality);
}

int max_difference(const io::Image& a, const io::Image& b) {
    REQUIRE(a.rgb.size() == b.rgb.size());
    int worst = 0;
    for (std::size_t i = 0; i < a.rgb.size(); ++i) worst = std::max(worst, std::abs(a.rgb[i] - b.rgb[i]));
    return worst;
}

}  // namespace

TEST_CASE("image: write_png then read_image gives the same pixels, and no .partial is left") {
    for (const auto& [height, width] : {std::pair<int64_t, int64_t>{1, 1}, {7, 5}, {33, 64}, {200, 3}}) {
        CAPTURE(height);
        CAPTURE(width);
        const io::Image image = pattern(height, width);
        const std::string path = temp_path("roundtrip.png");
        io::write_png(path, image);
        CHECK_FALSE(exists(path + ".partial"));
        CHECK(read_all(path).substr(0, 8) == "\x89PNG\r\n\x1a\n");
        const io::Image back = io::read_image(path);
        CHECK(back.height == height);
        CHECK(back.width == width);
        CHECK(back.rgb == image.rgb);
        std::remove(path.c_str());
    }
}

TEST_CASE("image: the container is chosen by the first bytes, not the file name") {
    const io::Image image = pattern(6, 9);
    const std::string png_named_jpg = temp_path("really_a_png.jpg");
    write_all(png_named_jpg, png_bytes(image));
    CHECK(io::read_image(png_named_jpg).rgb == image.rgb);
    const std::string jpeg_named_png = temp_path("really_a_jpeg.png");
    write_all(jpeg_named_png, rgb_jpeg(image));
    CHECK(io::read_image(jpeg_named_png).width == 9);
    std::remove(png_named_jpg.c_str());
    std::remove(jpeg_named_png.c_str());
}

TEST_CASE("image: JPEG decoding of YCbCr 4:2:0, 4:4:4 and greyscale files") {
    const std::string path = temp_path("decode.jpg");
    SUBCASE("a flat colour survives quality 100 within 2 levels, at every pixel") {
        const io::Image image = flat(16, 24, {200, 100, 50});
        write_all(path, rgb_jpeg(image, 100));
        const io::Image back = io::read_image(path);
        CHECK(back.height == 16);
        CHECK(back.width == 24);
        CHECK(max_difference(back, image) <= 2);
    }
    SUBCASE("4:4:4 at quality 100 keeps a detailed image within 8 levels") {
        const io::Image image = pattern(40, 56);
        write_all(path, jpeg_bytes(56, 40, image.rgb, JCS_RGB, 3, 100, true));
        const io::Image back = io::read_image(path);
        REQUIRE(back.rgb.size() == image.rgb.size());
        CHECK(max_difference(back, image) <= 8);
    }
    SUBCASE("greyscale is replicated into R = G = B") {
        std::vector<uint8_t> grey(30 * 20);
        for (std::size_t i = 0; i < grey.size(); ++i) grey[i] = static_cast<uint8_t>(i % 30 * 8);
        write_all(path, jpeg_bytes(30, 20, grey, JCS_GRAYSCALE, 1, 95));
        const io::Image back = io::read_image(path);
        REQUIRE(back.rgb.size() == 30 * 20 * 3);
        int worst = 0;
        for (std::size_t i = 0; i < grey.size(); ++i) {
            CHECK(back.rgb[i * 3] == back.rgb[i * 3 + 1]);
            CHECK(back.rgb[i * 3] == back.rgb[i * 3 + 2]);
            worst = std::max(worst, std::abs(back.rgb[i * 3] - grey[i]));
        }
        CHECK(worst <= 12);
    }
    std::remove(path.c_str());
}

TEST_CASE("image: unreadable and non-image files are refused with IoError / FormatError") {
    const std::string path = temp_path("bad.bin");
    SUBCASE("missing file") {
        const std::string missing = temp_path("no_such_file.png");
        CHECK_THROWS_WITH_AS(io::read_image(missing), (missing + ": cannot open for reading").c_str(), IoError);
    }
    SUBCASE("a directory") {
        const std::string directory = temp_path("a_directory");
        REQUIRE(::mkdir(directory.c_str(), 0700) == 0);
        CHECK_THROWS_WITH_AS(io::read_image(directory), (directory + ": cannot read").c_str(), IoError);
        ::rmdir(directory.c_str());
    }
    SUBCASE("empty file") {
        write_all(path, "");
        CHECK_THROWS_WITH_AS(io::read_image(path), (path + ": not a PNG or JPEG image").c_str(), FormatError);
    }
    SUBCASE("text file") {
        write_all(path, "P3\n2 2\n255\nthis is not an image\n");
        CHECK_THROWS_WITH_AS(io::read_image(path), (path + ": not a PNG or JPEG image").c_str(), FormatError);
    }
    SUBCASE("GIF") {
        write_all(path, std::string("GIF89a\x01\x00\x01\x00\x80\x00\x00", 13));
        CHECK_THROWS_WITH_AS(io::read_image(path), (path + ": not a PNG or JPEG image").c_str(), FormatError);
    }
    SUBCASE("BMP") {
        write_all(path, std::string("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00", 14));
        CHECK_THROWS_WITH_AS(io::read_image(path), (path + ": not a PNG or JPEG image").c_str(), FormatError);
    }
    SUBCASE("only the first bytes of a PNG signature") {
        write_all(path, png_bytes(pattern(2, 2)).substr(0, 5));
        CHECK_THROWS_WITH_AS(io::read_image(path), (path + ": not a PNG or JPEG image").c_str(), FormatError);
    }
    std::remove(path.c_str());
}

TEST_CASE("image: damaged PNGs fail with a FormatError naming the problem") {
    const std::string path = temp_path("bad.png");
    const std::string valid = png_bytes(pattern(32, 32));
    const std::size_t idat = valid.find("IDAT") - 4;  // the chunk's length field
    const uint32_t idat_size = (static_cast<unsigned char>(valid[idat]) << 24) | (static_cast<unsigned char>(valid[idat + 1]) << 16) |
                               (static_cast<unsigned char>(valid[idat + 2]) << 8) | static_cast<unsigned char>(valid[idat + 3]);
    SUBCASE("truncated inside the image data") {
        write_all(path, valid.substr(0, idat + 8 + idat_size / 2));
        CHECK_THROWS_WITH_AS(io::read_image(path), (path + ": truncated PNG (the file ends before the image does)").c_str(),
                             FormatError);
    }
    SUBCASE("truncated after the IHDR") {
        write_all(path, valid.substr(0, 33));
        CHECK_THROWS_WITH_AS(io::read_image(path), (path + ": truncated PNG (the file ends before the image does)").c_str(),
                             FormatError);
    }
    SUBCASE("the IEND chunk missing") {
        write_all(path, valid.substr(0, valid.size() - 12));
        CHECK_THROWS_WITH_AS(io::read_image(path), (path + ": truncated PNG (the file ends before the image does)").c_str(),
                             FormatError);
    }
    SUBCASE("a corrupted IDAT CRC") {
        std::string bytes = valid;
        bytes[idat + 8 + idat_size] ^= 0x5A;
        write_all(path, bytes);
        CHECK_THROWS_WITH_AS(io::read_image(path), (path + ": malformed PNG: IDAT: CRC error").c_str(), FormatError);
    }
    SUBCASE("a corrupted CRC in an ancillary chunk: a libpng warning, still an error") {
        std::string text = png_chunk("tEXt", std::string("Comment\0hello", 13));
        text[text.size() - 1] ^= 0x01;
        write_all(path, valid.substr(0, idat) + text + valid.substr(idat));
        CHECK_THROWS_WITH_AS(io::read_image(path), (path + ": malformed PNG: tEXt: CRC error").c_str(), FormatError);
    }
    SUBCASE("compressed data flipped (CRC recomputed): zlib's check fails") {
        std::string bytes = valid;
        for (std::size_t i = idat + 8 + 2; i < idat + 8 + idat_size; ++i) bytes[i] = static_cast<char>(~bytes[i]);
        bytes.replace(idat + 8 + idat_size, 4, big_endian(crc32(bytes.substr(idat + 4, 4 + idat_size))));
        write_all(path, bytes);
        CHECK_THROWS_AS(io::read_image(path), FormatError);
        CHECK_THROWS_WITH(io::read_image(path), doctest::Contains((path + ": malformed PNG: IDAT: ").c_str()));
    }
    SUBCASE("an ancillary chunk skipped, with a valid CRC, changes nothing") {
        write_all(path, valid.substr(0, idat) + png_chunk("tEXt", std::string("Comment\0hello", 13)) + valid.substr(idat));
        CHECK(io::read_image(path).rgb == pattern(32, 32).rgb);
    }
    std::remove(path.c_str());
}

TEST_CASE("image: sizes beyond the limits are refused from the header, before allocating") {
    // Each forged file holds the pixel data of a 4x4 image: had the decoder allocated and
    // decoded first it would fail on missing data, not on the size.
    const std::string path = temp_path("huge.png");
    SUBCASE("PNG 20000 x 20000: a side above 16384") {
        write_all(path, png_claiming(20000, 20000));
        CHECK_THROWS_WITH_AS(io::read_image(path),
                             (path + ": image is 20000x20000 pixels (width x height); the limit is 16384 per side").c_str(),
                             FormatError);
    }
    SUBCASE("PNG 9000 x 9000: 81 Mpx, above 64 Mpx") {
        write_all(path, png_claiming(9000, 9000));
        CHECK_THROWS_WITH_AS(io::read_image(path),
                             (path + ": image is 9000x9000 = 81000000 pixels; the limit is 67108864").c_str(), FormatError);
    }
    SUBCASE("PNG 16384 x 1 is within the limits: decoding proceeds and finds the data short") {
        write_all(path, png_claiming(16384, 1));
        CHECK_THROWS_AS(io::read_image(path), FormatError);
        CHECK_THROWS_WITH(io::read_image(path), doctest::Contains("malformed PNG"));
    }
    SUBCASE("JPEG whose frame header claims 20000 rows") {
        std::string bytes = rgb_jpeg(pattern(8, 8));
        const std::size_t sof = bytes.find("\xFF\xC0");
        REQUIRE(sof != std::string::npos);
        bytes[sof + 5] = static_cast<char>(20000 >> 8);  // height, after length and precision
        bytes[sof + 6] = static_cast<char>(20000 & 0xFF);
        write_all(path, bytes);
        CHECK_THROWS_WITH_AS(io::read_image(path),
                             (path + ": image is 8x20000 pixels (width x height); the limit is 16384 per side").c_str(),
                             FormatError);
    }
    std::remove(path.c_str());
}

TEST_CASE("image: damaged and unsupported JPEGs fail with a FormatError naming the problem") {
    const std::string path = temp_path("bad.jpg");
    const std::string valid = rgb_jpeg(pattern(64, 64));
    const std::size_t scan = valid.find("\xFF\xDA");
    REQUIRE(scan != std::string::npos);
    SUBCASE("truncated in the middle of the scan (libjpeg would pad it with grey)") {
        write_all(path, valid.substr(0, (scan + valid.size()) / 2));
        CHECK_THROWS_WITH_AS(io::read_image(path), (path + ": truncated JPEG (the file ends before the image does)").c_str(),
                             FormatError);
    }
    SUBCASE("truncated inside the header") {
        write_all(path, valid.substr(0, 40));
        CHECK_THROWS_WITH_AS(io::read_image(path), (path + ": truncated JPEG (the file ends before the image does)").c_str(),
                             FormatError);
    }
    SUBCASE("the end-of-image marker missing") {
        write_all(path, valid.substr(0, valid.size() - 2));
        CHECK_THROWS_WITH_AS(io::read_image(path), (path + ": truncated JPEG (the file ends before the image does)").c_str(),
                             FormatError);
    }
    SUBCASE("entropy-coded data cut by a marker: a libjpeg warning, still an error") {
        std::string bytes = valid;
        const std::size_t middle = (scan + valid.size()) / 2;
        bytes.replace(middle, 2, "\xFF\xD9");  // an EOI in the middle of the scan
        write_all(path, bytes);
        CHECK_THROWS_WITH_AS(io::read_image(path),
                             (path + ": malformed JPEG: Corrupt JPEG data: premature end of data segment").c_str(),
                             FormatError);
    }
    SUBCASE("a bad marker where the frame header belongs") {
        std::string bytes = valid;
        bytes[valid.find("\xFF\xC0") + 1] = static_cast<char>(0xC8);  // JPG, a reserved marker
        write_all(path, bytes);
        CHECK_THROWS_AS(io::read_image(path), FormatError);
        CHECK_THROWS_WITH(io::read_image(path), doctest::Contains((path + ": malformed JPEG: ").c_str()));
    }
    SUBCASE("CMYK") {
        std::vector<uint8_t> cmyk(16 * 16 * 4, 0x40);
        write_all(path, jpeg_bytes(16, 16, cmyk, JCS_CMYK, 4, 90));
        CHECK_THROWS_WITH_AS(
            io::read_image(path),
            (path + ": CMYK JPEG images are not supported (only greyscale and YCbCr/RGB JPEGs are)").c_str(),
            FormatError);
    }
    std::remove(path.c_str());
}

TEST_CASE("image: a failed write_png leaves no file behind") {
    const io::Image image = pattern(5, 5);
    SUBCASE("the directory does not exist") {
        const std::string path = temp_path("no_such_dir") + "/out.png";
        CHECK_THROWS_WITH_AS(io::write_png(path, image), (path + ": cannot open for writing").c_str(), IoError);
        CHECK_FALSE(exists(path));
        CHECK_FALSE(exists(path + ".partial"));
    }
    SUBCASE("the target is a directory: the finished .partial cannot be renamed and is removed") {
        const std::string path = temp_path("target_is_a_dir");
        REQUIRE(::mkdir(path.c_str(), 0700) == 0);
        CHECK_THROWS_WITH_AS(io::write_png(path, image), (path + ": cannot move the finished file into place").c_str(),
                             IoError);
        CHECK_FALSE(exists(path + ".partial"));
        ::rmdir(path.c_str());
    }
    SUBCASE("the pixel buffer does not match the size") {
        const std::string path = temp_path("short_buffer.png");
        io::Image broken = image;
        broken.rgb.pop_back();
        CHECK_THROWS_WITH_AS(io::write_png(path, broken),
                             ("write_png: " + path + ": a 5x5 RGB image needs 75 bytes of pixels but holds 74").c_str(),
                             ShapeError);
        CHECK_FALSE(exists(path));
        CHECK_FALSE(exists(path + ".partial"));
    }
    SUBCASE("an empty image") {
        const std::string path = temp_path("empty.png");
        CHECK_THROWS_WITH_AS(io::write_png(path, io::Image{}),
                             ("write_png: " + path + ": image size 0x0 (width x height) is not a positive size").c_str(),
                             ShapeError);
        CHECK_FALSE(exists(path));
    }
}
