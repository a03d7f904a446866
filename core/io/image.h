// Image files: PNG (libpng) and JPEG (libjpeg-turbo) decoding to 8-bit RGB, PNG encoding.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace igcam::io {

// An 8-bit RGB image, row-major HWC: pixel (y, x) channel c is rgb[(y * width + x) * 3 + c].
struct Image {
    int64_t height = 0, width = 0;
    std::vector<uint8_t> rgb;
};

// Limits on decoded images (untrusted input).
constexpr int64_t kMaxImageSide = 16384;
constexpr int64_t kMaxImagePixels = int64_t{64} << 20;

// Decodes a PNG or JPEG file (chosen by its first bytes, not its name) to RGB.
Image read_image(const std::string& path);
// Writes an RGB PNG; the file appears whole or not at all.
void write_png(const std::string& path, const Image& image);

}  // namespace igcam::io
