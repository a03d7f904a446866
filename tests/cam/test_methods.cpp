// Every CAM method on tiny inputs whose maps are worked out by hand in the comments, the
// all-zero map, target selection and postprocessing.
#include <cmath>

#include "cam/methods.h"
#include "cam/pipeline.h"
#include "cam/registry.h"
#include "cam/postprocess.h"
#include "cam/target.h"
#include "core/error.h"
#include "tests/test_util.h"

using namespace igcam;

namespace {
// A (1, 2, 2, 2): channel 0 = [[1, 2], [3, 4]], channel 1 = [[0, 1], [1, 0]].
Tensor activations() { return Tensor::from_values(Shape{1, 2, 2, 2}, {1, 2, 3, 4, 0, 1, 1, 0}, DType::F64); }
// g: channel 0 = [[1, 0], [0, 1]], channel 1 = [[-1, -1], [-1, -1]].
Tensor gradients() { return Tensor::from_values(Shape{1, 2, 2, 2}, {1, 0, 0, 1, -1, -1, -1, -1}, DType::F64); }
}  // namespace

TEST_CASE("cam: Grad-CAM by hand") {
    // alpha = (mean g0, mean g1) = (0.5, -1); L = ReLU(0.5 A0 - A1)
    //   = ReLU([0.5 - 0, 1 - 1, 1.5 - 1, 2 - 0]) = [0.5, 0, 0.5, 2].
    test::check_values(cam::gradcam(activations(), gradients()), {0.5, 0, 0.5, 2});
}

TEST_CASE("cam: Grad-CAM++ by hand") {
    // Channel 0: g in {0, 1}, sum A0 = 10; where g = 1: a = 1 / (2 + 10 + 1e-6), where g = 0: a = 0.
    // w0 = sum a ReLU(g) = 2 / 12.000001. Channel 1: ReLU(g) = 0, so w1 = 0 (whatever its huge a).
    // L = ReLU(w0 A0) = A0 * 2 / 12.000001.
    const double w0 = 2.0 / 12.000001;
    test::check_values(cam::gradcam_plus_plus(activations(), gradients()), {w0, 2 * w0, 3 * w0, 4 * w0}, 1e-15);
}

TEST_CASE("cam: XGrad-CAM by hand") {
    // w0 = (1*1 + 4*1) / (10 + 1e-7), w1 = (-1 - 1) / (2 + 1e-7); L = ReLU(w0 A0 + w1 A1).
    const double w0 = 5.0 / (10 + 1e-7), w1 = -2.0 / (2 + 1e-7);
    test::check_values(cam::xgradcam(activations(), gradients()),
                       {std::max(0.0, w0), std::max(0.0, 2 * w0 + w1), std::max(0.0, 3 * w0 + w1), std::max(0.0, 4 * w0)},
                       1e-15);
}

TEST_CASE("cam: LayerCAM and HiResCAM by hand") {
    // LayerCAM: ReLU(g0) A0 + ReLU(g1) A1 = [1, 0, 0, 4] + 0.
    test::check_values(cam::layercam(activations(), gradients()), {1, 0, 0, 4});
    // HiResCAM: g0 A0 + g1 A1 = [1, 0, 0, 4] + [0, -1, -1, 0] = [1, -1, -1, 4] -> ReLU [1, 0, 0, 4].
    test::check_values(cam::hirescam(activations(), gradients()), {1, 0, 0, 4});
}

TEST_CASE("cam: Grad-CAM element-wise and Eigen-Grad-CAM by hand") {
    // g0 A0 = [1, 0, 0, 4], g1 A1 = [0, -1, -1, 0]: ReLU each, then sum = [1, 0, 0, 4]
    // (HiResCAM's sum before its ReLU is [1, -1, -1, 4]: the negative channel cancels there).
    test::check_values(cam::gradcam_elementwise(activations(), gradients()), {1, 0, 0, 4});
    const Tensor g2 = Tensor::from_values(Shape{1, 2, 2, 2}, {1, 0, 0, 1, 1, 1, -1, -1}, DType::F64);
    // g0 A0 = [1, 0, 0, 4], g1 A1 = [0, 1, -1, 0] -> [1, 0, 0, 4] + [0, 1, 0, 0].
    test::check_values(cam::gradcam_elementwise(activations(), g2), {1, 1, 0, 4});
    // Eigen-Grad-CAM is Eigen-CAM of g ⊙ A: with g = 2 everywhere it is Eigen-CAM of 2A,
    // i.e. twice Eigen-CAM's map (the principal direction and sign do not change).
    const Tensor two = Tensor::full(Shape{1, 2, 2, 2}, 2.0, DType::F64);
    const std::vector<double> eigen = cam::eigencam(activations()).to_vector();
    std::vector<double> twice;
    for (double v : eigen) twice.push_back(2 * v);
    test::check_values(cam::eigengradcam(activations(), two), twice, 1e-12);
}

TEST_CASE("cam: FEM by hand") {
    // Channel 0 = (0, ..., 0, 9) over 9 positions: mean 1, population std sqrt(8); k = 2 gives
    // the threshold 1 + 2 sqrt(8) = 6.66, which only the 9 passes: w0 = 1/9. Channel 1 =
    // (1, ..., 9): mean 5, std sqrt(60/9) = 2.58, threshold 10.2: w1 = 0. L = A0 / 9.
    std::vector<double> values(9, 0.0);
    values[8] = 9;
    for (int i = 1; i <= 9; ++i) values.push_back(i);
    const Tensor a = Tensor::from_values(Shape{1, 2, 3, 3}, values, DType::F64);
    test::check_values(cam::fem(a), {0, 0, 0, 0, 0, 0, 0, 0, 1}, 1e-15);
    // k = 1: thresholds 1 + 2.83 (the 9 again: w0 = 1/9) and 5 + 2.58 = 7.58 (8 and 9: w1 = 2/9).
    std::vector<double> expected;
    for (int p = 0; p < 9; ++p) expected.push_back(values[p] / 9 + 2 * values[9 + p] / 9);
    test::check_values(cam::fem(a, 1.0), expected, 1e-14);
}

TEST_CASE("cam: Eigen-CAM by hand on a rank-one activation") {
    // A^k = u_k m with u = (1, 2), m = [[0, 1], [2, 3]]. Centring each channel over positions
    // gives X = c u^T with c = m - 1.5 = (-1.5, -0.5, 0.5, 1.5), whose first right singular
    // vector is u / |u|: the projection is c |u| = c sqrt(5). It correlates positively with
    // sum_k A^k = 3 m, so the sign stays; ReLU keeps (0, 0, 0.5, 1.5) sqrt(5).
    const Tensor a = Tensor::from_values(Shape{1, 2, 2, 2}, {0, 1, 2, 3, 0, 2, 4, 6}, DType::F64);
    test::check_values(cam::eigencam(a), {0, 0, 0.5 * std::sqrt(5.0), 1.5 * std::sqrt(5.0)}, 1e-12);
    // Flipping every activation's spatial pattern flips the principal direction; the sign
    // rule follows the activations, so the map moves with them.
    const Tensor flipped = Tensor::from_values(Shape{1, 2, 2, 2}, {3, 2, 1, 0, 6, 4, 2, 0}, DType::F64);
    test::check_values(cam::eigencam(flipped), {1.5 * std::sqrt(5.0), 0.5 * std::sqrt(5.0), 0, 0}, 1e-12);
}

TEST_CASE("cam: an all-zero map stays zero through normalisation and is reported") {
    // Every gradient negative on positive activations: Grad-CAM's ReLU removes everything.
    const Tensor g = Tensor::full(Shape{1, 2, 2, 2}, -1.0, DType::F64);
    const Tensor map = cam::gradcam(activations(), g);
    test::check_values(map, {0, 0, 0, 0});
    CHECK(cam::zero_maps(map) == std::vector<bool>{true});
    const Tensor normalized = cam::normalize_maps(cam::upsample_map(map, 4, 4));
    test::check_values(normalized, std::vector<double>(16, 0.0));
    CHECK(cam::zero_maps(cam::gradcam(activations(), gradients())) == std::vector<bool>{false});
}

TEST_CASE("cam: normalisation is per image (m - min) / (max - min + 1e-7)") {
    const Tensor maps = Tensor::from_values(Shape{2, 1, 1, 3}, {1, 2, 3, 0, 0, 5}, DType::F64);
    test::check_values(cam::normalize_maps(maps),
                       {0, 1 / (2 + 1e-7), 2 / (2 + 1e-7), 0, 0, 5 / (5 + 1e-7)}, 1e-15);
    // Upsampling a 1x2 map to 1x4 with half-pixel centres: [a, (3a + b)/4, (a + 3b)/4, b].
    const Tensor up = cam::upsample_map(Tensor::from_values(Shape{1, 1, 1, 2}, {0, 4}, DType::F64), 1, 4);
    test::check_values(up, {0, 1, 3, 4});
}

TEST_CASE("cam: target selection by top-1, index and name") {
    const Tensor logits = Tensor::from_values(Shape{2, 3}, {0.1, 2.0, -1, 5, 0, 1}, DType::F64);
    const std::vector<std::string> names{"cat", "Dog", "bird"};
    CHECK(cam::resolve_classes("", names, logits) == std::vector<int64_t>{1, 0});
    CHECK(cam::resolve_classes("2", names, logits) == std::vector<int64_t>{2, 2});
    CHECK(cam::resolve_classes("Dog", names, logits) == std::vector<int64_t>{1, 1});
    CHECK(cam::resolve_classes("dog", names, logits) == std::vector<int64_t>{1, 1});
    CHECK_THROWS_WITH_AS(cam::resolve_classes("3", names, logits), "class 3 is out of range (the model has 3 classes)",
                         ValueError);
    CHECK_THROWS_WITH_AS(cam::resolve_classes("zebra", names, logits),
                         "unknown class 'zebra': not a class index (0..2) nor one of the model's class names (cat, "
                         "Dog, bird)",
                         ValueError);
}

TEST_CASE("cam: the method registry") {
    CHECK(cam::find_method("gradcam++").name == "gradcam++");
    CHECK(cam::method_registry().size() == 12);
    // What each method needs decides the pipeline's plan.
    CHECK(cam::find_method("gradcam").needs == cam::kGradients);
    CHECK(cam::find_method("eigencam").needs == 0u);
    CHECK(cam::find_method("eigengradcam").needs == cam::kGradients);
    CHECK(cam::find_method("gradcam-elementwise").needs == cam::kGradients);
    CHECK(cam::find_method("fem").needs == 0u);
    CHECK(cam::find_method("scorecam").needs == cam::kReruns);
    CHECK(cam::find_method("igcam").needs == cam::kPath);
    const std::vector<const cam::MethodSpec*> listed = cam::parse_method_list("igcam,,gradcam,igcam");
    REQUIRE(listed.size() == 2);
    CHECK(listed[0]->name == "igcam");
    CHECK(listed[1]->name == "gradcam");
    CHECK(cam::parse_method_list("all").size() == 12);
    CHECK_THROWS_WITH_AS(cam::parse_method_list(","), "--method lists no method", ValueError);
    CHECK_FALSE(cam::Plan::of(cam::parse_method_list("scorecam,eigencam,ablationcam"), false).taped);
    CHECK(cam::Plan::of(cam::parse_method_list("scorecam"), true).taped);
    CHECK(cam::Plan::of(cam::parse_method_list("igcam"), false).path);
    CHECK_FALSE(cam::Plan::of(cam::parse_method_list("igcam"), false).taped);
    CHECK_THROWS_WITH_AS(cam::find_method("gradcam+"),
                         "unknown method 'gradcam+' (expected one of: gradcam, gradcam++, xgradcam, layercam, "
                         "hirescam, gradcam-elementwise, scorecam, ablationcam, eigencam, eigengradcam, fem, igcam, or "
                         "all)",
                         ValueError);
    CHECK_THROWS_WITH_AS(cam::gradcam(activations(), Tensor::zeros(Shape{1, 2, 2, 3}, DType::F64)),
                         "gradcam: gradients (1, 2, 2, 3) do not match activations (1, 2, 2, 2)", ShapeError);
}
