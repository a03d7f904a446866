// Integrated Grad-CAM: hand-computed maps on a toy network that is linear above its input,
// the path rules, the completeness audit converging on a random ResNet, batching, and the
// cut at the target layer of a ResNet-50 (no gradient below it, asserted on the trace).
#include <cmath>

#include "autograd/functions.h"
#include "cam/capture.h"
#include "cam/igcam.h"
#include "cam/target.h"
#include "core/random.h"
#include "layers/conv.h"
#include "models/architecture.h"
#include "tests/cam/random_model.h"
#include "tests/test_util.h"

using namespace igcam;

namespace {

// feat: a 1x1 conv 3 -> 2 channels; fc: a linear layer over the flattened (2, 1, 2) map.
class Toy : public nn::Module {
public:
    Toy() {
        feat_ = add_child("feat", std::make_shared<nn::Conv2d>(3, 2, 1, 1, 0, true));
        fc_ = add_child("fc", std::make_shared<nn::Linear>(4, 2));
    }
    std::string type() const override { return "Toy"; }

protected:
    ag::Var forward(const ag::Var& x, nn::ForwardContext& ctx) const override {
        return (*fc_)(ag::flatten((*feat_)(x, ctx)), ctx);
    }

private:
    std::shared_ptr<nn::Module> feat_, fc_;
};

models::Model toy_model() {
    models::Model m;
    m.net = std::make_shared<Toy>();
    m.net->assign_names();
    m.class_names = {"zero", "one"};
    m.default_layer = "feat";
    m.dtype = DType::F64;
    auto params = m.net->named_parameters();
    // conv rows (1, 1, 0) and (0, 1, 1), bias (0.5, -0.5); fc rows (1, -1, 2, 0.5) and (-1, 0, 0, 0), bias (0.1, 0).
    params[0].second->value = Tensor::from_values(Shape{2, 3, 1, 1}, {1, 1, 0, 0, 1, 1}, DType::F64);
    params[1].second->value = Tensor::from_values(Shape{2}, {0.5, -0.5}, DType::F64);
    params[2].second->value = Tensor::from_values(Shape{2, 4}, {1, -1, 2, 0.5, -1, 0, 0, 0}, DType::F64);
    params[3].second->value = Tensor::from_values(Shape{2}, {0.1, 0}, DType::F64);
    return m;
}

// Pixels (1, 0, 2) and (0, 1, -1): input (1, 3, 1, 2), channel-major.
Tensor toy_input() { return Tensor::from_values(Shape{1, 3, 1, 2}, {1, 0, 0, 1, 2, -1}, DType::F64); }

cam::IgCamOptions options(int steps, cam::Riemann rule) {
    cam::IgCamOptions o;
    o.steps = steps;
    o.riemann = rule;
    return o;
}

}  // namespace

TEST_CASE("igcam: path points and weights of each rule") {
    std::vector<double> t, w;
    cam::path_points(options(4, cam::Riemann::Right), t, w);
    CHECK(t == std::vector<double>{0.25, 0.5, 0.75, 1.0});
    CHECK(w == std::vector<double>(4, 0.25));
    cam::path_points(options(4, cam::Riemann::Left), t, w);
    CHECK(t == std::vector<double>{0, 0.25, 0.5, 0.75});
    cam::path_points(options(4, cam::Riemann::Middle), t, w);
    CHECK(t == std::vector<double>{0.125, 0.375, 0.625, 0.875});
    cam::path_points(options(4, cam::Riemann::Trapezoid), t, w);
    CHECK(t == std::vector<double>{0, 0.25, 0.5, 0.75, 1.0});
    CHECK(w == std::vector<double>{0.125, 0.25, 0.25, 0.25, 0.125});
    cam::IgCamOptions notebook = cam::igcam_preset("notebook");
    cam::path_points(notebook, t, w);
    CHECK(t.size() == 50);
    CHECK(t.front() == 0.0);
    CHECK(t.back() == 49.0 / 50.0);
    CHECK(w == std::vector<double>(50, 1.0));
}

TEST_CASE("igcam: hand-computed maps on the toy network") {
    // A(x) = W x + b: channel 0 = (1.5, 1.5), channel 1 = (1.5, -0.5); y_0 = 2.85 (top-1).
    // g = dy_0/dA = fc row 0 = (1, -1 | 2, 0.5), so alpha = (0, 1.25), constant along the path.
    // With the zero baseline A(x') = b, and A(x_j) - A(x') = t_j W x = t_j ((1, 1), (2, 0)):
    // D = sum_k alpha_k (W x)_k = (2.5, 0).
    const models::Model model = toy_model();
    const Tensor x = toy_input(), zero = Tensor::zeros(x.shape(), DType::F64);
    const cam::LayerCapture c = cam::capture_layer(model, x, "feat", std::vector<int64_t>{0});
    test::check_values(c.activations, {1.5, 1.5, 1.5, -0.5});
    test::check_values(c.gradients, {1, -1, 2, 0.5});
    test::check_values(c.scores, {2.85}, 1e-14);

    // Right sum, m = 4, mean of ReLU'd steps: mean_j t_j D = (0.25 + 0.5 + 0.75 + 1) / 4 D = 0.625 D.
    cam::IgCamResult r = cam::integrated_gradcam(model, x, zero, "feat", {0}, options(4, cam::Riemann::Right));
    test::check_values(r.map, {1.5625, 0}, 1e-14);
    // The network is linear above its input, so the Riemann-Stieltjes sum is exact:
    // y(x) - y(x') = 2.85 - (-1.15) = 4 = g . (A(x) - A(x')) = 1 - 1 + 4 + 0.
    CHECK(r.score_input[0] == doctest::Approx(2.85).epsilon(1e-14));
    CHECK(r.score_baseline[0] == doctest::Approx(-1.15).epsilon(1e-14));
    CHECK(r.stieltjes_sum[0] == doctest::Approx(4.0).epsilon(1e-14));
    CHECK(r.completeness_gap[0] < 1e-14);

    // Trapezoid and middle rules: sum_j w_j t_j = 0.5, so 0.5 D = (1.25, 0).
    test::check_values(cam::integrated_gradcam(model, x, zero, "feat", {0}, options(4, cam::Riemann::Trapezoid)).map,
                       {1.25, 0}, 1e-14);
    test::check_values(cam::integrated_gradcam(model, x, zero, "feat", {0}, options(4, cam::Riemann::Middle)).map,
                       {1.25, 0}, 1e-14);

    // The notebook preset with m = 4: left sum (t = 0, .25, .5, .75), no delta, plain sum:
    // sum_j ReLU(1.25 A1(x_j)), A1(x_j) = (2 t_j - 0.5, -0.5) -> 0 + 0 + 0.625 + 1.25 = 1.875 at
    // the first position, 0 at the second.
    cam::IgCamOptions notebook = cam::igcam_preset("notebook");
    notebook.steps = 4;
    r = cam::integrated_gradcam(model, x, zero, "feat", {0}, notebook);
    test::check_values(r.map, {1.875, 0}, 1e-14);
    CHECK(r.stieltjes_sum[0] == doctest::Approx(4.0).epsilon(1e-14));  // the left rule's audit is exact too
}

TEST_CASE("igcam: the completeness gap shrinks with the steps and is under 1% at 128") {
    // A random two-stage ResNet explained at its first stage for each image's top-1 class:
    // the second stage's ReLUs between the layer and the score make the path integral
    // genuinely curved, so the sum converges only as the steps grow (about as 1/m).
    const models::Model model = test::small_resnet(2, 5, 42);
    const Tensor x = random_uniform(Shape{2, 3, 32, 32}, -2, 2, 7, DType::F64);
    const Tensor black = Tensor::full(x.shape(), -1.0, DType::F64);
    const std::vector<int64_t> top1 = cam::resolve_classes("", model.class_names, cam::forward_layer(model, x, "layer1").logits);
    double previous = 1e9;
    for (int steps : {16, 32, 64, 128}) {
        cam::IgCamOptions o = options(steps, cam::Riemann::Right);
        o.batch = 64;
        const cam::IgCamResult r = cam::integrated_gradcam(model, x, black, "layer1", top1, o);
        const double gap = std::max(r.completeness_gap[0], r.completeness_gap[1]);
        MESSAGE(steps << " steps: completeness gap " << 100 * gap << "%");
        CHECK(gap < previous);
        previous = gap;
        if (steps == 128) CHECK(gap <= 0.01);
    }
}

TEST_CASE("igcam: steps run in batched passes") {
    const models::Model model = test::small_resnet(2, 5, 3);
    const Tensor x = random_uniform(Shape{1, 3, 16, 16}, -1, 1, 8, DType::F64);
    cam::IgCamOptions o = options(10, cam::Riemann::Right);
    o.batch = 4;
    const cam::IgCamResult r = cam::integrated_gradcam(model, x, Tensor::zeros(x.shape(), DType::F64), "layer2", {1}, o);
    CHECK(r.passes == 3);
    CHECK(r.batch_sizes == std::vector<int64_t>{4, 4, 2});
    // Batching does not change the result.
    o.batch = 10;
    const cam::IgCamResult one = cam::integrated_gradcam(model, x, Tensor::zeros(x.shape(), DType::F64), "layer2", {1}, o);
    CHECK(one.passes == 1);
    CHECK(test::relative_error(r.map, one.map) < 1e-14);
}

TEST_CASE("igcam: explaining a ResNet-50 at layer4 computes nothing below layer4") {
    const models::Model model =
        test::random_model(models::standard_architecture("resnet50", models::Variant::Torchvision, 10), 5, DType::F32);
    const Tensor x = random_uniform(Shape{1, 3, 64, 64}, -1, 1, 9, DType::F32);
    ag::GradientTrace trace;
    const cam::LayerCapture c =
        cam::capture_layer(model, x, "layer4", [](const Tensor&) { return std::vector<int64_t>{2}; }, &trace);
    // The backward pass visits the head only: the score, fc, flatten, avgpool and the tapped
    // layer4 output, which is the only leaf. No conv, batch norm or ReLU below layer4 appears,
    // and since parameters never require grad, no parameter gradient exists anywhere.
    std::vector<std::string> ops;
    for (const ag::TraceEntry& e : trace.entries) ops.push_back(e.op);
    CHECK(ops == std::vector<std::string>{"sum", "select_column", "linear", "reshape", "adaptive_avg_pool2d", "leaf"});
    CHECK(trace.entries.back().name == "layer4");
    CHECK(trace.entries.back().shape == Shape{1, 2048, 2, 2});
    CHECK(c.gradients.shape() == Shape{1, 2048, 2, 2});
}
