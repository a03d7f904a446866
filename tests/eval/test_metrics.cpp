// The evaluation metrics on maps of a few pixels, computed by hand.
#include <doctest/doctest.h>

#include <cmath>

#include "core/ops.h"
#include "eval/fidelity.h"
#include "eval/frames.h"
#include "eval/metrics.h"
#include "eval/summary.h"

using namespace igcam;
using namespace igcam::eval;

TEST_CASE("box_mask: the union of half-open boxes, rows are y") {
    // Columns 1-2 of rows 0-0, and column 0 of rows 1-2, on a 3 x 4 image.
    const std::vector<uint8_t> m = box_mask({Box{1, 0, 3, 1}, Box{0, 1, 1, 3}}, 3, 4);
    CHECK(m == std::vector<uint8_t>{0, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0});
    // Overlapping boxes count once.
    const std::vector<uint8_t> u = box_mask({Box{0, 0, 2, 1}, Box{1, 0, 3, 1}}, 1, 3);
    CHECK(u == std::vector<uint8_t>{1, 1, 1});
}

TEST_CASE("EBPG: energy inside over energy; an all-zero map is undefined") {
    const Grid map{2, 3, {1, 2, 0, 3, 0, 4}};
    const std::vector<uint8_t> mask = box_mask({Box{0, 0, 2, 2}}, 2, 3);  // 1 + 2 + 3 + 0 of 10
    CHECK(*energy_pointing_game(map, mask) == doctest::Approx(0.6).epsilon(1e-15));
    CHECK_FALSE(energy_pointing_game(Grid{2, 3, std::vector<double>(6, 0.0)}, mask).has_value());
}

TEST_CASE("Bbox: ties at the n-th value, fractional and in raster order") {
    // n = 2 (pixels (0,1) and (1,1)); the highest pixel, 5, is outside; three 1s tie for the
    // second place, one of them inside.
    const Grid map{2, 3, {5, 1, 1, 1, 0, 0}};
    const std::vector<uint8_t> mask = box_mask({Box{1, 0, 2, 2}}, 2, 3);
    CHECK(*bbox_accuracy(map, mask, Ties::Fraction) == doctest::Approx(1.0 / 6).epsilon(1e-15));  // (0 + 1/3) / 2
    CHECK(*bbox_accuracy(map, mask, Ties::Raster) == 0.5);  // (0,0) out, then (0,1) in
    // All-zero map: every pixel ties, so the fractional answer is the mask's share.
    const Grid zero{2, 3, std::vector<double>(6, 0.0)};
    CHECK(*bbox_accuracy(zero, mask, Ties::Fraction) == doctest::Approx(2.0 / 6).epsilon(1e-15));
    CHECK(*bbox_accuracy(zero, mask, Ties::Raster) == 0.5);  // (0,0) out, (0,1) in
    // No ties: the n highest are exactly those of the mask.
    const Grid clean{2, 3, {0.1, 0.9, 0.2, 0.3, 0.8, 0.4}};
    CHECK(*bbox_accuracy(clean, mask, Ties::Fraction) == 1.0);
    CHECK_FALSE(bbox_accuracy(clean, std::vector<uint8_t>(6, 0), Ties::Fraction).has_value());
}

TEST_CASE("pointing game: strictly within the tolerance of a box pixel, first maximum") {
    Grid map{40, 40, std::vector<double>(1600, 0.0)};
    map.values[20 * 40 + 20] = 1;  // the maximum at row 20, column 20
    map.values[30 * 40 + 30] = 1;  // an equal later maximum is ignored
    CHECK_FALSE(pointing_game(map, {Box{0, 0, 6, 6}}, 15).hit);   // nearest (5, 5): 15^2 + 15^2
    CHECK(pointing_game(map, {Box{30, 20, 35, 21}}, 15).hit);     // column 30: 10 px away
    CHECK_FALSE(pointing_game(map, {Box{35, 20, 36, 21}}, 15).hit);  // exactly 15 px: not < 15
    CHECK(pointing_game(map, {Box{35, 20, 36, 21}}, 15.5).hit);
    CHECK(pointing_game(map, {Box{0, 0, 1, 1}, Box{10, 10, 30, 30}}, 15).hit);  // inside the second box
    const PointingResult r = pointing_game(map, {}, 15);
    CHECK(r.row == 20);
    CHECK(r.col == 20);
    CHECK_FALSE(r.hit);
}

TEST_CASE("Average Drop and Increase in Confidence") {
    CHECK(*confidence_drop(0.8, 0.6) == doctest::Approx(25.0).epsilon(1e-14));
    CHECK(*confidence_drop(0.8, 0.9) == 0.0);
    CHECK_FALSE(confidence_drop(0.0, 0.3).has_value());
    CHECK(confidence_increase(0.8, 0.9) == 100.0);
    CHECK(confidence_increase(0.8, 0.8) == 0.0);  // strictly greater
}

TEST_CASE("curve area: RISE's trapezoid on [0, 1]") {
    CHECK(curve_area({1.0, 0.5, 0.0}) == doctest::Approx(0.5).epsilon(1e-15));
    CHECK(curve_area({0.2, 0.2}) == doctest::Approx(0.2).epsilon(1e-15));
    CHECK(curve_area({0.0, 1.0, 1.0, 1.0}) == doctest::Approx((3.0 - 0.5) / 3).epsilon(1e-15));
}

TEST_CASE("Spearman with average ranks, and SSIM of equal maps") {
    CHECK(*spearman({1, 2, 3}, {1, 3, 2}) == doctest::Approx(0.5).epsilon(1e-15));
    CHECK(*spearman({1, 2, 3, 4}, {4, 3, 2, 1}) == doctest::Approx(-1.0).epsilon(1e-15));
    // Ties: ranks (1.5, 1.5, 3) against (1, 2, 3): Pearson of the ranks, sqrt(3) / 2.
    CHECK(*spearman({1, 1, 2}, {1, 2, 3}) == doctest::Approx(std::sqrt(3.0) / 2).epsilon(1e-14));
    CHECK_FALSE(spearman({1, 1, 1}, {1, 2, 3}).has_value());
    Grid a{6, 6, {}};
    for (int i = 0; i < 36; ++i) a.values.push_back(std::sin(i * 0.7));
    CHECK(ssim(a, a) == doctest::Approx(1.0).epsilon(1e-14));
}

TEST_CASE("frames: the crop window through the resize, and Ln") {
    // torchvision's Resize(256) + CenterCrop(224) of a 384 x 512 image: resized 256 x 341,
    // crop from row 16 and column round(58.5) = 58 (half to even); in the original's pixels
    // rows 16 * 1.5 = 24 .. 240 * 1.5 = 360, columns 58 * 512 / 341 = 87.1 .. 282 * 512 / 341 = 423.4.
    const models::Preprocess p = models::preprocess_preset("torchvision");
    const Window w = model_window(384, 512, p);
    CHECK(w.r0 == 24);
    CHECK(w.r1 == 360);
    CHECK(w.c0 == 87);
    CHECK(w.c1 == 423);
    // Without a crop the map covers the image; a 1 x 1 map upsamples to a constant.
    const Tensor one = Tensor::from_values(Shape{1, 1, 1, 1}, {2.0}, DType::F32, Device::cpu());
    const Grid g = localisation_frame(one, 3, 4, models::preprocess_preset("raw"));
    CHECK(g.values == std::vector<double>(12, 2.0));
    // With the crop, L = 0 outside the window.
    const Grid c = localisation_frame(one, 384, 512, p);
    CHECK(c.at(23, 200) == 0.0);
    CHECK(c.at(24, 200) == 2.0);
    CHECK(c.at(200, 86) == 0.0);
    CHECK(c.at(200, 422) == 2.0);
    // Ln: min-max of the upsampled map; a constant map gives zeros.
    const Tensor two = Tensor::from_values(Shape{1, 1, 1, 2}, {1.0, 3.0}, DType::F64, Device::cpu());
    const Grid n = fidelity_frame(two, 1, 4);  // bilinear, half-pixel: 1, 1.5, 2.5, 3
    CHECK(n.values[0] == 0.0);
    CHECK(n.values[1] == doctest::Approx(0.25).epsilon(1e-15));
    CHECK(n.values[3] == 1.0);
    CHECK(fidelity_frame(one, 2, 2).values == std::vector<double>(4, 0.0));
}

TEST_CASE("fidelity helpers: scores, black, order") {
    CHECK(class_score({0.0, std::log(3.0)}, 1, Score::Softmax) == doctest::Approx(0.75).epsilon(1e-15));
    CHECK(class_score({0.0, 2.0}, 1, Score::Logit) == 2.0);
    CHECK(class_score({0.0, 0.0}, 1, Score::Sigmoid) == 0.5);
    models::Preprocess p;
    p.scale = 1.0 / 255;
    p.mean = {0.5, 0.25, 0.0};
    p.std = {0.25, 0.5, 1.0};
    CHECK(preprocessed_black(p) == std::vector<double>{-2.0, -0.5, 0.0});
    CHECK(descending_order(Grid{1, 5, {1, 3, 1, 3, 2}}) == std::vector<int64_t>{1, 3, 4, 0, 2});
    // RISE's blur keeps a constant image's interior and darkens its border (zero padding).
    const std::vector<double> flat(3 * 30 * 30, 1.0);
    const std::vector<double> b = rise_blur(flat, 30, 30);
    CHECK(b[15 * 30 + 15] == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(b[0] < 0.5);
}

TEST_CASE("summary: per-class pointing mean, means, paired bootstrap") {
    auto row = [](int64_t image, int64_t cls, double pointing, double ebpg) {
        Row r;
        r.image_index = image;
        r.class_index = cls;
        r.method = std::string(1, 'm');
        r.localisation = true;
        r.metrics["pointing"] = pointing;
        r.metrics["ebpg"] = ebpg;
        return r;
    };
    // Class 0: hits 1, 1, 0 -> 2/3; class 1: 0 of 1 -> mean over classes 1/3.
    std::vector<Row> rows = {row(0, 0, 1, 0.2), row(1, 0, 1, 0.4), row(2, 0, 0, 0.6), row(2, 1, 0, 0.8)};
    Row failed;
    failed.image_index = 3;
    failed.failed = true;
    rows.push_back(failed);
    const std::vector<const MetricSpec*> metrics = {&find_metric("ebpg"), &find_metric("pointing")};
    const std::vector<MethodSummary> s = summarise(rows, {"m"}, metrics, SummaryOptions{200, 1});
    REQUIRE(s.size() == 1);
    CHECK(s[0].images == 3);
    CHECK(*s[0].metrics[0].value == doctest::Approx(50.0).epsilon(1e-14));  // mean of 0.2..0.8, in %
    CHECK(*s[0].metrics[1].value == doctest::Approx(100.0 / 3).epsilon(1e-14));
    CHECK(s[0].metrics[1].classes == 2);
    CHECK(*s[0].metrics[0].low <= 50.0);
    CHECK(*s[0].metrics[0].high >= 50.0);
    // Seeded: the same intervals again, whatever the rows' order.
    std::vector<Row> reversed(rows.rbegin(), rows.rend());
    const std::vector<MethodSummary> again = summarise(reversed, {"m"}, metrics, SummaryOptions{200, 1});
    CHECK(*again[0].metrics[0].low == *s[0].metrics[0].low);
    CHECK(*again[0].metrics[1].high == *s[0].metrics[1].high);
}
