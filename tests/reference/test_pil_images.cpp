// Image decoding and the preprocessing presets against PIL 9.4 + torchvision 0.14:
// tests/reference/pil_images.py writes synthetic PNG/JPEG files, what PIL decodes from them,
// direct PIL resizes and each reference pipeline's model input; here the same files go
// through io::read_image and models/preprocess. PNG decoding and the PIL resizes must be
// identical; JPEG decoding within one level (both are libjpeg-turbo with the same settings);
// model inputs within one grey level, measured as explained at input_difference_in_levels.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>

#include <nlohmann/json.hpp>

#include "core/io/image.h"
#include "core/io/npy.h"
#include "models/preprocess.h"
#include "tests/test_util.h"
#include "tests/reference/fixtures.h"

using namespace igcam;
using namespace igcam::models;
using json = nlohmann::json;

namespace {

json manifest(const std::string& dir) { return test::read_manifest(dir, "cases.json"); }

// An (H, W, 3) uint8 .npy as numpy writes it (v1.0, '|u1', C order); io::read_npy reads
// only floats. The manifest gives the shape; the payload must have exactly that many bytes.
io::Image read_pixels(const std::string& dir, const json& array) {
    const std::string path = dir + "/" + array["npy"].get<std::string>();
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot open " << path);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    REQUIRE(bytes.size() >= 10);
    REQUIRE(bytes.compare(0, 8, std::string("\x93NUMPY\x01\x00", 8)) == 0);
    const std::size_t header_size = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    const std::string header = bytes.substr(10, header_size);
    REQUIRE(header.find("'descr': '|u1'") != std::string::npos);
    REQUIRE(header.find("'fortran_order': False") != std::string::npos);
    const std::vector<int64_t> shape = array["shape"].get<std::vector<int64_t>>();
    REQUIRE(shape.size() == 3);
    REQUIRE(shape[2] == 3);
    io::Image image{shape[0], shape[1], std::vector<uint8_t>(bytes.begin() + 10 + static_cast<std::ptrdiff_t>(header_size), bytes.end())};
    REQUIRE(image.rgb.size() == static_cast<std::size_t>(shape[0] * shape[1] * 3));
    return image;
}

int max_pixel_difference(const io::Image& ours, const io::Image& theirs) {
    REQUIRE(ours.height == theirs.height);
    REQUIRE(ours.width == theirs.width);
    REQUIRE(ours.rgb.size() == theirs.rgb.size());
    int worst = 0;
    for (std::size_t i = 0; i < ours.rgb.size(); ++i) worst = std::max(worst, std::abs(ours.rgb[i] - theirs.rgb[i]));
    return worst;
}

// The largest difference between two model inputs, in grey levels of the 0..255 pixel they
// came from. input = (pixel * scale - mean[c]) / std[c] is affine in the pixel, so an input
// difference d is a pixel difference of d * |std[c]| / scale levels. That makes one
// tolerance (1 level = 1/255 of the range) meaningful for every preset: ImageNet's std
// of 0.229 and scale 1/255 as much as Caffe's raw 0..255 inputs.
double input_difference_in_levels(const Tensor& ours, const Tensor& theirs, const Preprocess& p) {
    REQUIRE(ours.shape() == theirs.shape());
    const std::vector<double> a = ours.to_vector(), b = theirs.to_vector();
    const int64_t plane = ours.dim(2) * ours.dim(3);
    double worst = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const std::size_t channel = (i / static_cast<std::size_t>(plane)) % 3;
        worst = std::max(worst, std::fabs(a[i] - b[i]) * std::fabs(p.std[channel]) / p.scale);
    }
    return worst;
}

}  // namespace

TEST_CASE("reference: read_image gives PIL's Image.open(p).convert('RGB') pixels") {
    const std::string dir = test::reference_dir();
    const json cases = manifest(dir);
    MESSAGE("PIL " << cases["pil_version"].get<std::string>() << ", torchvision "
                   << cases["torchvision_version"].get<std::string>() << ", " << cases["images"].size() << " files");
    int png_files = 0, jpeg_files = 0, worst_png = 0, worst_jpeg = 0;
    for (const json& c : cases["images"]) {
        const std::string file = c["file"];
        CAPTURE(file);
        const int difference = max_pixel_difference(io::read_image(dir + "/" + file), read_pixels(dir, c["decoded"]));
        if (c["kind"] == "png") {
            ++png_files;
            worst_png = std::max(worst_png, difference);
            CHECK(difference == 0);
        } else {
            ++jpeg_files;
            worst_jpeg = std::max(worst_jpeg, difference);
            CHECK(difference <= 1);
        }
    }
    CHECK(png_files >= 20);  // every PNG colour type, bit depths 1..16, palette + tRNS, interlaced
    CHECK(jpeg_files >= 8);  // 4:2:0, 4:2:2, 4:4:4, progressive, greyscale
    MESSAGE("largest pixel difference from PIL: PNG " << worst_png << " over " << png_files << " files, JPEG "
                                                     << worst_jpeg << " over " << jpeg_files << " files");
}

TEST_CASE("reference: resize_pil_bilinear and resize_pil_nearest equal PIL's Image.resize") {
    const std::string dir = test::reference_dir();
    const json cases = manifest(dir);
    std::map<std::string, int> worst{{"pil_bilinear", 0}, {"pil_nearest", 0}};
    for (const json& c : cases["resizes"]) {
        const std::string file = c["file"], filter = c["filter"];
        const int64_t height = c["size"][0], width = c["size"][1];
        CAPTURE(file);
        CAPTURE(filter);
        CAPTURE(height);
        CAPTURE(width);
        const io::Image source = io::read_image(dir + "/" + file);
        const io::Image ours = filter == "pil_bilinear" ? resize_pil_bilinear(source, height, width)
                                                        : resize_pil_nearest(source, height, width);
        const int difference = max_pixel_difference(ours, read_pixels(dir, c["expected"]));
        worst[filter] = std::max(worst[filter], difference);
        CHECK(difference == 0);
    }
    CHECK(cases["resizes"].size() >= 20);
    MESSAGE("largest pixel difference from PIL over " << cases["resizes"].size() << " resizes: BILINEAR "
                                                      << worst["pil_bilinear"] << ", NEAREST " << worst["pil_nearest"]);
}

TEST_CASE("reference: every preset's model input matches its reference pipeline") {
    const std::string dir = test::reference_dir();
    const json cases = manifest(dir);
    for (const std::string preset : {"torchvision", "torchray-voc", "caffe-bgr"}) {
        CAPTURE(preset);
        const Preprocess p = preprocess_preset(preset);
        // One grey level is the contract. The PIL resizes are reproduced exactly, so what is
        // left is float32 rounding: far below a level. F.interpolate in float32 also computes
        // its source coordinates in float32 (an ulp of 3e-5 pixel at x = 400, times an edge
        // of up to 255 levels); igcam's resize computes them in double, as torch's float64
        // does, and torch's own float32 and float64 results differ by 0.0036 levels here.
        const double float_rounding = preset == "torchray-voc" ? 0.01 : 1e-3;
        double worst_f32 = 0.0, worst_f64 = 0.0;
        int compared = 0;
        for (const json& c : cases["images"]) {
            if (!c["presets"].contains(preset)) continue;
            const std::string file = c["file"];
            CAPTURE(file);
            const io::Image image = io::read_image(dir + "/" + file);
            const Tensor reference = io::read_npy(dir + "/" + c["presets"][preset]["npy"].get<std::string>());
            const double f32 = input_difference_in_levels(preprocess_image(image, p, DType::F32), reference, p);
            const double f64 = input_difference_in_levels(preprocess_image(image, p, DType::F64), reference, p);
            CHECK(f32 <= 1.0);
            CHECK(f64 <= 1.0);
            CHECK(f32 <= float_rounding);
            CHECK(f64 <= float_rounding);
            worst_f32 = std::max(worst_f32, f32);
            worst_f64 = std::max(worst_f64, f64);
            ++compared;
        }
        CHECK(compared >= 10);
        MESSAGE("preset " << preset << ": largest difference from the reference over " << compared
                          << " files, in grey levels: f32 " << worst_f32 << ", f64 " << worst_f64);
    }
}

TEST_CASE("reference: a torchvision batch stacks the single-image inputs") {
    // Images of five sizes all come out 224x224 after Resize(256) + CenterCrop(224).
    const std::string dir = test::reference_dir();
    const json cases = manifest(dir);
    const Preprocess p = preprocess_preset("torchvision");
    std::vector<io::Image> images;
    std::vector<Tensor> references;
    for (const json& c : cases["images"]) {
        if (c["kind"] != "png" || !c["presets"].contains("torchvision")) continue;
        images.push_back(io::read_image(dir + "/" + c["file"].get<std::string>()));
        references.push_back(io::read_npy(dir + "/" + c["presets"]["torchvision"]["npy"].get<std::string>()));
    }
    REQUIRE(images.size() >= 5);
    const Tensor batch = preprocess_batch(images, p, DType::F32);
    REQUIRE(batch.shape() == Shape{static_cast<int64_t>(images.size()), 3, 224, 224});
    for (std::size_t i = 0; i < images.size(); ++i) {
        CAPTURE(i);
        const Tensor one = batch.slice_batch(static_cast<int64_t>(i), static_cast<int64_t>(i) + 1);
        CHECK(input_difference_in_levels(one, references[i], p) <= 1e-3);
    }
}
