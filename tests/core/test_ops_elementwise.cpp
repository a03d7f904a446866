// Hand-computed tiny examples for the elementwise, reduction, resizing and statistics ops of core/ops.h. Each expected value is
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
// elementwise
// =====================================================================================

TEST_CASE("ops: broadcast_shape") {
    CHECK(ops::broadcast_shape(Shape{2, 3}, Shape{3}) == Shape{2, 3});
    CHECK(ops::broadcast_shape(Shape{2, 3}, Shape{2, 1}) == Shape{2, 3});
    CHECK(ops::broadcast_shape(Shape{2, 1}, Shape{3}) == Shape{2, 3});
    CHECK(ops::broadcast_shape(Shape{4, 1, 3}, Shape{2, 1}) == Shape{4, 2, 3});
    CHECK(ops::broadcast_shape(Shape{2, 3}, Shape{2, 3}) == Shape{2, 3});
    CHECK(ops::broadcast_shape(Shape{1}, Shape{2, 3}) == Shape{2, 3});
}

TEST_CASE("ops: add, sub, mul with broadcasting") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        const Tensor a = iota(Shape{2, 3}, 1.0, dt);               // [[1,2,3],[4,5,6]]
        const Tensor b = make(Shape{3}, {10, 20, 30}, dt);          // stretched over rows
        const Tensor c = make(Shape{2, 1}, {100, 200}, dt);         // stretched over columns
        const Tensor d = make(Shape{2, 3}, {0.5, -1, 2, 0, 1, -0.5}, dt);
        {
            INFO("add");
            check_values(ops::add(a, d), {1.5, 1, 5, 4, 6, 5.5});
            check_values(ops::add(a, b), {11, 22, 33, 14, 25, 36});
            check_values(ops::add(b, a), {11, 22, 33, 14, 25, 36});
            check_values(ops::add(a, c), {101, 102, 103, 204, 205, 206});
            // (2,1) + (3) -> (2,3): [[110,120,130],[210,220,230]].
            const Tensor cb = ops::add(c, b);
            CHECK(cb.shape() == Shape{2, 3});
            check_values(cb, {110, 120, 130, 210, 220, 230});
        }
        {
            INFO("sub");
            check_values(ops::sub(a, d), {0.5, 3, 1, 4, 4, 6.5});
            check_values(ops::sub(a, b), {-9, -18, -27, -6, -15, -24});
            check_values(ops::sub(b, a), {9, 18, 27, 6, 15, 24});
            check_values(ops::sub(a, c), {-99, -98, -97, -196, -195, -194});
            check_values(ops::sub(c, a), {99, 98, 97, 196, 195, 194});
        }
        {
            INFO("mul");
            check_values(ops::mul(a, d), {0.5, -2, 6, 0, 5, -3});
            check_values(ops::mul(a, b), {10, 40, 90, 40, 100, 180});
            check_values(ops::mul(a, c), {100, 200, 300, 800, 1000, 1200});
            // (2,1) * (3) -> (2,3): [[1000,2000,3000],[2000,4000,6000]].
            check_values(ops::mul(c, b), {1000, 2000, 3000, 2000, 4000, 6000});
        }
        {
            INFO("a 4-D tensor times a per-channel (C,1,1) tensor");
            // x (1,2,2,2) c0 = [1,2,3,4], c1 = [5,6,7,8]; s (2,1,1) = [2, -1].
            const Tensor x = iota(Shape{1, 2, 2, 2}, 1.0, dt);
            const Tensor s = make(Shape{2, 1, 1}, {2, -1}, dt);
            const Tensor y = ops::mul(x, s);
            CHECK(y.shape() == Shape{1, 2, 2, 2});
            check_values(y, {2, 4, 6, 8, -5, -6, -7, -8});
        }
    }
}

TEST_CASE("ops: affine and scale") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        const Tensor x = make(Shape{2, 2}, {1, -0.5, 0, 3}, dt);
        // 2x + 1.
        const Tensor y = ops::affine(x, 2.0, 1.0);
        CHECK(y.shape() == x.shape());
        CHECK(y.dtype() == dt);
        check_values(y, {3, 0, 1, 7});
        // beta defaults to 0: -x.
        check_values(ops::affine(x, -1.0), {-1, 0.5, 0, -3});
        // 0.5 x.
        check_values(ops::scale(x, 0.5), {0.5, -0.25, 0, 1.5});
        check_values(ops::scale(x, 0.0), {0, 0, 0, 0});
    }
}

TEST_CASE("ops: broadcast_to") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // (3) -> (2,3): the row repeats.
        const Tensor r = ops::broadcast_to(make(Shape{3}, {1, 2, 3}, dt), Shape{2, 3});
        CHECK(r.shape() == Shape{2, 3});
        check_values(r, {1, 2, 3, 1, 2, 3});
        // (2,1) -> (2,3): each entry fills its row.
        check_values(ops::broadcast_to(make(Shape{2, 1}, {1, 2}, dt), Shape{2, 3}), {1, 1, 1, 2, 2, 2});
        // (2,1) -> (3,2,2): a missing leading dim and a size-1 dim.
        const Tensor t = ops::broadcast_to(make(Shape{2, 1}, {5, 6}, dt), Shape{3, 2, 2});
        CHECK(t.shape() == Shape{3, 2, 2});
        check_values(t, {5, 5, 6, 6, 5, 5, 6, 6, 5, 5, 6, 6});
        // Same shape: a copy of the values.
        check_values(ops::broadcast_to(make(Shape{2}, {7, 8}, dt), Shape{2}), {7, 8});
    }
}

TEST_CASE("ops: sum_to") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        const Tensor x = iota(Shape{2, 3}, 1.0, dt);  // [[1,2,3],[4,5,6]]
        // -> (3): column sums [5,7,9]; -> (1,3): the same with the dim kept.
        const Tensor c = ops::sum_to(x, Shape{3});
        CHECK(c.shape() == Shape{3});
        check_values(c, {5, 7, 9});
        const Tensor c1 = ops::sum_to(x, Shape{1, 3});
        CHECK(c1.shape() == Shape{1, 3});
        check_values(c1, {5, 7, 9});
        // -> (2,1): row sums [6,15].
        const Tensor r = ops::sum_to(x, Shape{2, 1});
        CHECK(r.shape() == Shape{2, 1});
        check_values(r, {6, 15});
        // -> (1,1) and (1): the total 21.
        check_values(ops::sum_to(x, Shape{1, 1}), {21});
        check_values(ops::sum_to(x, Shape{1}), {21});
        // -> (2,3): unchanged.
        check_values(ops::sum_to(x, Shape{2, 3}), {1, 2, 3, 4, 5, 6});
        // (2,2,3) of 1..12 -> (2,1): x[n][m][k] = 6n + 3m + k + 1 summed over n and k:
        // m=0: (1+2+3) + (7+8+9) = 30; m=1: (4+5+6) + (10+11+12) = 48.
        const Tensor x3 = iota(Shape{2, 2, 3}, 1.0, dt);
        const Tensor m = ops::sum_to(x3, Shape{2, 1});
        CHECK(m.shape() == Shape{2, 1});
        check_values(m, {30, 48});
    }
}

TEST_CASE("ops: cast") {
    const Tensor x64 = make(Shape{3}, {1.5, -2.25, 3}, DType::F64);
    const Tensor x32 = ops::cast(x64, DType::F32);
    CHECK(x32.dtype() == DType::F32);
    CHECK(x32.shape() == Shape{3});
    check_values(x32, {1.5, -2.25, 3});
    const Tensor back = ops::cast(x32, DType::F64);
    CHECK(back.dtype() == DType::F64);
    check_values(back, {1.5, -2.25, 3});
    // Rounding to f32: 0.1 becomes the nearest float.
    check_values(ops::cast(make(Shape{1}, {0.1}, DType::F64), DType::F32), {static_cast<double>(0.1f)});
    // Same dtype: the values are kept.
    check_values(ops::cast(x64, DType::F64), {1.5, -2.25, 3});
}

// =====================================================================================
// reductions
// =====================================================================================

TEST_CASE("ops: reduced_shape") {
    CHECK(ops::reduced_shape(Shape{2, 3, 4}, {1}, false) == Shape{2, 4});
    CHECK(ops::reduced_shape(Shape{2, 3, 4}, {1}, true) == Shape{2, 1, 4});
    CHECK(ops::reduced_shape(Shape{2, 3, 4}, {-1, 0}, false) == Shape{3});
    CHECK(ops::reduced_shape(Shape{2, 3, 4}, {-1, 0}, true) == Shape{1, 3, 1});
    CHECK(ops::reduced_shape(Shape{2, 3, 4}, {}, true) == Shape{1, 1, 1});
    CHECK(ops::reduced_shape(Shape{2, 3, 4}, {}, false) == Shape{});
    CHECK(ops::reduced_shape(Shape{2, 3, 4}, {0, 1, 2}, false) == Shape{});
}

TEST_CASE("ops: sum over axes, with and without keepdim") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        const Tensor x = iota(Shape{2, 3}, 1.0, dt);  // [[1,2,3],[4,5,6]]
        const Tensor all = ops::sum(x);
        CHECK(all.shape() == Shape{});
        CHECK(all.dtype() == dt);
        CHECK(all.item() == 21);
        const Tensor all_kept = ops::sum(x, {}, true);
        CHECK(all_kept.shape() == Shape{1, 1});
        check_values(all_kept, {21});
        const Tensor cols = ops::sum(x, {0});
        CHECK(cols.shape() == Shape{3});
        check_values(cols, {5, 7, 9});
        const Tensor rows = ops::sum(x, {1});
        CHECK(rows.shape() == Shape{2});
        check_values(rows, {6, 15});
        const Tensor rows_kept = ops::sum(x, {-1}, true);
        CHECK(rows_kept.shape() == Shape{2, 1});
        check_values(rows_kept, {6, 15});
        check_values(ops::sum(x, {0, 1}, true), {21});

        // (2,2,3) of 1..12, x[n][m][k] = 6n + 3m + k + 1.
        const Tensor x3 = iota(Shape{2, 2, 3}, 1.0, dt);
        // Over n and k: m=0 -> 6 + 24 = 30, m=1 -> 15 + 33 = 48.
        const Tensor nk = ops::sum(x3, {0, 2});
        CHECK(nk.shape() == Shape{2});
        check_values(nk, {30, 48});
        const Tensor nk_kept = ops::sum(x3, {2, 0}, true);
        CHECK(nk_kept.shape() == Shape{1, 2, 1});
        check_values(nk_kept, {30, 48});
        // Over m: n0 [1+4, 2+5, 3+6] = [5,7,9]; n1 [7+10, 8+11, 9+12] = [17,19,21].
        const Tensor m = ops::sum(x3, {1});
        CHECK(m.shape() == Shape{2, 3});
        check_values(m, {5, 7, 9, 17, 19, 21});
        // Over m and n (axis -2 is 1): [5+17, 7+19, 9+21] = [22, 26, 30].
        check_values(ops::sum(x3, {-2, 0}), {22, 26, 30});
    }
}

TEST_CASE("ops: mean over axes, with and without keepdim") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        const Tensor x = iota(Shape{2, 3}, 1.0, dt);  // [[1,2,3],[4,5,6]]
        const Tensor all = ops::mean(x);
        CHECK(all.shape() == Shape{});
        check_values(all, {3.5}, tol(dt));
        // Columns: [5,7,9] / 2.
        check_values(ops::mean(x, {0}), {2.5, 3.5, 4.5});
        // Rows: [6, 15] / 3 = [2, 5], kept as (2,1).
        const Tensor rows = ops::mean(x, {1}, true);
        CHECK(rows.shape() == Shape{2, 1});
        check_values(rows, {2, 5}, tol(dt));
        // (2,2,3) over n and k: [30, 48] / 6 = [5, 8].
        const Tensor x3 = iota(Shape{2, 2, 3}, 1.0, dt);
        const Tensor nk = ops::mean(x3, {0, -1}, true);
        CHECK(nk.shape() == Shape{1, 2, 1});
        check_values(nk, {5, 8}, tol(dt));
        // Over n of (2,2,2) 1..8: [(1+5)/2, (2+6)/2, (3+7)/2, (4+8)/2] = [3,4,5,6].
        check_values(ops::mean(iota(Shape{2, 2, 2}, 1.0, dt), {0}), {3, 4, 5, 6});
    }
}

// =====================================================================================
// resizing and padding
// =====================================================================================

TEST_CASE("ops: resize_bilinear_forward upsample 2x2 -> 4x4") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // src = (dst + 0.5) * 2/4 - 0.5 clamped at 0: dst 0 -> -0.25 -> 0 (i0 0, frac 0);
        // dst 1 -> 0.25 (i0 0, i1 1, frac 0.25); dst 2 -> 0.75 (frac 0.75); dst 3 -> 1.25 (i0 1, i1
        // min(2, 1) = 1, frac 0.25 -> the last pixel). So [1, 2] -> [1, 1.25, 1.75, 2].
        // x = [[1,2],[3,4]]: columns give rows r0 = [1,1.25,1.75,2], r1 = [3,3.25,3.75,4];
        // output rows are r0, 0.75 r0 + 0.25 r1 = r0 + 0.5, 0.25 r0 + 0.75 r1 = r0 + 1.5, r1.
        const Tensor x = make(Shape{1, 1, 2, 2}, {1, 2, 3, 4}, dt);
        const Tensor y = ops::resize_bilinear_forward(x, 4, 4);
        CHECK(y.shape() == Shape{1, 1, 4, 4});
        check_values(y, {1, 1.25, 1.75, 2,      //
                         1.5, 1.75, 2.25, 2.5,  //
                         2.5, 2.75, 3.25, 3.5,  //
                         3, 3.25, 3.75, 4});
        // A 1x2 row [1, 2] -> 1x4: exactly [1, 1.25, 1.75, 2] (and 1 -> 1 row copies).
        check_values(ops::resize_bilinear_forward(make(Shape{1, 1, 1, 2}, {1, 2}, dt), 1, 4), {1, 1.25, 1.75, 2});
        // Same size is the identity.
        check_values(ops::resize_bilinear_forward(x, 2, 2), {1, 2, 3, 4});
    }
}

TEST_CASE("ops: resize_bilinear_forward downsample 4x4 -> 2x2") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // src = (dst + 0.5) * 2 - 0.5: dst 0 -> 0.5 (taps 0, 1 at 1/2 each), dst 1 -> 2.5 (taps 2, 3).
        // So each output is the mean of a 2x2 block: x[h][w] = 4h + w -> 8i + 2j + 2.5.
        const Tensor x = iota(Shape{1, 2, 4, 4}, 0.0, dt);  // c1 = c0 + 16
        const Tensor y = ops::resize_bilinear_forward(x, 2, 2);
        CHECK(y.shape() == Shape{1, 2, 2, 2});
        check_values(y, {2.5, 4.5, 10.5, 12.5, 18.5, 20.5, 26.5, 28.5});
        // Non-square target: 4x4 -> 2x4 (rows averaged in pairs, columns copied).
        // Row-pair means of x: [(0+4)/2, ...] = [2,3,4,5] and [10,11,12,13].
        check_values(ops::resize_bilinear_forward(iota(Shape{1, 1, 4, 4}, 0.0, dt), 2, 4),
                     {2, 3, 4, 5, 10, 11, 12, 13});
    }
}

TEST_CASE("ops: resize_bilinear_backward") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // Upsample 2 -> 4: row weights R (out x in) = [[1,0],[0.75,0.25],[0.25,0.75],[0,1]],
        // gx = R^T gy R.
        {
            INFO("one-hot grad_y");
            // gy = 1 at (1, 2): row taps (0.75 row0, 0.25 row1), col taps (0.25 col0, 0.75 col1).
            const Tensor gy = make(Shape{1, 1, 4, 4}, {0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, dt);
            const Tensor gx = ops::resize_bilinear_backward(gy, Shape{1, 1, 2, 2});
            CHECK(gx.shape() == Shape{1, 1, 2, 2});
            check_values(gx, {0.75 * 0.25, 0.75 * 0.75, 0.25 * 0.25, 0.25 * 0.75});
        }
        {
            INFO("grad_y = 0..15");
            // R^T gy: row a=0: G0 + 0.75 G1 + 0.25 G2 = [5,7,9,11]; a=1: 0.25 G1 + 0.75 G2 + G3 = [19,21,23,25].
            // (.) R: [5 + 0.75*7 + 0.25*9, 0.25*7 + 0.75*9 + 11] = [12.5, 19.5];
            //        [19 + 0.75*21 + 0.25*23, 0.25*21 + 0.75*23 + 25] = [40.5, 47.5].
            const Tensor gy = iota(Shape{1, 1, 4, 4}, 0.0, dt);
            const Tensor gx = ops::resize_bilinear_backward(gy, Shape{1, 1, 2, 2});
            check_values(gx, {12.5, 19.5, 40.5, 47.5});
            // Interpolation weights sum to 1, so the total is kept: 12.5+19.5+40.5+47.5 = 120 = sum(0..15).
            CHECK(ops::sum(gx).item() == doctest::Approx(ops::sum(gy).item()).epsilon(1e-12));
        }
        {
            INFO("grad_y = 1 everywhere: each input pixel collects 2 x 2 = 4");
            const Tensor gy = Tensor::full(Shape{1, 2, 4, 4}, 1.0, dt);
            const Tensor gx = ops::resize_bilinear_backward(gy, Shape{1, 2, 2, 2});
            check_values(gx, {4, 4, 4, 4, 4, 4, 4, 4});
        }
        {
            INFO("downsample 4 -> 2: each gy spreads a quarter over its 2x2 block");
            const Tensor gy = make(Shape{1, 1, 2, 2}, {1, 2, 3, 4}, dt);
            const Tensor gx = ops::resize_bilinear_backward(gy, Shape{1, 1, 4, 4});
            CHECK(gx.shape() == Shape{1, 1, 4, 4});
            check_values(gx, {0.25, 0.25, 0.5, 0.5,  //
                              0.25, 0.25, 0.5, 0.5,  //
                              0.75, 0.75, 1, 1,      //
                              0.75, 0.75, 1, 1});
            CHECK(ops::sum(gx).item() == 10);
        }
    }
}

TEST_CASE("ops: pad2d_forward and pad2d_backward") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // c0 = [[1,2],[3,4]], c1 = [[5,6],[7,8]], pad top 1 bottom 0 left 0 right 2 -> 3x4.
        const Tensor x = iota(Shape{1, 2, 2, 2}, 1.0, dt);
        const Padding2d pad{1, 0, 0, 2};
        const Tensor y = ops::pad2d_forward(x, pad);
        CHECK(y.shape() == Shape{1, 2, 3, 4});
        check_values(y, {0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0,  //
                         0, 0, 0, 0, 5, 6, 0, 0, 7, 8, 0, 0});
        // Backward crops: gy = 1..24 (3x4 per channel); c0 keeps rows 1-2, cols 0-1 of 1..12:
        // [5,6,9,10]; c1 of 13..24: [17,18,21,22].
        const Tensor gx = ops::pad2d_backward(iota(Shape{1, 2, 3, 4}, 1.0, dt), pad);
        CHECK(gx.shape() == Shape{1, 2, 2, 2});
        check_values(gx, {5, 6, 9, 10, 17, 18, 21, 22});
        // Uniform 1 on a 1x1 plane, batch 2: the value sits in the middle of a 3x3 of zeros.
        const Tensor u = ops::pad2d_forward(make(Shape{2, 1, 1, 1}, {3, -4}, dt), Padding2d::uniform(1));
        CHECK(u.shape() == Shape{2, 1, 3, 3});
        check_values(u, {0, 0, 0, 0, 3, 0, 0, 0, 0,  //
                         0, 0, 0, 0, -4, 0, 0, 0, 0});
        check_values(ops::pad2d_backward(u, Padding2d::uniform(1)), {3, -4});
    }
}

// =====================================================================================
// statistics
// =====================================================================================

TEST_CASE("ops: tensor_stats") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // [3, 0, -4, 0]: l2 = sqrt(9 + 16) = 5, min -4, max 3, zeros 2 of 4.
        const ops::TensorStats s = ops::tensor_stats(make(Shape{2, 2}, {3, 0, -4, 0}, dt));
        CHECK(s.l2 == 5);
        CHECK(s.min == -4);
        CHECK(s.max == 3);
        CHECK(s.zero_fraction == 0.5);
        // All positive, no zeros: [1, 2, 2] -> l2 3, min 1, max 2, zero_fraction 0.
        const ops::TensorStats p = ops::tensor_stats(make(Shape{3}, {1, 2, 2}, dt));
        CHECK(p.l2 == 3);
        CHECK(p.min == 1);
        CHECK(p.max == 2);
        CHECK(p.zero_fraction == 0);
        // Empty: all 0.
        const ops::TensorStats e = ops::tensor_stats(Tensor::zeros(Shape{0}, dt));
        CHECK(e.l2 == 0);
        CHECK(e.min == 0);
        CHECK(e.max == 0);
        CHECK(e.zero_fraction == 0);
    }
}

TEST_CASE("ops: max_abs_diff and max_abs") {
    const Tensor a = make(Shape{3}, {1, 2, 3}, DType::F32);
    const Tensor b = make(Shape{3}, {1.5, 2, -1}, DType::F64);
    // |1 - 1.5| = 0.5, |2 - 2| = 0, |3 - (-1)| = 4; dtypes may differ.
    CHECK(ops::max_abs_diff(a, b) == 4);
    CHECK(ops::max_abs_diff(b, a) == 4);
    CHECK(ops::max_abs_diff(a, a) == 0);
    // max |x|: the largest magnitude is negative here.
    CHECK(ops::max_abs(make(Shape{3}, {1, -3, 2})) == 3);
    CHECK(ops::max_abs(b) == 2);
    CHECK(ops::max_abs(make(Shape{2, 2}, {0, 0, 0, 0}, DType::F32)) == 0);
}

}  // namespace igcam
