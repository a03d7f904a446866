// The engine: accumulation along several paths, repeated backward, taps, no-grad, the
// subgradient conventions at kinks and ties, and clear errors. Expected values are computed
// by hand in the comments.
#include <cmath>

#include "autograd/engine.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "core/ops.h"
#include "tests/test_util.h"

using namespace igcam;
using ag::Var;

namespace {
Var leaf(std::vector<double> values, bool requires_grad = true) {
    const int64_t n = static_cast<int64_t>(values.size());
    return Var(Tensor::from_values(Shape{n}, values, DType::F64), requires_grad);
}
}  // namespace

TEST_CASE("engine: diamond graph y = a*b + a") {
    // dy/da = b + 1 = 5, dy/db = a = 3 (a = 3, b = 4).
    Var a = leaf({3}), b = leaf({4});
    Var y = ag::add(ag::mul(a, b), a);
    ag::backward(ag::sum(y));
    test::check_values(y.value(), {15});
    test::check_values(a.grad(), {5});
    test::check_values(b.grad(), {3});
}

TEST_CASE("engine: a reused intermediate node") {
    // c = a*b = 6, d = c*c + c; dd/dc = 2c + 1 = 13, dd/da = 13 b = 39, dd/db = 13 a = 26.
    Var a = leaf({2}), b = leaf({3});
    Var c = ag::mul(a, b).retain_grad();
    Var d = ag::add(ag::mul(c, c), c);
    ag::backward(ag::sum(d));
    test::check_values(c.grad(), {13});
    test::check_values(a.grad(), {39});
    test::check_values(b.grad(), {26});
}

TEST_CASE("engine: a residual add sends gradient through both branches") {
    // y = relu(w * x) + x with a 1x1 convolution w = 2 over x = [1, -1]:
    // dy/dx = [2 * 1 + 1, 0 + 1] = [3, 1] (the ReLU blocks the conv branch at the negative pixel).
    Var x(Tensor::from_values(Shape{1, 1, 1, 2}, {1, -1}, DType::F64), true);
    Var w(Tensor::from_values(Shape{1, 1, 1, 1}, {2}, DType::F64));
    Var y = ag::add(ag::relu(ag::conv2d(x, w, Var(), Conv2dParams{})), x);
    ag::backward(ag::sum(y));
    test::check_values(y.value(), {3, -1});
    test::check_values(x.grad(), {3, 1});
    CHECK_FALSE(w.grad().defined());
}

TEST_CASE("engine: backward twice accumulates; zero_grads starts fresh") {
    // Documented behaviour: the graph is kept and each call adds into .grad.
    Var a = leaf({1.5, -2});
    Var mid = ag::scale(a, 3.0).retain_grad();
    Var loss = ag::sum(ag::mul(mid, mid));  // d loss / d mid = 2 mid = [9, -12]; d/da = 3 * that
    ag::backward(loss);
    test::check_values(a.grad(), {27, -36});
    ag::backward(loss);
    test::check_values(a.grad(), {54, -72});
    test::check_values(mid.grad(), {18, -24});
    ag::zero_grads(loss);
    CHECK_FALSE(a.grad().defined());
    ag::backward(loss);
    test::check_values(a.grad(), {27, -36});
    test::check_values(mid.grad(), {9, -12});
}

TEST_CASE("engine: a tap in the middle of a chain cuts everything below it") {
    Var x = leaf({0.5, -1.0, 2.0}).set_name("x");
    Var below = ag::relu(ag::scale(x, 2.0)).set_name("below");
    Var cut = ag::tap(below).set_name("tap");
    Var w = leaf({1, 2, 3}, false);
    Var out = ag::sum(ag::mul(cut, w));
    ag::GradientTrace trace;
    ag::backward(out, &trace);
    // The nodes below the tap were not visited: no relu, no affine, no x.
    CHECK(trace.find_op("relu") == -1);
    CHECK(trace.find_op("affine") == -1);
    CHECK(trace.find_name("x") == -1);
    REQUIRE(trace.entries.size() == 3);  // sum, mul, the tap leaf
    CHECK(trace.entries[2].name == "tap");
    CHECK(trace.entries[2].op == "leaf");
    test::check_values(cut.grad(), {1, 2, 3});
    CHECK_FALSE(x.grad().defined());
    CHECK_FALSE(below.grad().defined());
    CHECK_FALSE(w.grad().defined());
    // The tap shares the value of the layer output, it does not copy it.
    CHECK(cut.value().same_storage(below.value()));
}

TEST_CASE("engine: nothing requiring grad keeps no graph; NoGradGuard disables recording") {
    Var a = leaf({1, 2}, false);
    Var y = ag::relu(ag::scale(a, 2.0));
    CHECK(y.is_leaf());
    CHECK_FALSE(y.requires_grad());
    Var b = leaf({1, 2}, true);
    {
        ag::NoGradGuard no_grad;
        CHECK_FALSE(ag::grad_enabled());
        Var z = ag::relu(b);
        CHECK(z.is_leaf());
        CHECK_FALSE(z.requires_grad());
    }
    CHECK(ag::grad_enabled());
    Var z = ag::relu(b);
    CHECK_FALSE(z.is_leaf());
    CHECK(z.op() == "relu");
}

TEST_CASE("engine: ReLU's subgradient at exactly 0 is 0") {
    // PyTorch's convention: the gradient passes only where x > 0 (also for -0.0).
    Var x = leaf({-1.0, 0.0, -0.0, 1e-300, 2.0});
    ag::backward(ag::sum(ag::relu(x)));
    test::check_values(x.grad(), {0, 0, 0, 1, 1});
}

TEST_CASE("engine: max-pool ties send the gradient to the first maximum in row-major order") {
    // One 2x2 window of equal values, and a 3x3 window with its maximum 5 at (0,2) and (2,0).
    Var flat(Tensor::from_values(Shape{1, 1, 2, 2}, {7, 7, 7, 7}, DType::F64), true);
    ag::backward(ag::sum(ag::max_pool2d(flat, Pool2dParams::square(2, 2))));
    test::check_values(flat.grad(), {1, 0, 0, 0});
    Var two(Tensor::from_values(Shape{1, 1, 3, 3}, {1, 2, 5, 3, 4, 0, 5, 1, 2}, DType::F64), true);
    ag::backward(ag::sum(ag::max_pool2d(two, Pool2dParams::square(3, 1))));
    test::check_values(two.grad(), {0, 0, 1, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("engine: errors are sentences, not crashes") {
    Var a = leaf({1, 2}, false);
    CHECK_THROWS_WITH_AS(ag::backward(ag::sum(a)),
                         "backward: the root does not require grad (no input was marked with requires_grad "
                         "or tap(), or it was computed under NoGradGuard)",
                         ValueError);
    Var b = leaf({1, 2});
    Var y = ag::scale(b, 2.0);
    CHECK_THROWS_WITH_AS(ag::backward(y), "backward: the root has shape (2); pass a seed gradient of that shape",
                         ShapeError);
    CHECK_THROWS_WITH_AS(ag::backward(y, nullptr, Tensor::zeros(Shape{3}, DType::F64)),
                         "autograd: the seed gradient has shape (3) but the value has shape (2)", ShapeError);
    CHECK_THROWS_WITH_AS(ag::backward(y, nullptr, Tensor::zeros(Shape{2}, DType::F32)),
                         "autograd: the seed gradient is f32 but the value is f64", DTypeError);
    CHECK_THROWS_WITH_AS(y.set_requires_grad(false),
                         "autograd: set_requires_grad on the output of affine; only leaves can be marked (use "
                         "tap() to cut the graph at an intermediate)",
                         ValueError);
    // A backward function that returns a wrongly shaped gradient is caught by the engine.
    Var bad = ag::make_result(b.value().clone(), "broken", {b}, [](const Tensor&, const std::vector<bool>&) {
        return std::vector<Tensor>{Tensor::zeros(Shape{3}, DType::F64)};
    });
    CHECK_THROWS_WITH_AS(ag::backward(ag::sum(bad)),
                         "autograd: the gradient of input 0 of broken has shape (3) but the value has shape (2)",
                         ShapeError);
}

TEST_CASE("engine: select_column picks one class score per image") {
    Var logits(Tensor::from_values(Shape{2, 3}, {1, 2, 3, 4, 5, 6}, DType::F64), true);
    Var score = ag::select_column(logits, 2);
    test::check_values(score.value(), {3, 6});
    ag::backward(ag::sum(score));
    test::check_values(logits.grad(), {0, 0, 1, 0, 0, 1});
    CHECK_THROWS_WITH_AS(ag::select_column(logits, 3), "select_column: column 3 is out of range for shape (2, 3)",
                         ValueError);
}
