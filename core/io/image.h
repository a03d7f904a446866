// Image files: PNG (libpng) and JPEG (libjpeg-turbo) decoding to 8-bit RGB, PNG encoding.
//
// Decoding matches PIL 9.4's `Image.open(path).convert("RGB")` (the reference pipelines'
// loader) pixel for pixel: alpha is dropped without compositing, palettes are expanded,
// grey is replicated. Files are untrusted input: sizes are checked from the header before
// any pixel memory is allocated, and every libpng/libjpeg warning (a CRC error, corrupt or
// missing entropy data, ...) is an error, so a damaged file never decodes half grey.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/io/staged_file.h"

namespace igcam::io {

// An 8-bit RGB image, row-major HWC: pixel (y, x) channel c is rgb[(y * width + x) * 3 + c].
struct Image {
    int64_t height = 0, width = 0;
    std::vector<uint8_t> rgb;
};

// Limits on decoded images (untrusted input).
constexpr int64_t kMaxImageSide = 16384;
constexpr int64_t kMaxImagePixels = int64_t{64} << 20;

// Throws ShapeError naming `what` unless the image has a positive size and exactly
// height * width * 3 bytes of pixels.
void check_image(const Image& image, const std::string& what);

// Decodes a PNG or JPEG file (chosen by its first bytes, not its name) to RGB.
//   PNG: every colour type and bit depth, interlaced or not. 16-bit samples become 8-bit
//        the way PIL 9.4 does it (high byte; 16-bit grey is clipped to 255, see image.cpp).
//        Ancillary chunks (gamma, colour profiles, text) are skipped, as PIL's pixels
//        ignore them too, but their CRCs are still checked.
//   JPEG: greyscale and YCbCr (ISLOW DCT, fancy upsampling: libjpeg's defaults, as PIL);
//        CMYK/YCCK JPEGs are refused.
// Throws IoError when the file cannot be opened or read, FormatError when its content is
// not a PNG/JPEG, is damaged or truncated, or exceeds the limits above.
Image read_image(const std::string& path);

// The height and width of a PNG or JPEG file, from its header alone: the same checks as
// read_image up to the pixels (container, header, size limits, JPEG colour space), so a
// file that is not an image at all fails here, while damage to the pixel data is found
// only when read_image decodes them. Throws as read_image does.
struct ImageSize {
    int64_t height = 0, width = 0;
};
ImageSize read_image_size(const std::string& path);

// Writes an RGB PNG; the file appears whole or not at all (core/io/staged_file.h:
// written to PATH.partial, then renamed). Throws ShapeError for an image whose size and pixel buffer disagree, IoError
// when the file cannot be written.
void write_png(const std::string& path, const Image& image);
// The same into `file`'s temporary (a run's staged file: the caller commits).
void write_png(const StagedFile& file, const Image& image);

// "libpng 1.6.39, libjpeg-turbo 2.1.5 (API 62)": the decoders' versions, for reports.
std::string image_library_versions();

}  // namespace igcam::io
