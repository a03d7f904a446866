// Hand-computed tiny examples for the convolution and fully connected ops of core/ops.h. Each expected value is
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

}  // namespace igcam
