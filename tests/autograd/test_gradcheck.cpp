// Every differentiable function against float64 central differences (eps 1e-6, atol 1e-5,
// rtol 1e-3), on at least three parameterisations each: odd sizes, stride 2, padding,
// ceil_mode, batch > 1. Inputs stay away from kinks (ReLU at 0) and ties (max-pool).
#include "autograd/functions.h"
#include "core/ops.h"
#include "core/random.h"
#include "tests/test_util.h"

using namespace igcam;
using ag::Var;
using Vars = std::vector<Var>;

namespace {

Tensor uniform(const Shape& s, uint64_t seed) { return random_uniform(s, -1, 1, seed, DType::F64); }
// Distinct values at least 2 / numel apart, so every max-pool window has one clear maximum.
Tensor tie_free(const Shape& s, uint64_t seed) { return random_unique(s, -1, 1, seed, DType::F64); }

Conv2dParams conv(int64_t sh, int64_t sw, Padding2d pad) {
    Conv2dParams p;
    p.stride_h = sh;
    p.stride_w = sw;
    p.pad = pad;
    return p;
}

Pool2dParams pool(int64_t k, int64_t s, int64_t pad, bool ceil, bool include_pad = true) {
    Pool2dParams p = Pool2dParams::square(k, s, pad, ceil);
    p.count_include_pad = include_pad;
    return p;
}

}  // namespace

TEST_CASE("gradcheck: conv2d with respect to input, weight and bias") {
    struct Case {
        Shape x, w;
        Conv2dParams p;
    };
    const std::vector<Case> cases{
        {Shape{2, 2, 5, 5}, Shape{3, 2, 3, 3}, conv(1, 1, Padding2d::uniform(1))},
        {Shape{1, 3, 7, 6}, Shape{2, 3, 3, 2}, conv(2, 2, Padding2d{0, 1, 1, 0})},
        {Shape{3, 2, 4, 4}, Shape{2, 2, 1, 1}, conv(1, 1, Padding2d{})},
        {Shape{2, 1, 6, 5}, Shape{2, 1, 2, 3}, conv(2, 1, Padding2d{1, 0, 0, 2})},
    };
    uint64_t seed = 10;
    for (const Case& c : cases) {
        const Conv2dParams p = c.p;
        test::check_gradients(
            "conv2d " + c.x.to_string() + " * " + c.w.to_string(),
            [p](const Vars& v) { return ag::conv2d(v[0], v[1], v[2], p); },
            {uniform(c.x, ++seed), uniform(c.w, ++seed), uniform(Shape{c.w[0]}, ++seed)});
    }
}

TEST_CASE("gradcheck: linear") {
    uint64_t seed = 20;
    for (auto [n, in, out] : std::vector<std::array<int64_t, 3>>{{1, 3, 2}, {3, 5, 4}, {4, 7, 1}}) {
        test::check_gradients("linear", [](const Vars& v) { return ag::linear(v[0], v[1], v[2]); },
                              {uniform(Shape{n, in}, ++seed), uniform(Shape{out, in}, ++seed),
                               uniform(Shape{out}, ++seed)});
    }
}

TEST_CASE("gradcheck: relu away from its kink") {
    for (const Shape& s : {Shape{7}, Shape{2, 3, 3}, Shape{2, 2, 3, 5}}) {
        test::check_gradients("relu " + s.to_string(), [](const Vars& v) { return ag::relu(v[0]); },
                              {test::away_from_zero(s, 30 + static_cast<uint64_t>(s.numel()))});
    }
}

TEST_CASE("gradcheck: max_pool2d on tie-free inputs") {
    const std::vector<std::pair<Shape, Pool2dParams>> cases{
        {Shape{2, 2, 5, 5}, pool(2, 2, 0, false)},
        {Shape{1, 3, 5, 7}, pool(2, 2, 0, true)},   // odd size, ceil_mode keeps the last partial window
        {Shape{2, 1, 6, 6}, pool(3, 2, 1, false)},  // ResNet's stem pool: padding 1
        {Shape{1, 2, 7, 7}, pool(3, 2, 0, true)},   // TorchRay's ceil-mode pool
        {Shape{2, 2, 4, 5}, pool(3, 1, 1, false)},  // overlapping windows
    };
    uint64_t seed = 40;
    for (const auto& [shape, p] : cases) {
        const Pool2dParams params = p;
        test::check_gradients("max_pool2d " + shape.to_string(),
                              [params](const Vars& v) { return ag::max_pool2d(v[0], params); },
                              {tie_free(shape, ++seed)});
    }
}

TEST_CASE("gradcheck: avg_pool2d") {
    const std::vector<std::pair<Shape, Pool2dParams>> cases{
        {Shape{2, 2, 5, 5}, pool(2, 2, 0, false)},
        {Shape{1, 3, 5, 7}, pool(3, 2, 1, true)},
        {Shape{2, 1, 6, 5}, pool(3, 2, 1, false, false)},  // count_include_pad = false
    };
    uint64_t seed = 50;
    for (const auto& [shape, p] : cases) {
        const Pool2dParams params = p;
        test::check_gradients("avg_pool2d " + shape.to_string(),
                              [params](const Vars& v) { return ag::avg_pool2d(v[0], params); },
                              {uniform(shape, ++seed)});
    }
}

TEST_CASE("gradcheck: adaptive_avg_pool2d (global and overlapping cells)") {
    const std::vector<std::tuple<Shape, int64_t, int64_t>> cases{
        {Shape{2, 3, 4, 5}, 1, 1}, {Shape{1, 2, 5, 7}, 3, 3}, {Shape{2, 1, 7, 7}, 7, 7}, {Shape{1, 1, 3, 4}, 2, 5}};
    uint64_t seed = 60;
    for (const auto& [shape, oh, ow] : cases) {
        const int64_t h = oh, w = ow;
        test::check_gradients("adaptive_avg_pool2d " + shape.to_string(),
                              [h, w](const Vars& v) { return ag::adaptive_avg_pool2d(v[0], h, w); },
                              {uniform(shape, ++seed)});
    }
}

TEST_CASE("gradcheck: batch_norm (inference) with respect to its input") {
    uint64_t seed = 70;
    for (const Shape& s : {Shape{2, 3, 4, 4}, Shape{3, 5}, Shape{1, 2, 3, 5}}) {
        const int64_t c = s[1];
        const Tensor gamma = uniform(Shape{c}, ++seed), beta = uniform(Shape{c}, ++seed);
        const Tensor mean = uniform(Shape{c}, ++seed);
        const Tensor var = random_uniform(Shape{c}, 0.2, 2.0, ++seed, DType::F64);
        test::check_gradients("batch_norm " + s.to_string(),
                              [=](const Vars& v) { return ag::batch_norm(v[0], gamma, beta, mean, var, 1e-5); },
                              {uniform(s, ++seed)});
    }
}

TEST_CASE("gradcheck: broadcasting add, sub, mul") {
    const std::vector<std::pair<Shape, Shape>> cases{
        {Shape{2, 3}, Shape{2, 3}}, {Shape{2, 3, 4}, Shape{4}}, {Shape{2, 1, 3}, Shape{5, 1}}, {Shape{2, 4, 3, 3}, Shape{2, 4, 1, 1}}};
    uint64_t seed = 80;
    for (const auto& [sa, sb] : cases) {
        const std::vector<Tensor> inputs{uniform(sa, ++seed), uniform(sb, ++seed)};
        const std::string shapes = sa.to_string() + " with " + sb.to_string();
        test::check_gradients("add " + shapes, [](const Vars& v) { return ag::add(v[0], v[1]); }, inputs);
        test::check_gradients("sub " + shapes, [](const Vars& v) { return ag::sub(v[0], v[1]); }, inputs);
        test::check_gradients("mul " + shapes, [](const Vars& v) { return ag::mul(v[0], v[1]); }, inputs);
    }
}

TEST_CASE("gradcheck: affine and scale") {
    uint64_t seed = 90;
    for (double alpha : {2.5, -0.5, 1e-3}) {
        test::check_gradients("affine", [alpha](const Vars& v) { return ag::affine(v[0], alpha, 0.25); },
                              {uniform(Shape{3, 4}, ++seed)});
        test::check_gradients("scale", [alpha](const Vars& v) { return ag::scale(v[0], alpha); },
                              {uniform(Shape{2, 3, 2}, ++seed)});
    }
}

TEST_CASE("gradcheck: sum and mean over axes") {
    const std::vector<std::pair<std::vector<int>, bool>> cases{{{}, false}, {{1}, true}, {{0, 2}, false}, {{-1}, true}};
    uint64_t seed = 100;
    for (const auto& [axes, keepdim] : cases) {
        const std::vector<int> a = axes;
        const bool k = keepdim;
        test::check_gradients("sum", [a, k](const Vars& v) { return ag::sum(v[0], a, k); },
                              {uniform(Shape{3, 4, 5}, ++seed)});
        test::check_gradients("mean", [a, k](const Vars& v) { return ag::mean(v[0], a, k); },
                              {uniform(Shape{2, 3, 3}, ++seed)});
    }
}

TEST_CASE("gradcheck: softmax along each axis") {
    uint64_t seed = 110;
    for (int axis : {-1, 0, 1}) {
        test::check_gradients("softmax axis " + std::to_string(axis),
                              [axis](const Vars& v) { return ag::softmax(v[0], axis); },
                              {random_uniform(Shape{3, 4, 2}, -2, 2, ++seed, DType::F64)});
    }
}

TEST_CASE("gradcheck: resize_bilinear up, down and by non-integer ratios") {
    const std::vector<std::tuple<Shape, int64_t, int64_t>> cases{
        {Shape{2, 2, 3, 3}, 7, 5}, {Shape{1, 3, 8, 6}, 3, 4}, {Shape{2, 1, 4, 5}, 4, 11}, {Shape{1, 1, 1, 1}, 3, 2}};
    uint64_t seed = 120;
    for (const auto& [shape, oh, ow] : cases) {
        const int64_t h = oh, w = ow;
        test::check_gradients("resize_bilinear " + shape.to_string(),
                              [h, w](const Vars& v) { return ag::resize_bilinear(v[0], h, w); },
                              {uniform(shape, ++seed)});
    }
}

TEST_CASE("gradcheck: pad2d, reshape, flatten, select_column") {
    uint64_t seed = 130;
    for (const Padding2d& pad : {Padding2d{1, 1, 1, 1}, Padding2d{0, 2, 3, 0}, Padding2d{3, 0, 0, 1}}) {
        test::check_gradients("pad2d", [pad](const Vars& v) { return ag::pad2d(v[0], pad); },
                              {uniform(Shape{2, 2, 3, 4}, ++seed)});
    }
    test::check_gradients("reshape", [](const Vars& v) { return ag::reshape(ag::scale(v[0], 3.0), Shape{4, 6}); },
                          {uniform(Shape{2, 3, 4}, ++seed)});
    test::check_gradients("flatten", [](const Vars& v) { return ag::mul(ag::flatten(v[0]), ag::flatten(v[0])); },
                          {uniform(Shape{2, 3, 2, 2}, ++seed)});
    test::check_gradients("select_column", [](const Vars& v) { return ag::select_column(ag::mul(v[0], v[0]), 1); },
                          {uniform(Shape{3, 4}, ++seed)});
}

TEST_CASE("gradcheck: a small network end to end uses the random-direction check") {
    // conv -> batch norm -> relu -> max-pool -> flatten -> linear, batch 2, checked by v^T J u
    // along random directions (the limit is lowered so this size takes that path).
    const Tensor gamma = uniform(Shape{3}, 1), beta = uniform(Shape{3}, 2), mean = uniform(Shape{3}, 3);
    const Tensor var = random_uniform(Shape{3}, 0.5, 1.5, 4, DType::F64);
    Conv2dParams p;
    p.pad = Padding2d::uniform(1);
    auto net = [=](const Vars& v) {
        Var h = ag::relu(ag::batch_norm(ag::conv2d(v[0], v[1], v[2], p), gamma, beta, mean, var, 1e-5));
        return ag::linear(ag::flatten(ag::max_pool2d(h, Pool2dParams::square(2, 2))), v[3], Var());
    };
    ag::GradcheckOptions options;
    options.full_jacobian_limit = 1000;
    const ag::GradcheckResult r = ag::gradcheck(net, {uniform(Shape{2, 2, 6, 6}, 5), uniform(Shape{3, 2, 3, 3}, 6),
                                                      uniform(Shape{3}, 7), uniform(Shape{4, 27}, 8)},
                                                options);
    INFO(r.first_failure);
    CHECK_FALSE(r.full_jacobian);
    CHECK(r.passed);
    CHECK(r.comparisons == 6 * 4);
}

TEST_CASE("gradcheck: a wrong backward is caught") {
    // y = x^2 with a backward that forgets the factor 2.
    auto wrong = [](const Vars& v) {
        const Tensor x = v[0].value();
        return ag::make_result(ops::mul(x, x), "square_wrong", {v[0]},
                               [x](const Tensor& dy, const std::vector<bool>&) {
                                   return std::vector<Tensor>{ops::mul(dy, x)};
                               });
    };
    const ag::GradcheckResult full = ag::gradcheck(wrong, {uniform(Shape{4}, 9)});
    CHECK(full.full_jacobian);
    CHECK_FALSE(full.passed);
    CHECK(full.first_failure.find("d out[0] / d input0[0]") == 0);
    ag::GradcheckOptions directions;
    directions.full_jacobian_limit = 0;
    CHECK_FALSE(ag::gradcheck(wrong, {uniform(Shape{4}, 9)}, directions).passed);
}
