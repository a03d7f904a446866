#include "core/io/image.h"

#include <cerrno>
#include <csetjmp>
#include <cstdio>  // before jpeglib.h, which needs FILE and size_t
#include <cstring>
#include <memory>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "core/error.h"
#include "core/io/staged_file.h"

// libpng and libjpeg report errors by longjmp. Each call into them therefore happens in a
// small "step" function that arms setjmp, holds only plain data, and returns false on
// failure; the C++ code around the steps owns every buffer and handle (allocated before,
// released by destructors after) and turns the failure into a typed exception. Nothing with
// a destructor ever lives in a frame that a longjmp skips.

namespace igcam::io {

namespace {

// ---- shared ------------------------------------------------------------------------------

struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

constexpr unsigned char kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr std::size_t kMessageSize = 256;

enum class Container { Png, Jpeg, Unknown };

// Reads the first 8 bytes; the file position is left after them.
Container sniff(std::FILE* file, const std::string& path) {
    unsigned char head[8] = {};
    const std::size_t got = std::fread(head, 1, sizeof head, file);
    IGCAM_CHECK(!std::ferror(file), IoError, path, ": cannot read");
    if (got == sizeof head && std::memcmp(head, kPngSignature, sizeof head) == 0) return Container::Png;
    if (got >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) return Container::Jpeg;
    return Container::Unknown;
}

// The header's size against the limits, before any pixel memory is allocated.
void check_dimensions(const std::string& path, int64_t width, int64_t height) {
    IGCAM_CHECK(width > 0 && height > 0, FormatError, path, ": image has no pixels (", width, "x",
                height, ")");
    IGCAM_CHECK(width <= kMaxImageSide && height <= kMaxImageSide, FormatError, path, ": image is ",
                width, "x", height, " pixels (width x height); the limit is ", kMaxImageSide,
                " per side");
    IGCAM_CHECK(width * height <= kMaxImagePixels, FormatError, path, ": image is ", width, "x",
                height, " = ", width * height, " pixels; the limit is ", kMaxImagePixels);
}

Image blank_image(int64_t width, int64_t height) {
    Image image;
    image.width = width;
    image.height = height;
    image.rgb.resize(static_cast<std::size_t>(width * height * 3));
    return image;
}

// ---- PNG decoding -------------------------------------------------------------------------

// What libpng's callbacks leave for the C++ side (they exit by longjmp, so plain data).
struct PngReadState {
    std::FILE* file = nullptr;
    bool truncated = false;    // the file ended before libpng had what it needed
    bool read_failed = false;  // the operating system reported a read error
    char message[kMessageSize] = {};  // the first error or warning
};

// Error and warning callback: warnings (an ancillary chunk's CRC, too much image data)
// are errors too, so damaged files never half-decode.
void png_on_problem(png_structp png, png_const_charp message) {
    auto* state = static_cast<PngReadState*>(png_get_error_ptr(png));
    if (state->message[0] == '\0') std::snprintf(state->message, sizeof state->message, "%s", message);
    png_longjmp(png, 1);
}

// Reads through stdio, telling a short file (FormatError) from a failing disk (IoError).
void png_read_from_file(png_structp png, png_bytep data, std::size_t length) {
    auto* state = static_cast<PngReadState*>(png_get_io_ptr(png));
    if (std::fread(data, 1, length, state->file) == length) return;
    state->read_failed = std::ferror(state->file) != 0;
    state->truncated = !state->read_failed;
    png_error(png, "unexpected end of file");
}

// The layout of the rows libpng hands back after png_read_update_info.
struct PngLayout {
    png_uint_32 width = 0, height = 0;
    int color_type = 0, bit_depth = 0, passes = 1;
    std::size_t row_bytes = 0;
    png_colorp palette = nullptr;
    int palette_size = 0;
};

// One decoded row (alpha already stripped, sub-byte samples one per byte) to RGB, the way
// PIL 9.4 unpacks it and then converts to "RGB":
//   grey 1/2/4-bit: scaled to 0..255 (x255, x85, x17); grey 16-bit: PIL opens it as mode
//   "I" and I->RGB clips, so the 16-bit value v becomes min(v, 255), not v >> 8;
//   grey+alpha, RGB and RGBA 16-bit: the high byte (PIL's "...;16B" unpackers);
//   palette: the PLTE entry; an index past a short PLTE reads as (i, i, i), the grey ramp
//   PIL 9.4 initialises its palettes with (measured; libpng 1.6.39 does not object).
void png_row_to_rgb(const PngLayout& layout, const uint8_t* row, uint8_t* out) {
    const bool wide = layout.bit_depth == 16;
    for (png_uint_32 x = 0; x < layout.width; ++x, out += 3) {
        switch (layout.color_type) {
            case PNG_COLOR_TYPE_GRAY: {
                uint8_t grey = row[x];
                if (wide) {
                    const unsigned value = (unsigned{row[2 * x]} << 8) | row[2 * x + 1];
                    grey = static_cast<uint8_t>(value > 255 ? 255 : value);
                } else if (layout.bit_depth < 8) {
                    grey = static_cast<uint8_t>(row[x] * (255 / ((1 << layout.bit_depth) - 1)));
                }
                out[0] = out[1] = out[2] = grey;
                break;
            }
            case PNG_COLOR_TYPE_GRAY_ALPHA:
                out[0] = out[1] = out[2] = wide ? row[2 * x] : row[x];
                break;
            case PNG_COLOR_TYPE_PALETTE: {
                const int index = row[x];
                if (index < layout.palette_size) {
                    out[0] = layout.palette[index].red;
                    out[1] = layout.palette[index].green;
                    out[2] = layout.palette[index].blue;
                } else {
                    out[0] = out[1] = out[2] = static_cast<uint8_t>(index);
                }
                break;
            }
            default:  // RGB, and RGBA with the alpha stripped
                for (int c = 0; c < 3; ++c) out[c] = wide ? row[6 * x + 2 * c] : row[3 * x + c];
        }
    }
}

bool png_header_step(png_structp png, png_infop info) {
    if (setjmp(png_jmpbuf(png))) return false;
    png_read_info(png, info);
    return true;
}

// Asks libpng for one byte per sample below 8 bits (values unscaled), no alpha channel and
// de-interlaced rows; scaling, 16-bit reduction and palette lookup are png_row_to_rgb's,
// to follow PIL exactly. tRNS is never expanded: PIL's convert("RGB") drops it too.
bool png_transform_step(png_structp png, png_infop info, int* passes) {
    if (setjmp(png_jmpbuf(png))) return false;
    if (png_get_bit_depth(png, info) < 8) png_set_packing(png);
    if (png_get_color_type(png, info) & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
    *passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    return true;
}

// `rows` holds one row, or every row for an interlaced image (each pass refines them all);
// a row is converted once its last pass is in. png_read_end checks what follows the image
// data (leftover compressed data, CRCs, IEND).
bool png_pixels_step(png_structp png, const PngLayout& layout, uint8_t* rows, uint8_t* rgb) {
    if (setjmp(png_jmpbuf(png))) return false;
    const std::size_t row_stride = layout.passes > 1 ? layout.row_bytes : 0;
    for (int pass = 0; pass < layout.passes; ++pass) {
        for (png_uint_32 y = 0; y < layout.height; ++y) {
            uint8_t* row = rows + y * row_stride;
            png_read_row(png, row, nullptr);
            if (pass + 1 == layout.passes) png_row_to_rgb(layout, row, rgb + std::size_t{y} * layout.width * 3);
        }
    }
    png_read_end(png, nullptr);
    return true;
}

class PngReader {
public:
    PngReader(std::FILE* file, const std::string& path) : path_(path) {
        state_.file = file;
        png_ = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state_, png_on_problem, png_on_problem);
        if (png_ != nullptr) info_ = png_create_info_struct(png_);
        if (info_ == nullptr) {
            png_destroy_read_struct(&png_, nullptr, nullptr);
            detail::throw_error<OutOfMemoryError>(path, ": cannot allocate a PNG decoder");
        }
        png_set_read_fn(png_, &state_, png_read_from_file);
        png_set_sig_bytes(png_, sizeof kPngSignature);  // sniff() consumed them
        // Skip every ancillary chunk but tRNS (gamma, profiles, text, ...): PIL's pixels do
        // not use them, and a quirky one (a "known incorrect sRGB profile") must not fail
        // the image. Their CRCs are still checked.
        png_set_keep_unknown_chunks(png_, PNG_HANDLE_CHUNK_NEVER, nullptr, -1);
    }
    ~PngReader() { png_destroy_read_struct(&png_, &info_, nullptr); }
    PngReader(const PngReader&) = delete;
    PngReader& operator=(const PngReader&) = delete;

    // Reads and checks the header (IHDR and what comes before the pixels).
    ImageSize header() {
        if (!png_header_step(png_, info_)) fail();
        layout_.width = png_get_image_width(png_, info_);
        layout_.height = png_get_image_height(png_, info_);
        layout_.color_type = png_get_color_type(png_, info_);
        layout_.bit_depth = png_get_bit_depth(png_, info_);
        check_dimensions(path_, layout_.width, layout_.height);
        return ImageSize{static_cast<int64_t>(layout_.height), static_cast<int64_t>(layout_.width)};
    }

    Image decode() {
        header();
        PngLayout& layout = layout_;
        if (layout.color_type == PNG_COLOR_TYPE_PALETTE)
            png_get_PLTE(png_, info_, &layout.palette, &layout.palette_size);
        if (!png_transform_step(png_, info_, &layout.passes)) fail();
        layout.row_bytes = png_get_rowbytes(png_, info_);

        std::vector<uint8_t> rows(layout.row_bytes * (layout.passes > 1 ? layout.height : 1));
        Image image = blank_image(layout.width, layout.height);
        if (!png_pixels_step(png_, layout, rows.data(), image.rgb.data())) fail();
        return image;
    }

private:
    [[noreturn]] void fail() const {
        IGCAM_CHECK(!state_.read_failed, IoError, path_, ": cannot read");
        IGCAM_CHECK(!state_.truncated, FormatError, path_, ": truncated PNG (the file ends before the image does)");
        detail::throw_error<FormatError>(path_, ": malformed PNG: ", state_.message);
    }

    std::string path_;
    PngReadState state_;
    PngLayout layout_;
    png_structp png_ = nullptr;
    png_infop info_ = nullptr;
};

// ---- JPEG decoding ------------------------------------------------------------------------

// libjpeg's error manager, extended with where to jump and what went wrong.
struct JpegErrors {
    jpeg_error_mgr manager;  // first member: libjpeg's pointer to it is a pointer to us
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    int code;
};

[[noreturn]] void jpeg_on_error(j_common_ptr cinfo) {
    auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
    errors->code = cinfo->err->msg_code;
    (*cinfo->err->format_message)(cinfo, errors->message);
    std::longjmp(errors->jump, 1);
}

// Level -1 is a warning: corrupt entropy data, a premature end of file (libjpeg would
// fill the rest with grey). Those are errors here. Levels >= 0 are trace messages.
void jpeg_on_message(j_common_ptr cinfo, int level) {
    if (level < 0) jpeg_on_error(cinfo);
}

struct JpegDecompressor {
    jpeg_decompress_struct cinfo;
    JpegErrors errors;
};

bool jpeg_header_step(JpegDecompressor& jpeg, std::FILE* file) {
    if (setjmp(jpeg.errors.jump)) return false;
    jpeg_create_decompress(&jpeg.cinfo);
    jpeg_stdio_src(&jpeg.cinfo, file);
    jpeg_read_header(&jpeg.cinfo, TRUE);
    return true;
}

// Decodes into `rgb` (output_height rows of output_width * 3 bytes); jpeg_finish_decompress
// reads up to EOI, so a file cut after the last scan fails too.
bool jpeg_pixels_step(JpegDecompressor& jpeg, uint8_t* rgb) {
    if (setjmp(jpeg.errors.jump)) return false;
    jpeg_start_decompress(&jpeg.cinfo);
    const std::size_t stride = std::size_t{jpeg.cinfo.output_width} * 3;
    while (jpeg.cinfo.output_scanline < jpeg.cinfo.output_height) {
        JSAMPROW row = rgb + jpeg.cinfo.output_scanline * stride;
        jpeg_read_scanlines(&jpeg.cinfo, &row, 1);
    }
    jpeg_finish_decompress(&jpeg.cinfo);
    return true;
}

class JpegReader {
public:
    JpegReader(std::FILE* file, const std::string& path) : file_(file), path_(path) {
        // Zeroed so that the destructor is safe even when creation fails half way.
        std::memset(&jpeg_, 0, sizeof jpeg_);
        jpeg_.cinfo.err = jpeg_std_error(&jpeg_.errors.manager);
        jpeg_.errors.manager.error_exit = jpeg_on_error;
        jpeg_.errors.manager.emit_message = jpeg_on_message;
    }
    ~JpegReader() { jpeg_destroy_decompress(&jpeg_.cinfo); }
    JpegReader(const JpegReader&) = delete;
    JpegReader& operator=(const JpegReader&) = delete;

    // Reads and checks the header (up to the first scan).
    ImageSize header() {
        IGCAM_CHECK(std::fseek(file_, 0, SEEK_SET) == 0, IoError, path_, ": cannot read");
        if (!jpeg_header_step(jpeg_, file_)) fail();
        const J_COLOR_SPACE space = jpeg_.cinfo.jpeg_color_space;
        IGCAM_CHECK(space != JCS_CMYK && space != JCS_YCCK, FormatError, path_,
                    ": CMYK JPEG images are not supported (only greyscale and YCbCr/RGB JPEGs are)");
        IGCAM_CHECK(space == JCS_GRAYSCALE || space == JCS_YCbCr || space == JCS_RGB, FormatError,
                    path_, ": JPEG colour space ", static_cast<int>(space), " with ",
                    jpeg_.cinfo.num_components, " components is not supported");
        check_dimensions(path_, jpeg_.cinfo.image_width, jpeg_.cinfo.image_height);
        return ImageSize{static_cast<int64_t>(jpeg_.cinfo.image_height), static_cast<int64_t>(jpeg_.cinfo.image_width)};
    }

    Image decode() {
        header();
        // Greyscale is replicated and YCbCr converted by libjpeg, as PIL does (its defaults
        // are kept: ISLOW DCT, fancy upsampling, full scale).
        jpeg_.cinfo.out_color_space = JCS_RGB;

        Image image = blank_image(jpeg_.cinfo.image_width, jpeg_.cinfo.image_height);
        if (!jpeg_pixels_step(jpeg_, image.rgb.data())) fail();
        return image;
    }

private:
    [[noreturn]] void fail() const {
        IGCAM_CHECK(!std::ferror(file_), IoError, path_, ": cannot read");
        IGCAM_CHECK(jpeg_.errors.code != JWRN_JPEG_EOF, FormatError, path_,
                    ": truncated JPEG (the file ends before the image does)");
        detail::throw_error<FormatError>(path_, ": malformed JPEG: ", jpeg_.errors.message);
    }

    std::FILE* file_;
    std::string path_;
    JpegDecompressor jpeg_;
};

// ---- PNG encoding -------------------------------------------------------------------------

struct PngWriteState {
    std::FILE* file = nullptr;
    char message[kMessageSize] = {};
};

void png_on_write_problem(png_structp png, png_const_charp message) {
    auto* state = static_cast<PngWriteState*>(png_get_error_ptr(png));
    if (state->message[0] == '\0') std::snprintf(state->message, sizeof state->message, "%s", message);
    png_longjmp(png, 1);
}

void png_write_to_file(png_structp png, png_bytep data, std::size_t length) {
    auto* state = static_cast<PngWriteState*>(png_get_io_ptr(png));
    if (std::fwrite(data, 1, length, state->file) != length) png_error(png, std::strerror(errno));
}

void png_flush_file(png_structp png) {
    auto* state = static_cast<PngWriteState*>(png_get_io_ptr(png));
    if (std::fflush(state->file) != 0) png_error(png, std::strerror(errno));
}

bool png_encode_step(png_structp png, png_infop info, const Image& image) {
    if (setjmp(png_jmpbuf(png))) return false;
    png_set_IHDR(png, info, static_cast<png_uint_32>(image.width), static_cast<png_uint_32>(image.height), 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    const std::size_t stride = static_cast<std::size_t>(image.width) * 3;
    for (int64_t y = 0; y < image.height; ++y) png_write_row(png, image.rgb.data() + static_cast<std::size_t>(y) * stride);
    png_write_end(png, nullptr);
    return true;
}

class PngWriter {
public:
    explicit PngWriter(const std::string& path) {
        png_ = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state_, png_on_write_problem, png_on_write_problem);
        if (png_ != nullptr) info_ = png_create_info_struct(png_);
        if (info_ == nullptr) {
            png_destroy_write_struct(&png_, nullptr);
            detail::throw_error<OutOfMemoryError>(path, ": cannot allocate a PNG encoder");
        }
        png_set_write_fn(png_, &state_, png_write_to_file, png_flush_file);
    }
    ~PngWriter() { png_destroy_write_struct(&png_, &info_); }
    PngWriter(const PngWriter&) = delete;
    PngWriter& operator=(const PngWriter&) = delete;

    // Empty on success, else what libpng or the file reported.
    std::string encode(std::FILE* file, const Image& image) {
        state_.file = file;
        return png_encode_step(png_, info_, image) ? std::string() : std::string(state_.message);
    }

private:
    PngWriteState state_;
    png_structp png_ = nullptr;
    png_infop info_ = nullptr;
};

}  // namespace

void check_image(const Image& image, const std::string& what) {
    IGCAM_CHECK(image.height > 0 && image.width > 0 && image.height <= (int64_t{1} << 31) &&
                    image.width <= (int64_t{1} << 31),
                ShapeError, what, ": image size ", image.width, "x", image.height,
                " (width x height) is not a positive size");
    const auto expected = static_cast<std::size_t>(image.height * image.width * 3);
    IGCAM_CHECK(image.rgb.size() == expected, ShapeError, what, ": a ", image.width, "x", image.height,
                " RGB image needs ", expected, " bytes of pixels but holds ", image.rgb.size());
}

namespace {

// Opens `path`, tells PNG from JPEG by the first bytes and calls use(reader) with the
// matching reader.
template <typename Use>
auto with_reader(const std::string& path, Use&& use) {
    const File file(std::fopen(path.c_str(), "rb"));
    IGCAM_CHECK(file != nullptr, IoError, path, ": cannot open for reading");
    switch (sniff(file.get(), path)) {
        case Container::Png: {
            PngReader reader(file.get(), path);
            return use(reader);
        }
        case Container::Jpeg: {
            JpegReader reader(file.get(), path);
            return use(reader);
        }
        case Container::Unknown:
            break;
    }
    detail::throw_error<FormatError>(path, ": not a PNG or JPEG image");
}

}  // namespace

Image read_image(const std::string& path) {
    return with_reader(path, [](auto& reader) { return reader.decode(); });
}

ImageSize read_image_size(const std::string& path) {
    return with_reader(path, [](auto& reader) { return reader.header(); });
}

void write_png(const StagedFile& staged, const Image& image) {
    const std::string& path = staged.path();
    check_image(image, "write_png: " + path);
    IGCAM_CHECK(image.width <= kMaxImageSide && image.height <= kMaxImageSide, ShapeError, "write_png: ",
                path, ": image is ", image.width, "x", image.height, "; the limit is ", kMaxImageSide, " per side");
    std::string problem;
    {
        PngWriter writer(path);  // before the file exists: nothing to clean up if this throws
        File file(std::fopen(staged.temporary().c_str(), "wb"));
        IGCAM_CHECK(file != nullptr, IoError, path, ": cannot open for writing");
        problem = writer.encode(file.get(), image);
        // fclose flushes: its failure (a full disk) is a failed write too.
        if (std::fclose(file.release()) != 0 && problem.empty()) problem = std::strerror(errno);
    }
    IGCAM_CHECK(problem.empty(), IoError, path, ": write failed (", problem, ")");
}

void write_png(const std::string& path, const Image& image) {
    StagedFile staged(path);
    write_png(staged, image);
    staged.commit();
}

std::string image_library_versions() {
    std::string text = std::string("libpng ") + png_get_libpng_ver(nullptr) + ", libjpeg API " +
                       std::to_string(JPEG_LIB_VERSION);
#ifdef LIBJPEG_TURBO_VERSION_NUMBER
    const int v = LIBJPEG_TURBO_VERSION_NUMBER;  // e.g. 2001005 for 2.1.5
    text += " (libjpeg-turbo " + std::to_string(v / 1000000) + "." + std::to_string(v / 1000 % 1000) + "." +
            std::to_string(v % 1000) + ")";
#endif
    return text;
}

}  // namespace igcam::io
