// Hand-computed tiny examples for the activation, pooling and batch-norm ops of core/ops.h. Each expected value is
// worked out in the comments; inputs are small integers or halves so the results are exact
// in f32 and f64 (an atol appears only where a division by 3 or an exp/log is involved).
#include "tests/test_util.h"

#include <cmath>
#include <vector>

#include "core/ops.h"
#include "core/random.h"
#include "tests/core/ops_cases.h"

namespace igcam {

using namespace test;

// =====================================================================================
// activations
// =====================================================================================

TEST_CASE("ops: relu_forward and relu_backward, gradient 0 at exactly 0") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        const Tensor x = make(Shape{2, 3}, {-2, -0.5, 0, 0.5, 3, -0.0}, dt);
        const Tensor y = ops::relu_forward(x);
        CHECK(y.shape() == Shape{2, 3});
        CHECK(y.dtype() == dt);
        check_values(y, {0, 0, 0, 0.5, 3, 0});
        // The gradient passes only where x > 0: x = 0 and x = -0 both block it.
        const Tensor gy = make(Shape{2, 3}, {1, 2, 3, 4, 5, 6}, dt);
        check_values(ops::relu_backward(gy, x), {0, 0, 0, 4, 5, 0});
        // Any shape: a 4-D one.
        const Tensor x4 = make(Shape{1, 2, 1, 2}, {1, -1, 0, 2}, dt);
        check_values(ops::relu_forward(x4), {1, 0, 0, 2});
        check_values(ops::relu_backward(make(Shape{1, 2, 1, 2}, {7, 7, 7, 7}, dt), x4), {7, 0, 0, 7});
        // Inputs are left alone.
        check_values(x, {-2, -0.5, 0, 0.5, 3, 0});
    }
}

TEST_CASE("ops: softmax_forward") {
    const double ln2 = std::log(2.0), ln3 = std::log(3.0), ln4 = std::log(4.0), ln5 = std::log(5.0),
                 ln8 = std::log(8.0);
    SUBCASE("[0, ln 3] -> [0.25, 0.75]") {
        for (DType dt : kBothDTypes) {
            INFO("dtype ", dtype_name(dt));
            const Tensor y = ops::softmax_forward(make(Shape{1, 2}, {0, ln3}, dt), -1);
            CHECK(y.shape() == Shape{1, 2});
            check_values(y, {0.25, 0.75}, tol(dt));
            // e^0 / (e^0 + e^ln3) = 1/4, independent of a large common offset (max subtracted).
            check_values(ops::softmax_forward(make(Shape{1, 2}, {1000, 1000 + ln3}, dt), 1), {0.25, 0.75},
                         dt == DType::F32 ? 1e-4 : 1e-12);
        }
    }
    SUBCASE("rows and columns of a 2x3") {
        // x = [[ln1, ln2, ln5], [ln4, ln4, ln8]].
        const Tensor x = make(Shape{2, 3}, {0, ln2, ln5, ln4, ln4, ln8});
        // Along axis 1: [1,2,5]/8 = [0.125, 0.25, 0.625]; [4,4,8]/16 = [0.25, 0.25, 0.5].
        check_values(ops::softmax_forward(x, 1), {0.125, 0.25, 0.625, 0.25, 0.25, 0.5}, 1e-12);
        check_values(ops::softmax_forward(x, -1), {0.125, 0.25, 0.625, 0.25, 0.25, 0.5}, 1e-12);
        // Along axis 0: columns [1,4]/5, [2,4]/6, [5,8]/13.
        check_values(ops::softmax_forward(x, 0), {0.2, 1.0 / 3, 5.0 / 13, 0.8, 2.0 / 3, 8.0 / 13}, 1e-12);
    }
    SUBCASE("channel axis of an NCHW tensor") {
        // x (1, 2, 1, 2): c0 = [0, ln3], c1 = [ln3, 0]; softmax over C pairs (c0, c1) per pixel:
        // pixel 0: (0, ln3) -> (0.25, 0.75); pixel 1: (ln3, 0) -> (0.75, 0.25).
        const Tensor x = make(Shape{1, 2, 1, 2}, {0, ln3, ln3, 0});
        check_values(ops::softmax_forward(x, 1), {0.25, 0.75, 0.75, 0.25}, 1e-12);
    }
}

TEST_CASE("ops: softmax_backward") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // gx = y * (g - sum(g * y)) along the axis.
        // Row 0: y = [0.125, 0.25, 0.625], g = [1,2,3]: s = 0.125 + 0.5 + 1.875 = 2.5,
        //        gx = y * [-1.5, -0.5, 0.5] = [-0.1875, -0.125, 0.3125].
        // Row 1: y = [0.25, 0.25, 0.5], g = [4,0,2]: s = 1 + 0 + 1 = 2, gx = y * [2,-2,0] = [0.5,-0.5,0].
        const Tensor y = make(Shape{2, 3}, {0.125, 0.25, 0.625, 0.25, 0.25, 0.5}, dt);
        const Tensor g = make(Shape{2, 3}, {1, 2, 3, 4, 0, 2}, dt);
        const Tensor gx = ops::softmax_backward(g, y, 1);
        CHECK(gx.shape() == Shape{2, 3});
        check_values(gx, {-0.1875, -0.125, 0.3125, 0.5, -0.5, 0}, tol(dt));
        check_values(ops::softmax_backward(g, y, -1), {-0.1875, -0.125, 0.3125, 0.5, -0.5, 0}, tol(dt));
        // Along axis 0 of y = [[0.25, 0.5],[0.75, 0.5]], g = [[1, 2],[0, 4]]:
        // column 0: s = 0.25, gx = [0.25*0.75, 0.75*(-0.25)] = [0.1875, -0.1875];
        // column 1: s = 1 + 2 = 3, gx = [0.5*(-1), 0.5*1] = [-0.5, 0.5].
        const Tensor y2 = make(Shape{2, 2}, {0.25, 0.5, 0.75, 0.5}, dt);
        const Tensor g2 = make(Shape{2, 2}, {1, 2, 0, 4}, dt);
        check_values(ops::softmax_backward(g2, y2, 0), {0.1875, -0.5, -0.1875, 0.5}, tol(dt));
    }
}

// =====================================================================================
// pooling
// =====================================================================================

TEST_CASE("ops: pool2d_output_shape") {
    // (5 - 2) / 2 + 1 = 2 (floor), ceil: ceil(3 / 2) + 1 = 3 (the last window starts at 4 < 5).
    CHECK(ops::pool2d_output_shape(Shape{2, 3, 5, 5}, Pool2dParams::square(2, 2)) == Shape{2, 3, 2, 2});
    CHECK(ops::pool2d_output_shape(Shape{2, 3, 5, 5}, Pool2dParams::square(2, 2, 0, true)) == Shape{2, 3, 3, 3});
    // 3x3, k2 s2 p1: span 3 + 2 - 2 = 3 -> floor 2; ceil would give 3 but that window would
    // start at 2*2 - 1 = 3, inside the trailing padding, so it is dropped -> 2.
    CHECK(ops::pool2d_output_shape(Shape{1, 1, 3, 3}, Pool2dParams::square(2, 2, 1, false)) == Shape{1, 1, 2, 2});
    CHECK(ops::pool2d_output_shape(Shape{1, 1, 3, 3}, Pool2dParams::square(2, 2, 1, true)) == Shape{1, 1, 2, 2});
    // 4x4, k3 s2 p1: span 4 + 2 - 3 = 3 -> floor 2, ceil 3 (last window starts at 3 < 4 + 1).
    CHECK(ops::pool2d_output_shape(Shape{1, 1, 4, 4}, Pool2dParams::square(3, 2, 1, false)) == Shape{1, 1, 2, 2});
    CHECK(ops::pool2d_output_shape(Shape{1, 1, 4, 4}, Pool2dParams::square(3, 2, 1, true)) == Shape{1, 1, 3, 3});
    // Overlapping k3 s1: 4 - 3 + 1 = 2.
    CHECK(ops::pool2d_output_shape(Shape{1, 2, 4, 4}, Pool2dParams::square(3, 1)) == Shape{1, 2, 2, 2});
    // Non-square kernel 1x2, strides (1, 2) on 3x4: H 3 - 1 + 1 = 3, W (4 - 2) / 2 + 1 = 2.
    Pool2dParams p;
    p.kernel_h = 1;
    p.kernel_w = 2;
    p.stride_h = 1;
    p.stride_w = 2;
    CHECK(ops::pool2d_output_shape(Shape{1, 1, 3, 4}, p) == Shape{1, 1, 3, 2});
}

TEST_CASE("ops: max_pool2d_forward and backward, k2 s2 with a tie") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        //   1 3 | 2 0
        //   4 2 | 1 5
        //   ----+----
        //   0 1 | 5 7
        //   2 6 | 7 1
        // Maxima: 4 at (1,0), 5 at (1,3), 6 at (3,1), and 7 tied at (2,3) and (3,2): the first in
        // row-major window order is (2,3) (column-major order would pick (3,2)).
        const Tensor x = make(Shape{1, 1, 4, 4}, {1, 3, 2, 0, 4, 2, 1, 5, 0, 1, 5, 7, 2, 6, 7, 1}, dt);
        const Pool2dParams p = Pool2dParams::square(2, 2);
        const Tensor y = ops::max_pool2d_forward(x, p);
        CHECK(y.shape() == Shape{1, 1, 2, 2});
        check_values(y, {4, 5, 6, 7});
        const Tensor gx = ops::max_pool2d_backward(make(Shape{1, 1, 2, 2}, {1, 2, 3, 4}, dt), x, p);
        CHECK(gx.shape() == Shape{1, 1, 4, 4});
        check_values(gx, {0, 0, 0, 0,  //
                          1, 0, 0, 2,  //
                          0, 0, 0, 4,  //
                          0, 3, 0, 0});
        // A window that is all equal sends the gradient to its top-left element.
        const Tensor flat = make(Shape{1, 1, 2, 2}, {2, 2, 2, 2}, dt);
        check_values(ops::max_pool2d_backward(make(Shape{1, 1, 1, 1}, {5}, dt), flat, p), {5, 0, 0, 0});
    }
}

TEST_CASE("ops: max_pool2d_forward and backward, ceil_mode on 5x5") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // x[h][w] = 5h + w. Windows along each axis: {0,1}, {2,3}, {4} (the last one clipped), so
        // the max is x at rows {1,3,4} x cols {1,3,4}: [[6,8,9],[16,18,19],[21,23,24]].
        const Tensor x = iota(Shape{1, 1, 5, 5}, 0.0, dt);
        const Tensor y = ops::max_pool2d_forward(x, Pool2dParams::square(2, 2, 0, true));
        CHECK(y.shape() == Shape{1, 1, 3, 3});
        check_values(y, {6, 8, 9, 16, 18, 19, 21, 23, 24});
        // Floor mode drops the partial windows: [[6,8],[16,18]].
        check_values(ops::max_pool2d_forward(x, Pool2dParams::square(2, 2, 0, false)), {6, 8, 16, 18});
        // gy = 1..9 lands on those argmax positions.
        const Tensor gx =
            ops::max_pool2d_backward(iota(Shape{1, 1, 3, 3}, 1.0, dt), x, Pool2dParams::square(2, 2, 0, true));
        check_values(gx, {0, 0, 0, 0, 0,  //
                          0, 1, 0, 2, 3,  //
                          0, 0, 0, 0, 0,  //
                          0, 4, 0, 5, 6,  //
                          0, 7, 0, 8, 9});
    }
}

TEST_CASE("ops: max_pool2d_forward and backward, padding never wins") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // 3x3, k2 s2 p1: windows along each axis cover {0} and {1,2}.
        // c0 = 1..9: y = [max{1}, max{2,3}, max{4,7}, max{5,6,8,9}] = [1,3,7,9].
        // c1 = -(1..9): y = [-1, -2, -4, -5] (a zero from the padding must not win).
        const Tensor x = make(Shape{1, 2, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9,  //
                                                  -1, -2, -3, -4, -5, -6, -7, -8, -9},
                              dt);
        const Pool2dParams p = Pool2dParams::square(2, 2, 1);
        const Tensor y = ops::max_pool2d_forward(x, p);
        CHECK(y.shape() == Shape{1, 2, 2, 2});
        check_values(y, {1, 3, 7, 9, -1, -2, -4, -5});
        // gy c0 [1,2,3,4] -> positions (0,0), (0,2), (2,0), (2,2);
        // gy c1 [5,6,7,8] -> positions (0,0), (0,1), (1,0), (1,1).
        const Tensor gy = make(Shape{1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}, dt);
        check_values(ops::max_pool2d_backward(gy, x, p), {1, 0, 2, 0, 0, 0, 3, 0, 4,  //
                                                          5, 6, 0, 7, 8, 0, 0, 0, 0});
    }
}

TEST_CASE("ops: max_pool2d_forward equals a window-by-window scan (strides 1-3, asymmetric padding, NaN)") {
    // The kernel computes windows inside the input a tap at a time across a row; this scan
    // takes each window whole: the first element, then every later one that is greater.
    struct PoolCase {
        int64_t h, w, k, s;
        Padding2d pad;
        bool ceil;
    };
    const std::vector<PoolCase> cases = {{9, 13, 3, 2, {1, 1, 1, 1}, false}, {8, 11, 3, 1, {0, 1, 1, 0}, false},
                                         {10, 10, 2, 3, {1, 0, 0, 1}, true}, {5, 17, 3, 2, {0, 0, 1, 1}, true},
                                         {7, 7, 1, 1, {}, false}};
    uint64_t seed = 70;
    for (const PoolCase& c : cases) {
        for (DType dt : kBothDTypes) {
            CAPTURE(c.h); CAPTURE(c.w); CAPTURE(c.k); CAPTURE(c.s); CAPTURE(dtype_name(dt));
            Tensor x = random_uniform(Shape{2, 3, c.h, c.w}, -1, 1, ++seed, dt);
            std::vector<double> xv = x.to_vector();
            // NaNs: a window keeps one that comes first in it (nothing is greater) and skips
            // one that comes later (a NaN is never greater), on both paths alike.
            xv[5] = NAN;
            xv[static_cast<std::size_t>(2 * c.w + 3)] = NAN;
            x = Tensor::from_values(x.shape(), xv, dt);
            Pool2dParams p = Pool2dParams::square(c.k, c.s, 0, c.ceil);
            p.pad = c.pad;
            const Tensor y = ops::max_pool2d_forward(x, p);
            const std::vector<double> got = y.to_vector();
            for (int64_t plane = 0; plane < 6; ++plane)
                for (int64_t oh = 0; oh < y.dim(2); ++oh)
                    for (int64_t ow = 0; ow < y.dim(3); ++ow) {
                        bool any = false;
                        double best = 0;
                        for (int64_t i = oh * c.s - c.pad.top; i < oh * c.s - c.pad.top + c.k; ++i)
                            for (int64_t j = ow * c.s - c.pad.left; j < ow * c.s - c.pad.left + c.k; ++j) {
                                if (i < 0 || i >= c.h || j < 0 || j >= c.w) continue;
                                const double v = xv[static_cast<std::size_t>((plane * c.h + i) * c.w + j)];
                                if (!any || v > best) best = v;
                                any = true;
                            }
                        const double out = got[static_cast<std::size_t>((plane * y.dim(2) + oh) * y.dim(3) + ow)];
                        CAPTURE(plane); CAPTURE(oh); CAPTURE(ow);
                        if (std::isnan(best)) CHECK(std::isnan(out));
                        else CHECK(out == best);
                    }
        }
    }
}

TEST_CASE("ops: max_pool2d_backward, overlapping k3 s1 windows sum their gradients") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        //   1 2 3 4
        //   9 1 1 1
        //   1 1 6 1
        //   1 1 1 8
        // Windows (rows, cols): (0-2, 0-2) -> 9 at (1,0); (0-2, 1-3) -> 6 at (2,2);
        //                       (1-3, 0-2) -> 9 at (1,0); (1-3, 1-3) -> 8 at (3,3).
        const Tensor x = make(Shape{1, 1, 4, 4}, {1, 2, 3, 4, 9, 1, 1, 1, 1, 1, 6, 1, 1, 1, 1, 8}, dt);
        const Pool2dParams p = Pool2dParams::square(3, 1);
        check_values(ops::max_pool2d_forward(x, p), {9, 6, 9, 8});
        // gy = [[1,2],[3,4]]: (1,0) gets 1 + 3 = 4, (2,2) gets 2, (3,3) gets 4.
        const Tensor gx = ops::max_pool2d_backward(make(Shape{1, 1, 2, 2}, {1, 2, 3, 4}, dt), x, p);
        check_values(gx, {0, 0, 0, 0,  //
                          4, 0, 0, 0,  //
                          0, 0, 2, 0,  //
                          0, 0, 0, 4});
    }
}

TEST_CASE("ops: max_pool2d_forward, batch 2") {
    // Each (n, c) plane is pooled on its own: n0 [1,2,3,4] -> 4, n1 [8,-1,0,3] -> 8 (global 2x2).
    const Tensor x = make(Shape{2, 1, 2, 2}, {1, 2, 3, 4, 8, -1, 0, 3});
    const Pool2dParams p = Pool2dParams::square(2, 2);
    check_values(ops::max_pool2d_forward(x, p), {4, 8});
    check_values(ops::max_pool2d_backward(make(Shape{2, 1, 1, 1}, {1, 2}), x, p), {0, 0, 0, 1, 2, 0, 0, 0});
}

TEST_CASE("ops: avg_pool2d_forward and backward, k2 s2") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // x[h][w] = 4h + w + 1: block mean = 4(2i + 0.5) + (2j + 0.5) + 1 = 8i + 2j + 3.5.
        const Tensor x = iota(Shape{1, 1, 4, 4}, 1.0, dt);
        const Pool2dParams p = Pool2dParams::square(2, 2);
        const Tensor y = ops::avg_pool2d_forward(x, p);
        CHECK(y.shape() == Shape{1, 1, 2, 2});
        check_values(y, {3.5, 5.5, 11.5, 13.5});
        // Each block gets gy / 4.
        const Tensor gx = ops::avg_pool2d_backward(make(Shape{1, 1, 2, 2}, {1, 2, 3, 4}, dt), Shape{1, 1, 4, 4}, p);
        CHECK(gx.shape() == Shape{1, 1, 4, 4});
        check_values(gx, {0.25, 0.25, 0.5, 0.5,  //
                          0.25, 0.25, 0.5, 0.5,  //
                          0.75, 0.75, 1, 1,      //
                          0.75, 0.75, 1, 1});
    }
}

TEST_CASE("ops: avg_pool2d_forward and backward, padding 1 with count_include_pad true and false") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // x = 1..9 (3x3), k2 s2 p1: windows cover {0} and {1,2} on each axis.
        // Sums: {1} = 1, {2,3} = 5, {4,7} = 11, {5,6,8,9} = 28.
        const Tensor x = iota(Shape{1, 1, 3, 3}, 1.0, dt);
        Pool2dParams p = Pool2dParams::square(2, 2, 1);
        const Tensor gy = make(Shape{1, 1, 2, 2}, {1, 2, 3, 4}, dt);
        {
            INFO("count_include_pad = true: every window divides by 4");
            p.count_include_pad = true;
            check_values(ops::avg_pool2d_forward(x, p), {0.25, 1.25, 2.75, 7});
            // gx: (0,0) 1/4; (0,1),(0,2) 2/4; (1,0),(2,0) 3/4; the 2x2 bottom-right 4/4.
            check_values(ops::avg_pool2d_backward(gy, x.shape(), p), {0.25, 0.5, 0.5,  //
                                                                      0.75, 1, 1,       //
                                                                      0.75, 1, 1});
        }
        {
            INFO("count_include_pad = false: divide by the real elements 1, 2, 2, 4");
            p.count_include_pad = false;
            check_values(ops::avg_pool2d_forward(x, p), {1, 2.5, 5.5, 7});
            // gx: (0,0) 1/1; (0,1),(0,2) 2/2; (1,0),(2,0) 3/2; the 2x2 bottom-right 4/4.
            check_values(ops::avg_pool2d_backward(gy, x.shape(), p), {1, 1, 1,  //
                                                                      1.5, 1, 1,  //
                                                                      1.5, 1, 1});
        }
    }
}

TEST_CASE("ops: avg_pool2d_forward and backward, ceil_mode") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        {
            INFO("5x5 k2 s2: the clipped last window divides by its real size");
            // x[h][w] = 5h + w; windows {0,1}, {2,3}, {4} have mean index 0.5, 2.5, 4 -> y = 5 r + c:
            // [[3, 5, 6.5], [13, 15, 16.5], [20.5, 22.5, 24]]. No padding, so count_include_pad
            // does not matter (PyTorch's divisor stops at the input + padding edge).
            const Tensor x = iota(Shape{1, 1, 5, 5}, 0.0, dt);
            for (bool include_pad : {true, false}) {
                Pool2dParams p = Pool2dParams::square(2, 2, 0, true);
                p.count_include_pad = include_pad;
                const Tensor y = ops::avg_pool2d_forward(x, p);
                CHECK(y.shape() == Shape{1, 1, 3, 3});
                check_values(y, {3, 5, 6.5, 13, 15, 16.5, 20.5, 22.5, 24});
                // gy = 1: each x gets 1 / (its window's size): 1/4 inside, 1/2 on the last row or
                // column, 1 at (4,4).
                const Tensor gx = ops::avg_pool2d_backward(Tensor::full(Shape{1, 1, 3, 3}, 1.0, dt), x.shape(), p);
                check_values(gx, {0.25, 0.25, 0.25, 0.25, 0.5,  //
                                  0.25, 0.25, 0.25, 0.25, 0.5,  //
                                  0.25, 0.25, 0.25, 0.25, 0.5,  //
                                  0.25, 0.25, 0.25, 0.25, 0.5,  //
                                  0.5, 0.5, 0.5, 0.5, 1});
            }
        }
        {
            INFO("4x4 k3 s2 p1: the last window reaches past the padding");
            // Windows start at -1, 1, 3 along each axis: rows {-1..1} (2 real of 3 padded),
            // {1..3} (3 of 3), {3..5} (1 real; padded extent 3..4 = 2 since it stops at H + pad).
            // On a tensor of ones: include_pad -> outer([2/3, 1, 1/2]); exclude -> all 1.
            const Tensor x = Tensor::full(Shape{1, 1, 4, 4}, 1.0, dt);
            Pool2dParams p = Pool2dParams::square(3, 2, 1, true);
            p.count_include_pad = true;
            const Tensor y = ops::avg_pool2d_forward(x, p);
            CHECK(y.shape() == Shape{1, 1, 3, 3});
            check_values(y, {4.0 / 9, 2.0 / 3, 1.0 / 3,  //
                             2.0 / 3, 1, 0.5,              //
                             1.0 / 3, 0.5, 0.25},
                         tol(dt));
            p.count_include_pad = false;
            check_values(ops::avg_pool2d_forward(x, p), {1, 1, 1, 1, 1, 1, 1, 1, 1});
        }
    }
}

TEST_CASE("ops: adaptive_avg_pool2d_forward and backward, global") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // Plane means: [1,2,3,4] -> 2.5, [-1,0,3,6] -> 2, [0,0,0,4] -> 1, [8,8,8,8] -> 8.
        const Tensor x = make(Shape{2, 2, 2, 2}, {1, 2, 3, 4, -1, 0, 3, 6, 0, 0, 0, 4, 8, 8, 8, 8}, dt);
        const Tensor y = ops::adaptive_avg_pool2d_forward(x, 1, 1);
        CHECK(y.shape() == Shape{2, 2, 1, 1});
        check_values(y, {2.5, 2, 1, 8});
        // Backward spreads gy / 4 over each plane.
        const Tensor gx = ops::adaptive_avg_pool2d_backward(make(Shape{2, 2, 1, 1}, {4, 8, -4, 2}, dt), x.shape());
        CHECK(gx.shape() == Shape{2, 2, 2, 2});
        check_values(gx, {1, 1, 1, 1, 2, 2, 2, 2, -1, -1, -1, -1, 0.5, 0.5, 0.5, 0.5});
    }
}

TEST_CASE("ops: adaptive_avg_pool2d_forward and backward, 5 -> 3 overlapping windows") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // Cell i covers [floor(5i/3), ceil(5(i+1)/3)): {0,1}, {1,2,3}, {3,4}; mean indices 0.5, 2, 3.5.
        // x[h][w] = 5h + w -> y = 5 r + c:
        // [[2.5+0.5, 2.5+2, 2.5+3.5], [10+0.5, 10+2, 10+3.5], [17.5+0.5, 17.5+2, 17.5+3.5]].
        const Tensor x = iota(Shape{1, 1, 5, 5}, 0.0, dt);
        const Tensor y = ops::adaptive_avg_pool2d_forward(x, 3, 3);
        CHECK(y.shape() == Shape{1, 1, 3, 3});
        check_values(y, {3, 4.5, 6, 10.5, 12, 13.5, 18, 19.5, 21});
        // out (3, 1): columns average to 2 -> [2.5+2, 10+2, 17.5+2].
        const Tensor y31 = ops::adaptive_avg_pool2d_forward(x, 3, 1);
        CHECK(y31.shape() == Shape{1, 1, 3, 1});
        check_values(y31, {4.5, 12, 19.5});
        // Backward with gy[i][j] = u_i u_j, u = [2,3,2] (the window lengths), so each window
        // hands 1 to each of its cells; x gets (windows covering h) * (windows covering w),
        // counts [1,2,1,2,1] per axis. Sum 49 = sum(gy).
        const Tensor gy = make(Shape{1, 1, 3, 3}, {4, 6, 4, 6, 9, 6, 4, 6, 4}, dt);
        const Tensor gx = ops::adaptive_avg_pool2d_backward(gy, x.shape());
        CHECK(gx.shape() == Shape{1, 1, 5, 5});
        check_values(gx, {1, 2, 1, 2, 1,  //
                          2, 4, 2, 4, 2,  //
                          1, 2, 1, 2, 1,  //
                          2, 4, 2, 4, 2,  //
                          1, 2, 1, 2, 1});
    }
}

TEST_CASE("ops: adaptive_avg_pool2d_forward, 2 -> 3 upsampling windows") {
    // Cell i covers [floor(2i/3), ceil(2(i+1)/3)): {0}, {0,1}, {1}.
    // x = [[1,2],[3,4]] -> rows [row0, mean, row1], columns likewise.
    const Tensor x = make(Shape{1, 1, 2, 2}, {1, 2, 3, 4});
    check_values(ops::adaptive_avg_pool2d_forward(x, 3, 3), {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4});
}

// =====================================================================================
// batch norm
// =====================================================================================

TEST_CASE("ops: batch_norm_forward and batch_norm_backward_input") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // eps 0.25, var [3.75, 15.75] -> sqrt(var + eps) = [2, 4].
        // gamma [3, -1], beta [1, 0.5], mean [1, -2]:
        // c0: y = (x - 1) / 2 * 3 + 1 = 1.5 (x - 1) + 1;  c1: y = -(x + 2) / 4 + 0.5.
        const Tensor gamma = make(Shape{2}, {3, -1}, dt);
        const Tensor beta = make(Shape{2}, {1, 0.5}, dt);
        const Tensor mean = make(Shape{2}, {1, -2}, dt);
        const Tensor var = make(Shape{2}, {3.75, 15.75}, dt);
        const double eps = 0.25;
        // 4-D: c0 x [1,3,5,-1] -> [1, 4, 7, -2]; c1 x [2,-2,6,0] -> [-0.5, 0.5, -1.5, 0].
        const Tensor x = make(Shape{1, 2, 2, 2}, {1, 3, 5, -1, 2, -2, 6, 0}, dt);
        const Tensor y = ops::batch_norm_forward(x, gamma, beta, mean, var, eps);
        CHECK(y.shape() == x.shape());
        check_values(y, {1, 4, 7, -2, -0.5, 0.5, -1.5, 0});
        // 2-D (N, C): [[1, 2], [3, -2]] -> [[1, -0.5], [4, 0.5]].
        const Tensor x2 = make(Shape{2, 2}, {1, 2, 3, -2}, dt);
        check_values(ops::batch_norm_forward(x2, gamma, beta, mean, var, eps), {1, -0.5, 4, 0.5});
        // Batch 2, 4-D with 1x2 planes: n0 c0 [1,3] c1 [2,-2]; n1 c0 [5,-1] c1 [6,0].
        const Tensor x3 = make(Shape{2, 2, 1, 2}, {1, 3, 2, -2, 5, -1, 6, 0}, dt);
        check_values(ops::batch_norm_forward(x3, gamma, beta, mean, var, eps), {1, 4, -0.5, 0.5, 7, -2, -1.5, 0});
        // Backward: grad_y * gamma / sqrt(var + eps) = grad_y * [1.5, -0.25] per channel.
        // c0 [1,2,-2,4] -> [1.5,3,-3,6]; c1 [4,0,-8,2] -> [-1,0,2,-0.5].
        const Tensor gy = make(Shape{1, 2, 2, 2}, {1, 2, -2, 4, 4, 0, -8, 2}, dt);
        const Tensor gx = ops::batch_norm_backward_input(gy, gamma, var, eps);
        CHECK(gx.shape() == gy.shape());
        check_values(gx, {1.5, 3, -3, 6, -1, 0, 2, -0.5});
        // 2-D: [[2, 4], [-2, 8]] -> [[3, -1], [-3, -2]].
        check_values(ops::batch_norm_backward_input(make(Shape{2, 2}, {2, 4, -2, 8}, dt), gamma, var, eps),
                     {3, -1, -3, -2});
    }
}

}  // namespace igcam
