// Hand-computed tiny examples for every op in core/ops.h. Each expected value is worked out in
// the comments; inputs are small integers or halves so the results are exact in f32 and f64
// (an atol appears only where a division by 3 or an exp/log is involved).
#include "tests/test_util.h"

#include <cmath>
#include <initializer_list>
#include <vector>

#include "core/ops.h"
#include "core/random.h"

namespace igcam {
namespace {

constexpr DType kBothDTypes[] = {DType::F32, DType::F64};

// A CPU tensor with the given row-major values.
Tensor make(const Shape& shape, std::initializer_list<double> values, DType dtype = DType::F64) {
    return Tensor::from_values(shape, values, dtype);
}

// 0, 1, 2, ... (row-major), or start, start + 1, ... .
Tensor iota(const Shape& shape, double start = 0.0, DType dtype = DType::F64) {
    std::vector<double> values(static_cast<std::size_t>(shape.numel()));
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = start + static_cast<double>(i);
    return Tensor::from_values(shape, values, dtype);
}

// Tolerance for results that involve exp/log or a division by 3: exact types get a loose
// f32 bound or a tight f64 one.
double tol(DType dtype) { return dtype == DType::F32 ? 1e-6 : 1e-12; }

Conv2dParams conv_params(int64_t stride_h, int64_t stride_w, Padding2d pad = {}) {
    Conv2dParams p;
    p.stride_h = stride_h;
    p.stride_w = stride_w;
    p.pad = pad;
    return p;
}

}  // namespace

using test::check_values;

// =====================================================================================
// convolution
// =====================================================================================

TEST_CASE("ops: conv2d_output_shape") {
    // (5 + 1 + 1 - 3) / 2 + 1 = 3.
    CHECK(ops::conv2d_output_shape(Shape{2, 3, 5, 5}, Shape{4, 3, 3, 3}, conv_params(2, 2, Padding2d::uniform(1))) ==
          Shape{2, 4, 3, 3});
    // Floor: (6 - 3) / 2 + 1 = 2 (1.5 rounds down).
    CHECK(ops::conv2d_output_shape(Shape{1, 1, 6, 6}, Shape{1, 1, 3, 3}, conv_params(2, 2)) == Shape{1, 1, 2, 2});
    // Asymmetric padding top 1 bottom 0 left 2 right 1: H 2+1+0 = 3 -> 2, W 2+2+1 = 5 -> 4.
    CHECK(ops::conv2d_output_shape(Shape{1, 1, 2, 2}, Shape{1, 1, 2, 2}, conv_params(1, 1, {1, 0, 2, 1})) ==
          Shape{1, 1, 2, 4});
    // Different strides: H (4 - 2) / 1 + 1 = 3, W (4 - 2) / 2 + 1 = 2.
    CHECK(ops::conv2d_output_shape(Shape{2, 1, 4, 4}, Shape{5, 1, 2, 2}, conv_params(1, 2)) == Shape{2, 5, 3, 2});
}

TEST_CASE("ops: conv2d_forward single channel, stride 1, with and without bias") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // x = 1..9 (3x3), w = [[1,2],[3,4]]:
        // y00 = 1*1 + 2*2 + 3*4 + 4*5 = 37, y01 = 1*2 + 2*3 + 3*5 + 4*6 = 47,
        // y10 = 1*4 + 2*5 + 3*7 + 4*8 = 67, y11 = 1*5 + 2*6 + 3*8 + 4*9 = 77.
        const Tensor x = iota(Shape{1, 1, 3, 3}, 1.0, dt);
        const Tensor w = make(Shape{1, 1, 2, 2}, {1, 2, 3, 4}, dt);
        const Tensor y = ops::conv2d_forward(x, w, Tensor(), conv_params(1, 1));
        CHECK(y.shape() == Shape{1, 1, 2, 2});
        CHECK(y.dtype() == dt);
        check_values(y, {37, 47, 67, 77});
        const Tensor yb = ops::conv2d_forward(x, w, make(Shape{1}, {0.5}, dt), conv_params(1, 1));
        check_values(yb, {37.5, 47.5, 67.5, 77.5});
    }
}

TEST_CASE("ops: conv2d_forward two channels in and out, with and without bias") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // x c0 = [[1,2,3],[4,5,6],[7,8,9]], c1 = [[1,0,2],[0,3,0],[4,0,5]].
        const Tensor x = make(Shape{1, 2, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9,  //
                                                  1, 0, 2, 0, 3, 0, 4, 0, 5},
                              dt);
        // w[o0] = c0 [[1,2],[3,4]], c1 [[1,0],[0,-1]]; w[o1] = c0 [[0,1],[-1,0]], c1 [[2,0],[0,2]].
        const Tensor w = make(Shape{2, 2, 2, 2}, {1, 2, 3, 4, 1, 0, 0, -1,  //
                                                  0, 1, -1, 0, 2, 0, 0, 2},
                              dt);
        // o0: c0 part [[37,47],[67,77]]; c1 part c1[i][j] - c1[i+1][j+1] = [[1-3, 0-0],[0-0, 3-5]]
        //     = [[-2,0],[0,-2]]  ->  [[35,47],[67,75]].
        // o1: c0 part c0[i][j+1] - c0[i+1][j] = -2 everywhere; c1 part 2*(c1[i][j] + c1[i+1][j+1])
        //     = [[8,0],[0,16]]  ->  [[6,-2],[-2,14]].
        const Tensor y = ops::conv2d_forward(x, w, Tensor(), conv_params(1, 1));
        CHECK(y.shape() == Shape{1, 2, 2, 2});
        check_values(y, {35, 47, 67, 75, 6, -2, -2, 14});
        // bias [0.5, -1].
        const Tensor yb = ops::conv2d_forward(x, w, make(Shape{2}, {0.5, -1}, dt), conv_params(1, 1));
        check_values(yb, {35.5, 47.5, 67.5, 75.5, 5, -3, -3, 13});
    }
}

TEST_CASE("ops: conv2d_forward 1x1 kernel, batch 2") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // x n0: c0 [1,2,3,4], c1 [1,0,0,1]; n1: c0 [1,1,1,1], c1 [0,2,0,2].
        const Tensor x = make(Shape{2, 2, 2, 2}, {1, 2, 3, 4, 1, 0, 0, 1,  //
                                                  1, 1, 1, 1, 0, 2, 0, 2},
                              dt);
        // w o0 = [1, 2], o1 = [3, -1]; bias [0, 0.5].
        const Tensor w = make(Shape{2, 2, 1, 1}, {1, 2, 3, -1}, dt);
        // n0 o0 = [1,2,3,4] + 2*[1,0,0,1] = [3,2,3,6]; n0 o1 = 3*[1,2,3,4] - [1,0,0,1] + 0.5 = [2.5,6.5,9.5,11.5]
        // n1 o0 = [1,1,1,1] + [0,4,0,4] = [1,5,1,5];   n1 o1 = [3,3,3,3] - [0,2,0,2] + 0.5 = [3.5,1.5,3.5,1.5]
        const Tensor y = ops::conv2d_forward(x, w, make(Shape{2}, {0, 0.5}, dt), conv_params(1, 1));
        CHECK(y.shape() == Shape{2, 2, 2, 2});
        check_values(y, {3, 2, 3, 6, 2.5, 6.5, 9.5, 11.5, 1, 5, 1, 5, 3.5, 1.5, 3.5, 1.5});
    }
}

TEST_CASE("ops: conv2d_forward stride 2") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // x[h][w] = 4h + w + 1 (4x4), w = [[1,2],[3,4]], stride 2 -> non-overlapping 2x2 blocks:
        // y[i][j] = x(2i,2j) + 2 x(2i,2j+1) + 3 x(2i+1,2j) + 4 x(2i+1,2j+1) = 80i + 20j + 44
        // (y00 = 1 + 2*2 + 3*5 + 4*6 = 44).
        const Tensor x = iota(Shape{1, 1, 4, 4}, 1.0, dt);
        const Tensor w = make(Shape{1, 1, 2, 2}, {1, 2, 3, 4}, dt);
        const Tensor y = ops::conv2d_forward(x, w, Tensor(), conv_params(2, 2));
        CHECK(y.shape() == Shape{1, 1, 2, 2});
        check_values(y, {44, 64, 124, 144});
        // With bias -4.
        check_values(ops::conv2d_forward(x, w, make(Shape{1}, {-4}, dt), conv_params(2, 2)), {40, 60, 120, 140});
    }
}

TEST_CASE("ops: conv2d_forward asymmetric padding") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // x = [[1,2],[3,4]], pad top 1 bottom 0 left 2 right 1 -> padded 3x5:
        //   0 0 0 0 0
        //   0 0 1 2 0
        //   0 0 3 4 0
        // w = [[1,2],[3,4]]: row 0: [0, 4*1, 3*1+4*2, 3*2] = [0,4,11,6];
        //                    row 1: [0, 2*1+4*3, 1+4+9+16, 1*2+3*4] = [0,14,30,14].
        const Tensor x = make(Shape{1, 1, 2, 2}, {1, 2, 3, 4}, dt);
        const Tensor w = make(Shape{1, 1, 2, 2}, {1, 2, 3, 4}, dt);
        const Padding2d pad{1, 0, 2, 1};
        const Tensor y = ops::conv2d_forward(x, w, Tensor(), conv_params(1, 1, pad));
        CHECK(y.shape() == Shape{1, 1, 2, 4});
        check_values(y, {0, 4, 11, 6, 0, 14, 30, 14});
        // Bias 1.
        check_values(ops::conv2d_forward(x, w, make(Shape{1}, {1}, dt), conv_params(1, 1, pad)),
                     {1, 5, 12, 7, 1, 15, 31, 15});
        // stride_w 2 keeps padded columns 0 and 2: (5 - 2) / 2 + 1 = 2 -> [[0,11],[0,30]].
        const Tensor ys = ops::conv2d_forward(x, w, Tensor(), conv_params(1, 2, pad));
        CHECK(ys.shape() == Shape{1, 1, 2, 2});
        check_values(ys, {0, 11, 0, 30});
    }
}

TEST_CASE("ops: conv2d_backward_data") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        const Tensor w = make(Shape{1, 1, 2, 2}, {1, 2, 3, 4}, dt);
        const Tensor gy = make(Shape{1, 1, 2, 2}, {1, 2, 3, 4}, dt);
        {
            INFO("stride 1: sum of gy[i][j] * w placed at (i, j)");
            // 1*w at (0,0) + 2*w at (0,1) + 3*w at (1,0) + 4*w at (1,1):
            // row0 [1, 2+2, 4]          = [1, 4, 4]
            // row1 [3+3, 4+6+6+4, 8+8]  = [6, 20, 16]
            // row2 [9, 12+12, 16]       = [9, 24, 16]   (sum 100 = sum(gy) * sum(w))
            const Tensor gx = ops::conv2d_backward_data(gy, w, Shape{1, 1, 3, 3}, conv_params(1, 1));
            CHECK(gx.shape() == Shape{1, 1, 3, 3});
            check_values(gx, {1, 4, 4, 6, 20, 16, 9, 24, 16});
        }
        {
            INFO("stride 2: disjoint blocks gy[i][j] * w");
            const Tensor gx = ops::conv2d_backward_data(gy, w, Shape{1, 1, 4, 4}, conv_params(2, 2));
            check_values(gx, {1, 2, 2, 4, 3, 4, 6, 8, 3, 6, 4, 8, 9, 12, 12, 16});
        }
        {
            INFO("asymmetric padding");
            // The padding case of conv2d_forward (x 2x2, pad {1,0,2,1}, y 2x4) with
            // gy = [[1,2,3,4],[5,6,7,8]]. x(h,w) sits at padded (h+1, w+2); window (i,j) uses
            // w[h+1-i][w+2-j]:
            // gx00 = gy01*w11 + gy02*w10 + gy11*w01 + gy12*w00 = 2*4 + 3*3 + 6*2 + 7*1 = 36
            // gx01 = gy02*w11 + gy03*w10 + gy12*w01 + gy13*w00 = 3*4 + 4*3 + 7*2 + 8*1 = 46
            // gx10 = gy11*w11 + gy12*w10 = 6*4 + 7*3 = 45
            // gx11 = gy12*w11 + gy13*w10 = 7*4 + 8*3 = 52
            // (adjoint check: <y, gy> = 8+33+24+84+210+112 = 471 = 36+2*46+3*45+4*52)
            const Tensor gy2 = iota(Shape{1, 1, 2, 4}, 1.0, dt);
            const Tensor gx =
                ops::conv2d_backward_data(gy2, w, Shape{1, 1, 2, 2}, conv_params(1, 1, {1, 0, 2, 1}));
            check_values(gx, {36, 46, 45, 52});
        }
        {
            INFO("two channels in and out");
            // Weights of the two-channel forward case; gy o0 = 1, o1 = 2 everywhere (2x2), so
            // gx[c] collects S_c = w[o0][c] + 2 w[o1][c] over the kernel taps covering each pixel:
            // S_0 = [[1,2],[3,4]] + [[0,2],[-2,0]] = [[1,4],[1,4]];
            // S_1 = [[1,0],[0,-1]] + [[4,0],[0,4]] = [[5,0],[0,3]].
            // pixel row h uses kernel rows {0} (h=0), {0,1} (h=1), {1} (h=2); the same for columns.
            // c0: [1, 1+4, 4; 1+1, 10, 4+4; 1, 1+4, 4] ; c1: [5, 5, 0; 5, 8, 3; 0, 3, 3].
            const Tensor w2 = make(Shape{2, 2, 2, 2}, {1, 2, 3, 4, 1, 0, 0, -1,  //
                                                       0, 1, -1, 0, 2, 0, 0, 2},
                                   dt);
            const Tensor gy2 = make(Shape{1, 2, 2, 2}, {1, 1, 1, 1, 2, 2, 2, 2}, dt);
            const Tensor gx = ops::conv2d_backward_data(gy2, w2, Shape{1, 2, 3, 3}, conv_params(1, 1));
            check_values(gx, {1, 5, 4, 2, 10, 8, 1, 5, 4,  //
                              5, 5, 0, 5, 8, 3, 0, 3, 3});
        }
        {
            INFO("1x1 kernel, batch 2");
            // gx[n][c] = w[o0][c] gy[n][o0] + w[o1][c] gy[n][o1], w o0 = [1,2], o1 = [3,-1].
            // gy n0: o0 [1,2,3,4], o1 [1,1,1,1]; n1: o0 [0,1,0,1], o1 [2,0,2,0].
            // n0 c0 = [1,2,3,4] + 3 = [4,5,6,7];       n0 c1 = 2*[1,2,3,4] - 1 = [1,3,5,7]
            // n1 c0 = [0,1,0,1] + 3*[2,0,2,0] = [6,1,6,1]; n1 c1 = 2*[0,1,0,1] - [2,0,2,0] = [-2,2,-2,2]
            const Tensor w2 = make(Shape{2, 2, 1, 1}, {1, 2, 3, -1}, dt);
            const Tensor gy2 = make(Shape{2, 2, 2, 2}, {1, 2, 3, 4, 1, 1, 1, 1,  //
                                                        0, 1, 0, 1, 2, 0, 2, 0},
                                    dt);
            const Tensor gx = ops::conv2d_backward_data(gy2, w2, Shape{2, 2, 2, 2}, conv_params(1, 1));
            check_values(gx, {4, 5, 6, 7, 1, 3, 5, 7, 6, 1, 6, 1, -2, 2, -2, 2});
        }
    }
}

TEST_CASE("ops: conv2d_backward_weight") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        {
            INFO("stride 1");
            // gw[kh][kw] = sum gy[i][j] x[i+kh][j+kw] with x[h][w] = 3h + w + 1, gy = [[1,2],[3,4]]
            //            = sum gy*(3i+j+1) + (3kh+kw)*sum(gy) = 37 + 10*(3kh+kw).
            const Tensor x = iota(Shape{1, 1, 3, 3}, 1.0, dt);
            const Tensor gy = make(Shape{1, 1, 2, 2}, {1, 2, 3, 4}, dt);
            const Tensor gw = ops::conv2d_backward_weight(gy, x, Shape{1, 1, 2, 2}, conv_params(1, 1));
            CHECK(gw.shape() == Shape{1, 1, 2, 2});
            check_values(gw, {37, 47, 67, 77});
        }
        {
            INFO("stride 2");
            // x[h][w] = 4h + w + 1 (4x4): gw[kh][kw] = sum gy[i][j] (8i + 2j + 1) + 10 (4kh + kw)
            // with sum gy (8i+2j+1) = 1*1 + 2*3 + 3*9 + 4*11 = 78.
            // (adjoint: <y, gy> = 44 + 2*64 + 3*124 + 4*144 = 1120 = 78 + 2*88 + 3*118 + 4*128)
            const Tensor x = iota(Shape{1, 1, 4, 4}, 1.0, dt);
            const Tensor gy = make(Shape{1, 1, 2, 2}, {1, 2, 3, 4}, dt);
            const Tensor gw = ops::conv2d_backward_weight(gy, x, Shape{1, 1, 2, 2}, conv_params(2, 2));
            check_values(gw, {78, 88, 118, 128});
        }
        {
            INFO("asymmetric padding");
            // xpad rows: [0 0 0 0 0], [0 0 1 2 0], [0 0 3 4 0]; gy = [[1,2,3,4],[5,6,7,8]].
            // gw00 = gy row1 . xpad row1 cols 0..3 = [5,6,7,8].[0,0,1,2] = 23
            // gw01 = gy row1 . xpad row1 cols 1..4 = [5,6,7,8].[0,1,2,0] = 20
            // gw10 = gy row0 . xpad row1 cols 0..3 + gy row1 . xpad row2 cols 0..3 = 11 + 53 = 64
            // gw11 = gy row0 . xpad row1 cols 1..4 + gy row1 . xpad row2 cols 1..4 = 8 + 46 = 54
            // (adjoint: <w, gw> = 23 + 40 + 192 + 216 = 471 = <y, gy>)
            const Tensor x = make(Shape{1, 1, 2, 2}, {1, 2, 3, 4}, dt);
            const Tensor gy = iota(Shape{1, 1, 2, 4}, 1.0, dt);
            const Tensor gw = ops::conv2d_backward_weight(gy, x, Shape{1, 1, 2, 2}, conv_params(1, 1, {1, 0, 2, 1}));
            check_values(gw, {23, 20, 64, 54});
        }
        {
            INFO("two channels in and out");
            // x of the two-channel forward case, gy o0 = 1, o1 = 2: gw[o][c][kh][kw] =
            // (1 or 2) * the sum of the 2x2 block of x[c] at (kh, kw):
            // c0 blocks: 1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28
            // c1 blocks: 1+0+0+3 = 4, 0+2+3+0 = 5, 0+3+4+0 = 7, 3+0+0+5 = 8
            const Tensor x = make(Shape{1, 2, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9,  //
                                                      1, 0, 2, 0, 3, 0, 4, 0, 5},
                                  dt);
            const Tensor gy = make(Shape{1, 2, 2, 2}, {1, 1, 1, 1, 2, 2, 2, 2}, dt);
            const Tensor gw = ops::conv2d_backward_weight(gy, x, Shape{2, 2, 2, 2}, conv_params(1, 1));
            check_values(gw, {12, 16, 24, 28, 4, 5, 7, 8,  //
                              24, 32, 48, 56, 8, 10, 14, 16});
        }
        {
            INFO("1x1 kernel, batch 2 sums over the batch");
            // gw[o][c] = sum_n <gy[n][o], x[n][c]>:
            // gw00 = <[1,2,3,4],[1,2,3,4]> + <[0,1,0,1],[1,1,1,1]> = 30 + 2 = 32
            // gw01 = <[1,2,3,4],[1,0,0,1]> + <[0,1,0,1],[0,2,0,2]> = 5 + 4 = 9
            // gw10 = <[1,1,1,1],[1,2,3,4]> + <[2,0,2,0],[1,1,1,1]> = 10 + 4 = 14
            // gw11 = <[1,1,1,1],[1,0,0,1]> + <[2,0,2,0],[0,2,0,2]> = 2 + 0 = 2
            const Tensor x = make(Shape{2, 2, 2, 2}, {1, 2, 3, 4, 1, 0, 0, 1,  //
                                                      1, 1, 1, 1, 0, 2, 0, 2},
                                  dt);
            const Tensor gy = make(Shape{2, 2, 2, 2}, {1, 2, 3, 4, 1, 1, 1, 1,  //
                                                       0, 1, 0, 1, 2, 0, 2, 0},
                                   dt);
            const Tensor gw = ops::conv2d_backward_weight(gy, x, Shape{2, 2, 1, 1}, conv_params(1, 1));
            check_values(gw, {32, 9, 14, 2});
        }
    }
}

TEST_CASE("ops: conv2d_backward_bias") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // Sums over batch and space: o0 = (1+2+3+4) + (0+1+0+1) = 12, o1 = 4*1 + (2+0+2+0) = 8.
        const Tensor gy = make(Shape{2, 2, 2, 2}, {1, 2, 3, 4, 1, 1, 1, 1,  //
                                                   0, 1, 0, 1, 2, 0, 2, 0},
                               dt);
        const Tensor gb = ops::conv2d_backward_bias(gy);
        CHECK(gb.shape() == Shape{2});
        check_values(gb, {12, 8});
    }
}

// =====================================================================================
// fully connected
// =====================================================================================

TEST_CASE("ops: linear_forward with and without bias") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        // x = [[1,2,3],[4,5,6]], W = [[1,0,-1],[2,1,0]]:
        // x W^T = [[1-3, 2+2], [4-6, 8+5]] = [[-2,4],[-2,13]]; + b [0.5,-1] = [[-1.5,3],[-1.5,12]].
        const Tensor x = iota(Shape{2, 3}, 1.0, dt);
        const Tensor w = make(Shape{2, 3}, {1, 0, -1, 2, 1, 0}, dt);
        const Tensor y = ops::linear_forward(x, w, Tensor());
        CHECK(y.shape() == Shape{2, 2});
        check_values(y, {-2, 4, -2, 13});
        check_values(ops::linear_forward(x, w, make(Shape{2}, {0.5, -1}, dt)), {-1.5, 3, -1.5, 12});
    }
}

TEST_CASE("ops: linear_backward_input, _weight, _bias") {
    for (DType dt : kBothDTypes) {
        INFO("dtype ", dtype_name(dt));
        const Tensor x = iota(Shape{2, 3}, 1.0, dt);
        const Tensor w = make(Shape{2, 3}, {1, 0, -1, 2, 1, 0}, dt);
        const Tensor gy = make(Shape{2, 2}, {1, 2, 3, -1}, dt);
        // gx = gy W: row0 = 1*[1,0,-1] + 2*[2,1,0] = [5,2,-1]; row1 = 3*[1,0,-1] - [2,1,0] = [1,-1,-3].
        const Tensor gx = ops::linear_backward_input(gy, w);
        CHECK(gx.shape() == Shape{2, 3});
        check_values(gx, {5, 2, -1, 1, -1, -3});
        // gW = gy^T x: row o0 = 1*[1,2,3] + 3*[4,5,6] = [13,17,21]; o1 = 2*[1,2,3] - [4,5,6] = [-2,-1,0].
        const Tensor gw = ops::linear_backward_weight(gy, x);
        CHECK(gw.shape() == Shape{2, 3});
        check_values(gw, {13, 17, 21, -2, -1, 0});
        // gb = column sums of gy = [1+3, 2-1] = [4, 1].
        const Tensor gb = ops::linear_backward_bias(gy);
        CHECK(gb.shape() == Shape{2});
        check_values(gb, {4, 1});
    }
}

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
