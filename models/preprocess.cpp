#include "models/preprocess.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/ops.h"

namespace igcam::models {

namespace {

// ---- PIL 9.4 bilinear (libImaging/Resample.c) ------------------------------------------

// PIL's fixed point for 8-bit images: PRECISION_BITS = 32 - 8 - 2.
constexpr int kPrecisionBits = 22;

// For each output index: the first input index, how many inputs it reads, and their
// fixed-point weights (taps_per_output slots each, unused ones zero).
struct ResampleTaps {
    int64_t taps_per_output = 0;
    std::vector<int64_t> first, count;
    std::vector<int32_t> weights;
};

double triangle(double x) {
    x = std::fabs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

// precompute_coeffs + normalize_coeffs_8bpc for the bilinear filter (support 1) over the
// whole input. PIL holds the box in float, and every step below keeps its exact arithmetic
// (double, C truncation by (int)), so the integer weights come out bit-identical.
ResampleTaps pil_bilinear_taps(int64_t in_size, int64_t out_size) {
    const float in0 = 0.0f, in1 = static_cast<float>(in_size);
    const double scale = static_cast<double>(in1 - in0) / static_cast<double>(out_size);
    const double filter_scale = std::max(scale, 1.0);  // shrinking widens the filter: antialiasing
    const double support = 1.0 * filter_scale;
    ResampleTaps taps;
    taps.taps_per_output = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
    taps.first.resize(static_cast<std::size_t>(out_size));
    taps.count.resize(static_cast<std::size_t>(out_size));
    taps.weights.assign(static_cast<std::size_t>(out_size * taps.taps_per_output), 0);
    std::vector<double> k(static_cast<std::size_t>(taps.taps_per_output));
    for (int64_t xx = 0; xx < out_size; ++xx) {
        const double center = in0 + (static_cast<double>(xx) + 0.5) * scale;
        const double inverse_scale = 1.0 / filter_scale;
        const int64_t first = std::max<int64_t>(static_cast<int>(center - support + 0.5), 0);
        const int64_t end = std::min<int64_t>(static_cast<int>(center + support + 0.5), in_size);
        const int64_t count = end - first;
        double total = 0.0;
        for (int64_t x = 0; x < count; ++x) {
            k[x] = triangle((static_cast<double>(x + first) - center + 0.5) * inverse_scale);
            total += k[x];
        }
        int32_t* weights = taps.weights.data() + xx * taps.taps_per_output;
        for (int64_t x = 0; x < count; ++x) {
            const double normalized = total != 0.0 ? k[x] / total : k[x];
            const double fixed = normalized * (1 << kPrecisionBits);
            weights[x] = static_cast<int32_t>(normalized < 0 ? -0.5 + fixed : 0.5 + fixed);
        }
        taps.first[xx] = first;
        taps.count[xx] = count;
    }
    return taps;
}

// The fixed-point sum (which started at one half) back to uint8, clipped.
uint8_t clip8(int32_t sum) { return static_cast<uint8_t>(std::clamp(sum >> kPrecisionBits, 0, 255)); }

// ImagingResampleHorizontal_8bpc: `rows` output rows from input rows first_row.. .
io::Image resample_horizontal(const io::Image& in, int64_t first_row, int64_t rows, int64_t out_width,
                              const ResampleTaps& taps) {
    io::Image out{rows, out_width, std::vector<uint8_t>(static_cast<std::size_t>(rows * out_width * 3))};
    for (int64_t y = 0; y < rows; ++y) {
        const uint8_t* in_row = in.rgb.data() + (y + first_row) * in.width * 3;
        uint8_t* out_row = out.rgb.data() + y * out_width * 3;
        for (int64_t xx = 0; xx < out_width; ++xx) {
            const int32_t* k = taps.weights.data() + xx * taps.taps_per_output;
            const uint8_t* source = in_row + taps.first[xx] * 3;
            for (int c = 0; c < 3; ++c) {
                int32_t sum = 1 << (kPrecisionBits - 1);
                for (int64_t x = 0; x < taps.count[xx]; ++x) sum += source[x * 3 + c] * k[x];
                out_row[xx * 3 + c] = clip8(sum);
            }
        }
    }
    return out;
}

// ImagingResampleVertical_8bpc; taps.first is relative to `in`'s first row.
io::Image resample_vertical(const io::Image& in, int64_t out_height, const ResampleTaps& taps) {
    io::Image out{out_height, in.width, std::vector<uint8_t>(static_cast<std::size_t>(out_height * in.width * 3))};
    const int64_t stride = in.width * 3;
    for (int64_t yy = 0; yy < out_height; ++yy) {
        const int32_t* k = taps.weights.data() + yy * taps.taps_per_output;
        const uint8_t* source = in.rgb.data() + taps.first[yy] * stride;
        uint8_t* out_row = out.rgb.data() + yy * stride;
        for (int64_t i = 0; i < stride; ++i) {
            int32_t sum = 1 << (kPrecisionBits - 1);
            for (int64_t y = 0; y < taps.count[yy]; ++y) sum += source[y * stride + i] * k[y];
            out_row[i] = clip8(sum);
        }
    }
    return out;
}

// PIL's (int) of a non-negative position, -1 for a negative one (COORD in Geometry.c).
int64_t pil_coord(double position) { return position < 0.0 ? -1 : static_cast<int>(position); }

// The source index of every output index, -1 where PIL finds none (it leaves those black).
// _resize sets the affine step a = (double)(box_end - box_start) / out with a float box;
// ImagingScaleAffine starts at a / 2 and *accumulates* a, which differs from (x + 0.5) * a
// in the last bit often enough to pick another pixel (measured against PIL).
std::vector<int64_t> pil_nearest_sources(int64_t in_size, int64_t out_size) {
    const double step = static_cast<double>(static_cast<float>(in_size) - 0.0f) / static_cast<double>(out_size);
    std::vector<int64_t> sources(static_cast<std::size_t>(out_size));
    double position = 0.0 + step * 0.5;
    for (int64_t x = 0; x < out_size; ++x) {
        const int64_t source = pil_coord(position);
        sources[x] = source < in_size ? source : -1;
        position += step;
    }
    return sources;
}

// ---- presets and geometry -------------------------------------------------------------

void check_preprocess(const Preprocess& p) {
    IGCAM_CHECK(p.resize_mode == ResizeMode::None || (p.resize > 0 && p.resize <= io::kMaxImageSide),
                ValueError, "preprocess '", p.name, "': resize must be in 1..", io::kMaxImageSide, ", got ",
                p.resize);
    IGCAM_CHECK(p.crop >= 0, ValueError, "preprocess '", p.name, "': crop must be >= 0 (0 = none), got ", p.crop);
    for (int c = 0; c < 3; ++c)
        IGCAM_CHECK(p.std[c] != 0.0 && std::isfinite(p.std[c]) && std::isfinite(p.mean[c]), ValueError,
                    "preprocess '", p.name, "': mean and std must be finite and std non-zero (channel ", c, ")");
}

ImageSize size_of(const io::Image& image) { return {image.height, image.width}; }
bool same_size(ImageSize a, ImageSize b) { return a.height == b.height && a.width == b.width; }

// The window that the centre crop keeps, {top, left, height, width}, of a resized image.
struct Window {
    int64_t top = 0, left = 0, height = 0, width = 0;
};

Window crop_window(ImageSize resized, const Preprocess& p) {
    if (p.crop == 0) return {0, 0, resized.height, resized.width};
    IGCAM_CHECK(p.crop <= resized.height && p.crop <= resized.width, ShapeError, "preprocess '", p.name,
                "': the centre crop ", p.crop, "x", p.crop, " does not fit the resized ", resized.height, "x",
                resized.width, " (height x width) image");
    return {center_crop_start(resized.height, p.crop), center_crop_start(resized.width, p.crop), p.crop, p.crop};
}

// image (H, W, 3) uint8 -> (1, 3, H, W) with the raw pixel values 0..255 (ToTensor's
// layout; its division by 255 is folded into Preprocess::scale).
template <typename T>
void write_planes(const io::Image& image, T* out) {
    const int64_t plane = image.height * image.width;
    for (int64_t i = 0; i < plane; ++i)
        for (int c = 0; c < 3; ++c) out[c * plane + i] = static_cast<T>(image.rgb[i * 3 + c]);
}

Tensor image_to_tensor(const io::Image& image, DType dtype) {
    Tensor pixels = Tensor::empty(Shape{1, 3, image.height, image.width}, dtype);
    if (dtype == DType::F32) write_planes(image, pixels.mutable_data<float>());
    else write_planes(image, pixels.mutable_data<double>());
    return pixels;
}

// F.interpolate(bilinear, align_corners=False) of the float pixels; none when the size holds.
Tensor torch_resized_pixels(const io::Image& image, ImageSize size, DType dtype) {
    const Tensor pixels = image_to_tensor(image, dtype);
    if (same_size(size_of(image), size)) return pixels;
    return ops::resize_bilinear_forward(pixels, size.height, size.width);
}

// out (1, 3, window) = (pixel * scale - mean[c]) / std[c], with pixel(c, y, x) reading the
// RGB channel c at window position (y, x); c runs in the model's order (BGR swaps).
template <typename T, typename PixelFn>
void write_normalized(T* out, const Window& window, const Preprocess& p, PixelFn pixel) {
    for (int c = 0; c < 3; ++c) {
        const int source = p.bgr ? 2 - c : c;
        for (int64_t y = 0; y < window.height; ++y)
            for (int64_t x = 0; x < window.width; ++x)
                *out++ = static_cast<T>((pixel(source, y, x) * p.scale - p.mean[c]) / p.std[c]);
    }
}

template <typename PixelFn>
Tensor normalized_tensor(const Window& window, const Preprocess& p, DType dtype, PixelFn pixel) {
    Tensor out = Tensor::empty(Shape{1, 3, window.height, window.width}, dtype);
    if (dtype == DType::F32) write_normalized(out.mutable_data<float>(), window, p, pixel);
    else write_normalized(out.mutable_data<double>(), window, p, pixel);
    return out;
}

}  // namespace

// ---- public API ---------------------------------------------------------------------------

std::vector<std::string> preprocess_preset_names() { return {"torchvision", "torchray-voc", "caffe-bgr", "raw"}; }

Preprocess preprocess_preset(const std::string& name) {
    if (name == "torchvision")
        return {name, ResizeMode::ShorterSide, 256, ResizeFilter::PilBilinear, 224, false, 1.0 / 255.0,
                {0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}};
    if (name == "torchray-voc")
        return {name, ResizeMode::ShorterSide, 224, ResizeFilter::TorchBilinear, 0, false, 1.0,
                {123.68, 116.779, 103.939}, {1, 1, 1}};
    if (name == "caffe-bgr")  // mean in the model's (BGR) order
        return {name, ResizeMode::Exact, 224, ResizeFilter::PilNearest, 0, true, 1.0,
                {103.939, 116.779, 123.68}, {1, 1, 1}};
    if (name == "raw")
        return {name, ResizeMode::None, 0, ResizeFilter::PilBilinear, 0, false, 1.0 / 255.0, {0, 0, 0}, {1, 1, 1}};
    std::string known;
    for (const std::string& n : preprocess_preset_names()) known += (known.empty() ? "" : ", ") + n;
    detail::throw_error<ValueError>("unknown preprocessing preset '", name, "' (known: ", known, ")");
}

ImageSize resized_size(int64_t height, int64_t width, const Preprocess& p) {
    check_preprocess(p);
    IGCAM_CHECK(height > 0 && width > 0, ShapeError, "preprocess '", p.name, "': image size ", height, "x", width,
                " (height x width) is not positive");
    switch (p.resize_mode) {
        case ResizeMode::None:
            return {height, width};
        case ResizeMode::Exact:
            return {p.resize, p.resize};
        case ResizeMode::ShorterSide:
            break;
    }
    // torchvision's _compute_resized_output_size: int(size * long / short), a true (double)
    // division then truncation, exact for these magnitudes as in Python.
    const bool portrait = width <= height;
    const int64_t shorter = portrait ? width : height, longer = portrait ? height : width;
    const auto new_longer =
        static_cast<int64_t>(static_cast<double>(p.resize * longer) / static_cast<double>(shorter));
    // A very elongated image would grow without bound; keep the result within the limits
    // that decoded images obey.
    IGCAM_CHECK(new_longer <= io::kMaxImageSide && new_longer * p.resize <= io::kMaxImagePixels, ShapeError,
                "preprocess '", p.name, "': resizing the ", height, "x", width, " (height x width) image gives ",
                portrait ? new_longer : p.resize, "x", portrait ? p.resize : new_longer, ", beyond the limit of ",
                io::kMaxImageSide, " per side");
    return portrait ? ImageSize{new_longer, p.resize} : ImageSize{p.resize, new_longer};
}

int64_t center_crop_start(int64_t size, int64_t crop) {
    IGCAM_CHECK(crop > 0 && crop <= size, ShapeError, "center_crop_start: crop ", crop, " does not fit size ", size);
    // (size - crop) / 2.0 is a whole or a half number; Python's round takes a half to the
    // even neighbour: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2.
    const int64_t margin = size - crop;
    const int64_t half = margin / 2;
    const bool ends_in_half = margin % 2 == 1;
    return ends_in_half && half % 2 == 1 ? half + 1 : half;
}

io::Image crop_image(const io::Image& image, int64_t top, int64_t left, int64_t height, int64_t width) {
    io::check_image(image, "crop_image");
    IGCAM_CHECK(top >= 0 && left >= 0 && height > 0 && width > 0 && top + height <= image.height &&
                    left + width <= image.width,
                ShapeError, "crop_image: window ", height, "x", width, " at (", top, ", ", left,
                ") (height x width at (top, left)) is not inside the ", image.height, "x", image.width, " image");
    io::Image out{height, width, std::vector<uint8_t>(static_cast<std::size_t>(height * width * 3))};
    for (int64_t y = 0; y < height; ++y)
        std::memcpy(out.rgb.data() + y * width * 3, image.rgb.data() + ((top + y) * image.width + left) * 3,
                    static_cast<std::size_t>(width * 3));
    return out;
}

io::Image resize_pil_bilinear(const io::Image& image, int64_t out_height, int64_t out_width) {
    io::check_image(image, "resize_pil_bilinear");
    IGCAM_CHECK(out_height > 0 && out_width > 0 && out_height <= io::kMaxImageSide && out_width <= io::kMaxImageSide,
                ShapeError, "resize_pil_bilinear: output size ", out_height, "x", out_width,
                " (height x width) must be in 1..", io::kMaxImageSide);
    // ImagingResampleInner: a pass runs only when its dimension changes; the horizontal pass
    // computes only the rows the vertical pass will read.
    const bool need_horizontal = out_width != image.width;
    const bool need_vertical = out_height != image.height;
    const ResampleTaps horizontal = pil_bilinear_taps(image.width, out_width);
    ResampleTaps vertical = pil_bilinear_taps(image.height, out_height);
    if (!need_horizontal) return need_vertical ? resample_vertical(image, out_height, vertical) : image;
    const int64_t first_row = vertical.first.front();
    const int64_t end_row = vertical.first.back() + vertical.count.back();
    for (int64_t& first : vertical.first) first -= first_row;
    io::Image rows = resample_horizontal(image, first_row, end_row - first_row, out_width, horizontal);
    return need_vertical ? resample_vertical(rows, out_height, vertical) : rows;
}

io::Image resize_pil_nearest(const io::Image& image, int64_t out_height, int64_t out_width) {
    io::check_image(image, "resize_pil_nearest");
    IGCAM_CHECK(out_height > 0 && out_width > 0 && out_height <= io::kMaxImageSide && out_width <= io::kMaxImageSide,
                ShapeError, "resize_pil_nearest: output size ", out_height, "x", out_width,
                " (height x width) must be in 1..", io::kMaxImageSide);
    const std::vector<int64_t> rows = pil_nearest_sources(image.height, out_height);
    const std::vector<int64_t> columns = pil_nearest_sources(image.width, out_width);
    io::Image out{out_height, out_width, std::vector<uint8_t>(static_cast<std::size_t>(out_height * out_width * 3), 0)};
    for (int64_t y = 0; y < out_height; ++y) {
        if (rows[y] < 0) continue;
        const uint8_t* in_row = image.rgb.data() + rows[y] * image.width * 3;
        uint8_t* out_row = out.rgb.data() + y * out_width * 3;
        for (int64_t x = 0; x < out_width; ++x)
            if (columns[x] >= 0) std::memcpy(out_row + x * 3, in_row + columns[x] * 3, 3);
    }
    return out;
}

Preprocessed preprocess(const io::Image& image, const Preprocess& p, DType dtype) {
    io::check_image(image, "preprocess '" + p.name + "'");
    const ImageSize size = resized_size(image.height, image.width, p);
    Preprocessed out;
    if (p.filter == ResizeFilter::TorchBilinear) {
        // The resize runs on the float pixels (as ToTensor + F.interpolate); the crop and the
        // normalisation read them without rounding, and only the view rounds (half to even,
        // as torch.round).
        const Tensor pixels = torch_resized_pixels(image, size, dtype);
        const Window window = crop_window(size, p);
        const int64_t plane = size.height * size.width;
        const std::vector<double> values = pixels.to_vector();
        auto pixel = [&](int c, int64_t y, int64_t x) {
            return values[static_cast<std::size_t>(c * plane + (window.top + y) * size.width + window.left + x)];
        };
        out.tensor = normalized_tensor(window, p, dtype, pixel);
        out.view = {window.height, window.width, std::vector<uint8_t>(static_cast<std::size_t>(window.height * window.width * 3))};
        for (int64_t y = 0; y < window.height; ++y)
            for (int64_t x = 0; x < window.width; ++x)
                for (int c = 0; c < 3; ++c)
                    out.view.rgb[static_cast<std::size_t>((y * window.width + x) * 3 + c)] =
                        static_cast<uint8_t>(std::clamp(std::nearbyint(pixel(c, y, x)), 0.0, 255.0));
        return out;
    }
    io::Image resized;
    if (same_size(size_of(image), size)) resized = image;  // PIL returns the pixels unchanged
    else if (p.filter == ResizeFilter::PilBilinear) resized = resize_pil_bilinear(image, size.height, size.width);
    else resized = resize_pil_nearest(image, size.height, size.width);
    if (p.crop == 0) {
        out.view = std::move(resized);
    } else {
        const Window window = crop_window(size_of(resized), p);
        out.view = crop_image(resized, window.top, window.left, window.height, window.width);
    }
    const io::Image& view = out.view;
    out.tensor = normalized_tensor(Window{0, 0, view.height, view.width}, p, dtype, [&](int c, int64_t y, int64_t x) {
        return static_cast<double>(view.rgb[static_cast<std::size_t>((y * view.width + x) * 3 + c)]);
    });
    return out;
}

io::Image preprocess_view(const io::Image& image, const Preprocess& p) { return preprocess(image, p, DType::F32).view; }

Tensor preprocess_image(const io::Image& image, const Preprocess& p, DType dtype) {
    return preprocess(image, p, dtype).tensor;
}

ImageSize model_input_size(int64_t height, int64_t width, const Preprocess& p) {
    const ImageSize size = resized_size(height, width, p);
    const Window window = crop_window(size, p);
    return {window.height, window.width};
}

ImageSize default_input_size(const Preprocess& p) {
    if (p.crop > 0) return {p.crop, p.crop};
    if (p.resize > 0) return {p.resize, p.resize};
    return {224, 224};
}

Tensor preprocess_batch(const std::vector<io::Image>& images, const Preprocess& p, DType dtype) {
    IGCAM_CHECK(!images.empty(), ValueError, "preprocess_batch: no images (preset '", p.name, "')");
    std::vector<Tensor> inputs;
    inputs.reserve(images.size());
    for (std::size_t i = 0; i < images.size(); ++i) {
        inputs.push_back(preprocess_image(images[i], p, dtype));
        const Shape& first = inputs.front().shape();
        const Shape& shape = inputs.back().shape();
        IGCAM_CHECK(shape == first, ShapeError, "preprocess_batch (preset '", p.name, "'): image 0 gives ",
                    first[2], "x", first[3], " but image ", i, " gives ", shape[2], "x", shape[3],
                    " (height x width); a batch needs one size");
    }
    const Shape& one = inputs.front().shape();
    Tensor batch = Tensor::empty(Shape{static_cast<int64_t>(images.size()), 3, one[2], one[3]}, dtype);
    auto* out = static_cast<unsigned char*>(batch.mutable_raw_data());
    for (const Tensor& input : inputs) {
        std::memcpy(out, input.raw_data(), input.bytes());
        out += input.bytes();
    }
    return batch;
}

}  // namespace igcam::models
