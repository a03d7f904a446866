// The gradient trace of a small conv-relu-pool-linear chain: nodes listed from the seed to
// the leaves in order, with the right shapes, and statistics that match the retained
// gradients computed independently here.
#include <cmath>

#include "autograd/engine.h"
#include "autograd/functions.h"
#include "core/ops.h"
#include "core/random.h"
#include "tests/test_util.h"

using namespace igcam;
using ag::Var;

TEST_CASE("trace: conv-relu-pool-linear lists the path with matching gradient statistics") {
    const DType dt = DType::F64;
    Var x(random_uniform(Shape{2, 3, 6, 6}, -1, 1, 1, dt), true);
    x.set_name("input");
    Var w1(random_normal(Shape{4, 3, 3, 3}, 0.5, 2, dt)), b1(random_uniform(Shape{4}, -0.2, 0.2, 3, dt));
    Var w2(random_normal(Shape{5, 36}, 0.3, 4, dt)), b2(random_uniform(Shape{5}, -0.2, 0.2, 5, dt));
    Conv2dParams same;
    same.pad = Padding2d::uniform(1);

    Var conv = ag::conv2d(x, w1, b1, same).set_name("conv").retain_grad();
    Var act = ag::relu(conv).set_name("relu").retain_grad();
    Var pooled = ag::max_pool2d(act, Pool2dParams::square(2, 2)).set_name("pool").retain_grad();
    Var flat = ag::flatten(pooled).set_name("flatten").retain_grad();
    Var logits = ag::linear(flat, w2, b2).set_name("fc").retain_grad();
    Var score = ag::select_column(logits, 1).set_name("score").retain_grad();
    ag::GradientTrace trace;
    ag::backward(ag::sum(score), &trace);

    struct Expected {
        const char* op;
        Shape shape;
        Var var;
    };
    const std::vector<Expected> path{
        {"select_column", Shape{2}, score},   {"linear", Shape{2, 5}, logits}, {"reshape", Shape{2, 36}, flat},
        {"max_pool2d", Shape{2, 4, 3, 3}, pooled}, {"relu", Shape{2, 4, 6, 6}, act},
        {"conv2d", Shape{2, 4, 6, 6}, conv},  {"leaf", Shape{2, 3, 6, 6}, x}};
    REQUIRE(trace.entries.size() == path.size() + 1);
    CHECK(trace.entries[0].op == "sum");
    CHECK(trace.entries[0].l2 == 1.0);
    for (std::size_t i = 0; i < path.size(); ++i) {
        const ag::TraceEntry& e = trace.entries[i + 1];
        CAPTURE(i);
        CHECK(e.op == path[i].op);
        CHECK(e.shape == path[i].shape);
        CHECK(e.name == path[i].var.name());
        // Recompute the statistics from the retained gradient itself.
        const std::vector<double> g = path[i].var.grad().to_vector();
        double squares = 0, lo = g[0], hi = g[0];
        int64_t zeros = 0;
        for (double v : g) {
            squares += v * v;
            lo = std::min(lo, v);
            hi = std::max(hi, v);
            zeros += (v == 0.0);
        }
        CHECK(e.l2 == doctest::Approx(std::sqrt(squares)).epsilon(1e-14));
        CHECK(e.min == lo);
        CHECK(e.max == hi);
        CHECK(e.zero_fraction == doctest::Approx(static_cast<double>(zeros) / static_cast<double>(g.size())));
    }
    // The score's gradient is 1 per image; max-pool routes to one of four, so at least 3/4
    // of the ReLU output's gradient is exactly 0.
    CHECK(trace.entries[1].l2 == doctest::Approx(std::sqrt(2.0)));
    CHECK(trace.entries[5].zero_fraction >= 0.75);
    // Weights do not require grad: never visited, never given a gradient.
    CHECK_FALSE(w1.grad().defined());
    CHECK_FALSE(w2.grad().defined());

    const std::string table = trace.to_string();
    CHECK(table.find("max_pool2d") != std::string::npos);
    CHECK(table.find("(2, 4, 3, 3)") != std::string::npos);
}
