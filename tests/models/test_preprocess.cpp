// Preprocessing on hand-computed cases: presets, geometry (torchvision's truncation and
// Python's half-to-even centre crop), the three resize filters on tiny images, channel
// order and normalisation, batches. (Parity with PIL/torchvision on real-sized images is
// tests/reference/test_pil_images.cpp.)
#include <cmath>

#include "models/preprocess.h"
#include "tests/test_util.h"

using namespace igcam;
using namespace igcam::models;

namespace {

// An image from RGB triples, row-major.
io::Image image_of(int64_t height, int64_t width, const std::vector<uint8_t>& rgb) {
    REQUIRE(rgb.size() == static_cast<std::size_t>(height * width * 3));
    return {height, width, rgb};
}

// A single-row image of grey levels (R = G = B).
io::Image grey_row(const std::vector<uint8_t>& levels) {
    std::vector<uint8_t> rgb;
    for (uint8_t level : levels) rgb.insert(rgb.end(), {level, level, level});
    return {1, static_cast<int64_t>(levels.size()), rgb};
}

std::vector<int> reds(const io::Image& image) {
    std::vector<int> out;
    for (std::size_t i = 0; i < image.rgb.size(); i += 3) out.push_back(image.rgb[i]);
    return out;
}

// A custom preset: no resize or crop unless set, identity normalisation.
Preprocess identity(ResizeMode mode = ResizeMode::None, int64_t resize = 0,
                    ResizeFilter filter = ResizeFilter::PilBilinear) {
    Preprocess p;
    p.name = "test";
    p.resize_mode = mode;
    p.resize = resize;
    p.filter = filter;
    return p;
}

// A 2x2 image: (y, x) -> RGB
//   (0,0) 10 20 30   (0,1) 40 50 60
//   (1,0) 70 80 90   (1,1) 100 110 255
io::Image two_by_two() { return image_of(2, 2, {10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 255}); }

}  // namespace

TEST_CASE("preprocess: the presets and their names") {
    CHECK(preprocess_preset_names() == std::vector<std::string>{"torchvision", "torchray-voc", "caffe-bgr", "raw"});
    const Preprocess tv = preprocess_preset("torchvision");
    CHECK(tv.name == "torchvision");
    CHECK(tv.resize_mode == ResizeMode::ShorterSide);
    CHECK(tv.resize == 256);
    CHECK(tv.filter == ResizeFilter::PilBilinear);
    CHECK(tv.crop == 224);
    CHECK_FALSE(tv.bgr);
    CHECK(tv.scale == 1.0 / 255.0);
    CHECK(tv.mean == std::array<double, 3>{0.485, 0.456, 0.406});
    CHECK(tv.std == std::array<double, 3>{0.229, 0.224, 0.225});

    const Preprocess voc = preprocess_preset("torchray-voc");
    CHECK(voc.resize_mode == ResizeMode::ShorterSide);
    CHECK(voc.resize == 224);
    CHECK(voc.filter == ResizeFilter::TorchBilinear);
    CHECK(voc.crop == 0);
    CHECK_FALSE(voc.bgr);
    CHECK(voc.scale == 1.0);
    CHECK(voc.mean == std::array<double, 3>{123.68, 116.779, 103.939});
    CHECK(voc.std == std::array<double, 3>{1, 1, 1});

    const Preprocess caffe = preprocess_preset("caffe-bgr");
    CHECK(caffe.resize_mode == ResizeMode::Exact);
    CHECK(caffe.resize == 224);
    CHECK(caffe.filter == ResizeFilter::PilNearest);
    CHECK(caffe.bgr);
    CHECK(caffe.mean == std::array<double, 3>{103.939, 116.779, 123.68});  // B, G, R

    const Preprocess raw = preprocess_preset("raw");
    CHECK(raw.resize_mode == ResizeMode::None);
    CHECK(raw.crop == 0);
    CHECK(raw.scale == 1.0 / 255.0);
    CHECK(raw.mean == std::array<double, 3>{0, 0, 0});

    CHECK_THROWS_WITH_AS(preprocess_preset("imagenet"),
                         "unknown preprocessing preset 'imagenet' (known: torchvision, torchray-voc, caffe-bgr, raw)",
                         ValueError);
}

TEST_CASE("preprocess: shorter-side resize truncates the long side as torchvision does") {
    const Preprocess tv = preprocess_preset("torchvision");
    auto size = [&](int64_t h, int64_t w) {
        const ImageSize s = resized_size(h, w, tv);
        return std::vector<int64_t>{s.height, s.width};
    };
    CHECK(size(300, 400) == std::vector<int64_t>{256, 341});  // 256 * 400 / 300 = 341.33
    CHECK(size(400, 300) == std::vector<int64_t>{341, 256});
    CHECK(size(257, 256) == std::vector<int64_t>{257, 256});  // width is the shorter: 256 * 257 / 256
    CHECK(size(500, 333) == std::vector<int64_t>{384, 256});  // 384.38
    CHECK(size(224, 224) == std::vector<int64_t>{256, 256});
    CHECK(size(100, 300) == std::vector<int64_t>{256, 768});  // exactly 768
    CHECK(size(100, 180) == std::vector<int64_t>{256, 460});  // 460.8: truncated, not rounded
    const ImageSize voc = resized_size(300, 400, preprocess_preset("torchray-voc"));
    CHECK(voc.height == 224);
    CHECK(voc.width == 298);  // 298.67
    const ImageSize exact = resized_size(300, 400, preprocess_preset("caffe-bgr"));
    CHECK(exact.height == 224);
    CHECK(exact.width == 224);
    const ImageSize none = resized_size(300, 400, preprocess_preset("raw"));
    CHECK(none.height == 300);
    CHECK(none.width == 400);
    CHECK_THROWS_AS(resized_size(1, 16384, tv), ShapeError);  // would be 256 x 4194304
}

TEST_CASE("preprocess: centre-crop offsets round halves to even, as Python's round") {
    CHECK(center_crop_start(224, 224) == 0);
    CHECK(center_crop_start(225, 224) == 0);  // 0.5 -> 0
    CHECK(center_crop_start(226, 224) == 1);
    CHECK(center_crop_start(227, 224) == 2);  // 1.5 -> 2
    CHECK(center_crop_start(229, 224) == 2);  // 2.5 -> 2
    CHECK(center_crop_start(231, 224) == 4);  // 3.5 -> 4
    CHECK(center_crop_start(256, 224) == 16);
    CHECK(center_crop_start(341, 224) == 58);  // 58.5 -> 58
    CHECK(center_crop_start(343, 224) == 60);  // 59.5 -> 60
    CHECK_THROWS_WITH_AS(center_crop_start(200, 224), "center_crop_start: crop 224 does not fit size 200", ShapeError);

    // Through preprocess_view: a 4x5 image cropped to 3x3 starts at (round(0.5), round(1.0)) = (0, 1),
    // a 6x3 one at (round(1.5), 0) = (2, 0).
    std::vector<uint8_t> rgb;
    for (int i = 0; i < 30; ++i) rgb.insert(rgb.end(), {static_cast<uint8_t>(i), 0, 0});
    Preprocess crop3 = identity();
    crop3.crop = 3;
    CHECK(reds(preprocess_view(image_of(4, 5, std::vector<uint8_t>(rgb.begin(), rgb.begin() + 60)), crop3)) ==
          std::vector<int>{1, 2, 3, 6, 7, 8, 11, 12, 13});
    CHECK(reds(preprocess_view(image_of(6, 3, std::vector<uint8_t>(rgb.begin(), rgb.begin() + 54)), crop3)) ==
          std::vector<int>{6, 7, 8, 9, 10, 11, 12, 13, 14});
    Preprocess crop7 = identity();
    crop7.name = "crop7";
    crop7.crop = 7;
    CHECK_THROWS_WITH_AS(preprocess_view(two_by_two(), crop7),
                         "preprocess 'crop7': the centre crop 7x7 does not fit the resized 2x2 (height x width) image",
                         ShapeError);
}

TEST_CASE("preprocess: PIL bilinear on hand-computed rows") {
    // 1x2 -> 1x4, upscaling: the triangle keeps support 1; centres 0.25, 0.75, 1.25, 1.75
    // reach one or two inputs: weights (1), (0.75, 0.25), (0.25, 0.75), (1).
    CHECK(reds(resize_pil_bilinear(grey_row({0, 100}), 1, 4)) == std::vector<int>{0, 25, 75, 100});
    // 1x4 -> 1x2, downscaling by 2: the support widens to 2 (antialiasing). Output 0 has
    // centre 1 and reads inputs 0..2 with triangle weights 0.75, 0.75, 0.25 (/1.75 = 3/7,
    // 3/7, 1/7); output 1 (centre 3) reads inputs 1..3 with 1/7, 3/7, 3/7.
    //   0 * 3/7 + 70 * 3/7 + 140 / 7 = 50;   70 / 7 + 140 * 3/7 + 210 * 3/7 = 160.
    // A plain (non-antialiased) bilinear would give 35 and 175.
    CHECK(reds(resize_pil_bilinear(grey_row({0, 70, 140, 210}), 1, 2)) == std::vector<int>{50, 160});
    // The same along the vertical axis (a 4x1 column), and both axes at once.
    const io::Image column = image_of(4, 1, {0, 0, 0, 70, 70, 70, 140, 140, 140, 210, 210, 210});
    CHECK(reds(resize_pil_bilinear(column, 2, 1)) == std::vector<int>{50, 160});
    const io::Image square = resize_pil_bilinear(image_of(2, 2, {0, 0, 0, 100, 100, 100, 100, 100, 100, 200, 200, 200}), 4, 4);
    // Horizontal pass: rows (0, 25, 75, 100) and (100, 125, 175, 200); vertical mixes them
    // with the same weights.
    CHECK(reds(square) == std::vector<int>{0, 25, 75, 100, 25, 50, 100, 125, 75, 100, 150, 175, 100, 125, 175, 200});
    // The same size is a copy.
    CHECK(resize_pil_bilinear(two_by_two(), 2, 2).rgb == two_by_two().rgb);
}

TEST_CASE("preprocess: PIL nearest picks int(in/out * (k + 0.5)), accumulated") {
    // 2 -> 4: positions 0.25, 0.75, 1.25, 1.75 -> 0, 0, 1, 1.
    CHECK(reds(resize_pil_nearest(grey_row({10, 20}), 1, 4)) == std::vector<int>{10, 10, 20, 20});
    // 4 -> 2: positions 1, 3 (not 0, 2).
    CHECK(reds(resize_pil_nearest(grey_row({10, 20, 30, 40}), 1, 2)) == std::vector<int>{20, 40});
    // 6 -> 9: step 2/3, positions 1/3, 1, 5/3, 7/3, 3, ... Accumulated in double the fifth
    // lands just below 3, so PIL 9.4 picks index 2 where int((4 + 0.5) * 6 / 9) = 3
    // (measured: PIL gives 0 1 1 2 2 3 4 5 5).
    CHECK(reds(resize_pil_nearest(grey_row({0, 1, 2, 3, 4, 5}), 1, 9)) == std::vector<int>{0, 1, 1, 2, 2, 3, 4, 5, 5});
    // 2x2 -> 4x4 replicates each pixel into a 2x2 block, all three channels.
    const io::Image big = resize_pil_nearest(two_by_two(), 4, 4);
    REQUIRE(big.rgb.size() == 48);
    CHECK(std::vector<uint8_t>(big.rgb.begin(), big.rgb.begin() + 12) ==
          std::vector<uint8_t>{10, 20, 30, 10, 20, 30, 40, 50, 60, 40, 50, 60});
    CHECK(std::vector<uint8_t>(big.rgb.end() - 6, big.rgb.end()) == std::vector<uint8_t>{100, 110, 255, 100, 110, 255});
}

TEST_CASE("preprocess: 'raw' is the pixels over 255 in CHW order") {
    for (DType dtype : {DType::F32, DType::F64}) {
        const Tensor x = preprocess_image(two_by_two(), preprocess_preset("raw"), dtype);
        CHECK(x.shape() == Shape{1, 3, 2, 2});
        CHECK(x.dtype() == dtype);
        test::check_values(x, {10 / 255.0, 40 / 255.0, 70 / 255.0, 100 / 255.0,    // R
                               20 / 255.0, 50 / 255.0, 80 / 255.0, 110 / 255.0,    // G
                               30 / 255.0, 60 / 255.0, 90 / 255.0, 1.0},           // B
                           dtype == DType::F32 ? 1e-7 : 1e-15);
    }
}

TEST_CASE("preprocess: BGR order, mean and std are applied in the model's channel order") {
    Preprocess p = identity();
    p.bgr = true;
    p.mean = {1, 2, 3};  // B, G, R
    p.std = {2, 4, 5};
    const Tensor x = preprocess_image(two_by_two(), p, DType::F64);
    test::check_values(x, {(30 - 1) / 2.0, (60 - 1) / 2.0, (90 - 1) / 2.0, (255 - 1) / 2.0,    // B
                           (20 - 2) / 4.0, (50 - 2) / 4.0, (80 - 2) / 4.0, (110 - 2) / 4.0,    // G
                           (10 - 3) / 5.0, (40 - 3) / 5.0, (70 - 3) / 5.0, (100 - 3) / 5.0}, 1e-15);
}

TEST_CASE("preprocess: 'caffe-bgr' of a 2x2 image is four 112x112 blocks of BGR minus the mean") {
    const Tensor x = preprocess_image(two_by_two(), preprocess_preset("caffe-bgr"), DType::F64);
    REQUIRE(x.shape() == Shape{1, 3, 224, 224});
    CHECK(x.at({0, 0, 0, 0}) == doctest::Approx(30 - 103.939).epsilon(1e-12));
    CHECK(x.at({0, 1, 0, 0}) == doctest::Approx(20 - 116.779).epsilon(1e-12));
    CHECK(x.at({0, 2, 0, 0}) == doctest::Approx(10 - 123.68).epsilon(1e-12));
    CHECK(x.at({0, 0, 111, 111}) == doctest::Approx(30 - 103.939).epsilon(1e-12));
    CHECK(x.at({0, 0, 0, 112}) == doctest::Approx(60 - 103.939).epsilon(1e-12));
    CHECK(x.at({0, 0, 112, 0}) == doctest::Approx(90 - 103.939).epsilon(1e-12));
    CHECK(x.at({0, 0, 223, 223}) == doctest::Approx(255 - 103.939).epsilon(1e-12));
    CHECK(x.at({0, 2, 223, 223}) == doctest::Approx(100 - 123.68).epsilon(1e-12));
}

TEST_CASE("preprocess: torch bilinear resizes the floats; only the view rounds (half to even)") {
    // 2x2 -> 4x4 with align_corners=False: each axis maps (a, b) to (a, 0.75a + 0.25b,
    // 0.25a + 0.75b, b). With a = 10 and b = 20: 10, 12.5, 17.5, 20.
    const io::Image image = image_of(2, 2, {10, 10, 10, 20, 20, 20, 10, 10, 10, 20, 20, 20});
    const Preprocess p = identity(ResizeMode::Exact, 4, ResizeFilter::TorchBilinear);
    const Tensor x = preprocess_image(image, p, DType::F64);
    REQUIRE(x.shape() == Shape{1, 3, 4, 4});
    for (int64_t y = 0; y < 4; ++y) {
        CHECK(x.at({0, 0, y, 0}) == 10.0);
        CHECK(x.at({0, 1, y, 1}) == 12.5);
        CHECK(x.at({0, 2, y, 2}) == 17.5);
        CHECK(x.at({0, 0, y, 3}) == 20.0);
    }
    const io::Image view = preprocess_view(image, p);
    CHECK(reds(view) == std::vector<int>{10, 12, 18, 20, 10, 12, 18, 20, 10, 12, 18, 20, 10, 12, 18, 20});
}

TEST_CASE("preprocess: 'torchvision' gives 224x224 and its input is the view normalised") {
    io::Image image{300, 400, std::vector<uint8_t>(300 * 400 * 3)};
    for (std::size_t i = 0; i < image.rgb.size(); ++i) image.rgb[i] = static_cast<uint8_t>((i * 7919) % 251);
    const Preprocess p = preprocess_preset("torchvision");
    const io::Image view = preprocess_view(image, p);
    REQUIRE(view.height == 224);
    REQUIRE(view.width == 224);
    const Tensor x = preprocess_image(image, p, DType::F64);
    REQUIRE(x.shape() == Shape{1, 3, 224, 224});
    for (const auto& [y, xx] : {std::pair<int64_t, int64_t>{0, 0}, {17, 200}, {223, 223}, {111, 5}})
        for (int c = 0; c < 3; ++c) {
            const double pixel = view.rgb[static_cast<std::size_t>((y * 224 + xx) * 3 + c)];
            CHECK(x.at({0, c, y, xx}) == doctest::Approx((pixel / 255.0 - p.mean[c]) / p.std[c]).epsilon(1e-12));
        }
}

TEST_CASE("preprocess: batches stack, and need one output size") {
    const Preprocess raw = preprocess_preset("raw");
    io::Image other = two_by_two();
    other.rgb[0] = 255;
    const Tensor batch = preprocess_batch({two_by_two(), other}, raw, DType::F64);
    REQUIRE(batch.shape() == Shape{2, 3, 2, 2});
    CHECK(batch.at({0, 0, 0, 0}) == doctest::Approx(10 / 255.0));
    CHECK(batch.at({1, 0, 0, 0}) == 1.0);
    CHECK(batch.at({1, 2, 1, 1}) == 1.0);

    const io::Image taller = image_of(3, 2, std::vector<uint8_t>(18, 0));
    CHECK_THROWS_WITH_AS(preprocess_batch({two_by_two(), two_by_two(), taller}, raw, DType::F32),
                         "preprocess_batch (preset 'raw'): image 0 gives 2x2 but image 2 gives 3x2 (height x width); "
                         "a batch needs one size",
                         ShapeError);
    CHECK_THROWS_WITH_AS(preprocess_batch({}, raw, DType::F32), "preprocess_batch: no images (preset 'raw')", ValueError);
    // With a resize to one size, different inputs batch fine.
    CHECK(preprocess_batch({two_by_two(), taller}, preprocess_preset("caffe-bgr"), DType::F32).shape() ==
          Shape{2, 3, 224, 224});
}

TEST_CASE("preprocess: malformed images and settings are refused") {
    io::Image broken = two_by_two();
    broken.rgb.pop_back();
    CHECK_THROWS_WITH_AS(preprocess_image(broken, preprocess_preset("raw")),
                         "preprocess 'raw': a 2x2 RGB image needs 12 bytes of pixels but holds 11", ShapeError);
    Preprocess zero_std = identity();
    zero_std.std = {1, 0, 1};
    CHECK_THROWS_WITH_AS(preprocess_image(two_by_two(), zero_std),
                         "preprocess 'test': mean and std must be finite and std non-zero (channel 1)", ValueError);
    CHECK_THROWS_WITH_AS(preprocess_image(two_by_two(), identity(ResizeMode::Exact, 0)),
                         "preprocess 'test': resize must be in 1..16384, got 0", ValueError);
}
