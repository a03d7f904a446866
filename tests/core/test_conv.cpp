// The CPU convolutions against a naive direct-loop convolution written here, on random
// shapes (batch > 1, strides, asymmetric padding, 1x1 pointwise, kernels as large as the
// padded input): im2col + BLAS in float64, and the float32 path (oneDNN when the build has
// it) with blocked-layout channel counts added. Forward, backward-data, backward-weight and
// backward-bias.
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/cpu/f32_path.h"
#ifdef IGCAM_TEST_ONEDNN
#include "core/cpu/conv2d_onednn.h"
#include "core/cpu/onednn.h"
#endif
#include "core/ops.h"
#include "core/random.h"
#include "core/weight_cache.h"
#include "tests/test_util.h"

using namespace igcam;

namespace {

struct Case {
    int64_t n, c, h, w, o, kh, kw;
    Conv2dParams p;
};

Conv2dParams params(int64_t sh, int64_t sw, int64_t top, int64_t bottom, int64_t left, int64_t right) {
    Conv2dParams p;
    p.stride_h = sh;
    p.stride_w = sw;
    p.pad = {top, bottom, left, right};
    return p;
}

// The oracle: y[n,o,i,j] = b[o] + sum_{c,a,b} x[n,c,i*sh-top+a, j*sw-left+b] * w[o,c,a,b],
// with x = 0 outside the image.
struct Naive {
    const Case& k;
    int64_t oh, ow;
    explicit Naive(const Case& kase)
        : k(kase),
          oh((kase.h + kase.p.pad.top + kase.p.pad.bottom - kase.kh) / kase.p.stride_h + 1),
          ow((kase.w + kase.p.pad.left + kase.p.pad.right - kase.kw) / kase.p.stride_w + 1) {}

    // Calls f(x_index, w_index, y_index) for every multiply-add of the convolution.
    template <typename F>
    void each_tap(F f) const {
        for (int64_t n = 0; n < k.n; ++n)
            for (int64_t o = 0; o < k.o; ++o)
                for (int64_t i = 0; i < oh; ++i)
                    for (int64_t j = 0; j < ow; ++j)
                        for (int64_t c = 0; c < k.c; ++c)
                            for (int64_t a = 0; a < k.kh; ++a)
                                for (int64_t b = 0; b < k.kw; ++b) {
                                    const int64_t y = i * k.p.stride_h - k.p.pad.top + a;
                                    const int64_t x = j * k.p.stride_w - k.p.pad.left + b;
                                    if (y < 0 || y >= k.h || x < 0 || x >= k.w) continue;
                                    f(((n * k.c + c) * k.h + y) * k.w + x, ((o * k.c + c) * k.kh + a) * k.kw + b,
                                      ((n * k.o + o) * oh + i) * ow + j);
                                }
    }
    Shape y_shape() const { return Shape{k.n, k.o, oh, ow}; }
};

Tensor from(const Shape& s, const std::vector<double>& v) { return Tensor::from_values(s, v, DType::F64); }

std::vector<Case> cases() {
    return {
        {2, 3, 7, 5, 4, 3, 3, params(1, 1, 1, 1, 1, 1)},   // same padding, batch 2
        {3, 2, 9, 8, 5, 3, 2, params(2, 2, 0, 1, 1, 0)},   // stride 2, asymmetric padding
        {1, 4, 6, 6, 3, 1, 1, params(1, 1, 0, 0, 0, 0)},   // 1x1 stride 1: straight to GEMM
        {2, 5, 5, 7, 6, 1, 1, params(1, 1, 0, 0, 0, 0)},   // pointwise with batch
        {2, 3, 5, 5, 2, 1, 1, params(2, 2, 0, 0, 0, 0)},   // 1x1 stride 2: im2col path
        {1, 3, 11, 11, 4, 7, 7, params(2, 2, 3, 3, 3, 3)}, // a ResNet stem in miniature
        {4, 2, 4, 4, 3, 5, 6, params(1, 1, 1, 0, 1, 1)},   // kernel as large as the padded input
        {5, 3, 3, 4, 2, 2, 2, params(3, 1, 0, 0, 2, 0)},   // batch 5 grouped into one GEMM
    };
}

// The direct-loop results for one case, in float64, from inputs x, w, b, dy (any dtype).
struct Reference {
    Tensor y, dx, dw, db;
};

Reference direct_loop(const Case& k, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& dy) {
    const Naive naive(k);
    const std::vector<double> xv = x.to_vector(), wv = w.to_vector(), bv = b.to_vector(), dyv = dy.to_vector();
    std::vector<double> y(static_cast<std::size_t>(naive.y_shape().numel()));
    std::vector<double> dx(xv.size(), 0.0), dw(wv.size(), 0.0), db(bv.size(), 0.0);
    naive.each_tap([&](int64_t xi, int64_t wi, int64_t yi) {
        y[yi] += xv[xi] * wv[wi];
        dx[xi] += dyv[yi] * wv[wi];
        dw[wi] += dyv[yi] * xv[xi];
    });
    const int64_t spatial = naive.oh * naive.ow;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const int64_t o = (static_cast<int64_t>(i) / spatial) % k.o;
        y[i] += bv[o];
        db[o] += dyv[i];
    }
    return {from(naive.y_shape(), y), from(x.shape(), dx), from(w.shape(), dw), from(b.shape(), db)};
}

// Relative error of a result of any dtype against the float64 reference.
double error(const Tensor& got, const Tensor& ref) { return test::relative_error(got.to(DType::F64), ref); }

}  // namespace

TEST_CASE("conv2d: im2col + BLAS agrees with a direct-loop convolution (f64, <= 1e-12 relative)") {
    uint64_t seed = 100;
    for (const Case& k : cases()) {
        CAPTURE(k.n); CAPTURE(k.c); CAPTURE(k.h); CAPTURE(k.w); CAPTURE(k.o); CAPTURE(k.kh); CAPTURE(k.kw);
        const Naive naive(k);
        const Tensor x = random_uniform(Shape{k.n, k.c, k.h, k.w}, -1, 1, ++seed, DType::F64);
        const Tensor w = random_uniform(Shape{k.o, k.c, k.kh, k.kw}, -1, 1, ++seed, DType::F64);
        const Tensor b = random_uniform(Shape{k.o}, -1, 1, ++seed, DType::F64);
        const Tensor dy = random_uniform(naive.y_shape(), -1, 1, ++seed, DType::F64);
        const Reference ref = direct_loop(k, x, w, b, dy);

        CHECK(ops::conv2d_output_shape(x.shape(), w.shape(), k.p) == naive.y_shape());
        CHECK(test::relative_error(ops::conv2d_forward(x, w, b, k.p), ref.y) <= 1e-12);
        CHECK(test::relative_error(ops::conv2d_backward_data(dy, w, x.shape(), k.p), ref.dx) <= 1e-12);
        CHECK(test::relative_error(ops::conv2d_backward_weight(dy, x, w.shape(), k.p), ref.dw) <= 1e-12);
        CHECK(test::relative_error(ops::conv2d_backward_bias(dy), ref.db) <= 1e-12);
    }
}

TEST_CASE("conv2d: the float32 path (oneDNN when built) agrees with a direct-loop convolution") {
    const std::string path = cpu::f32_path_name();
    MESSAGE("float32 convolution: ", path);
#ifdef IGCAM_TEST_ONEDNN
    // A build with oneDNN must use it unless IGCAM_CPU_CONV=blas asks otherwise.
    const char* env = std::getenv("IGCAM_CPU_CONV");
    if (env == nullptr || std::string(env) != "blas") CHECK(path.rfind("oneDNN", 0) == 0);
#endif
    std::vector<Case> all = cases();
    // Channel counts that are multiples of oneDNN's channel block (8 or 16), so the blocked
    // layouts and their reorders run too, not only the plain-layout kernels.
    all.push_back({2, 16, 9, 8, 32, 3, 3, params(2, 2, 0, 1, 1, 0)});   // stride 2, asymmetric padding
    all.push_back({3, 32, 6, 5, 16, 1, 1, params(1, 1, 0, 0, 0, 0)});   // 1x1, batch 3
    all.push_back({2, 16, 7, 7, 16, 1, 1, params(2, 2, 0, 0, 0, 0)});   // 1x1 stride 2 (ResNet downsample)
    all.push_back({1, 3, 17, 17, 16, 7, 7, params(2, 2, 3, 3, 3, 3)});  // stem: 3 channels in, blocked out
    uint64_t seed = 500;
    for (const Case& k : all) {
        CAPTURE(k.n); CAPTURE(k.c); CAPTURE(k.h); CAPTURE(k.w); CAPTURE(k.o); CAPTURE(k.kh); CAPTURE(k.kw);
        const Naive naive(k);
        const Tensor x = random_uniform(Shape{k.n, k.c, k.h, k.w}, -1, 1, ++seed);
        const Tensor w = random_uniform(Shape{k.o, k.c, k.kh, k.kw}, -1, 1, ++seed);
        const Tensor b = random_uniform(Shape{k.o}, -1, 1, ++seed);
        const Tensor dy = random_uniform(naive.y_shape(), -1, 1, ++seed);
        // The reference sums the same float32 values exactly (in float64).
        const Reference ref = direct_loop(k, x, w, b, dy);
        // NOTE: why sqrt(K). Each result is a sum of K float32 products of terms in [-1, 1];
        // rounding errors add up like a random walk, so the absolute error grows about as
        // sqrt(K) * (size of the partial sums) * 2^-24, while the largest result, which
        // relative_error divides by, grows like sqrt(K) too: the ratio is a small constant
        // times sqrt(K) * 2^-24. Measured on these cases (oneDNN's plain and blocked kernels,
        // and im2col + OpenBLAS): at most 0.75 * sqrt(K) * 2^-24; 2 leaves room for other
        // kernels' summation orders. A wrong tap or a dropped row is off by about 1/sqrt(K).
        auto tolerance = [](int64_t terms) { return 2.0 * std::sqrt(static_cast<double>(terms)) * 0x1p-24; };
        const int64_t k_forward = k.c * k.kh * k.kw;                  // per output: C * kh * kw
        const int64_t k_data = k.o * k.kh * k.kw;                     // per input pixel: at most O * kh * kw
        const int64_t k_weight = k.n * naive.oh * naive.ow;           // per weight: N * out_h * out_w
        const int64_t k_bias = k_weight;
        const Tensor y = ops::conv2d_forward(x, w, b, k.p);
        REQUIRE(y.dtype() == DType::F32);
        CHECK(error(y, ref.y) <= tolerance(k_forward));
        // Without bias oneDNN runs a different primitive.
        const Reference no_bias = direct_loop(k, x, w, Tensor::zeros(b.shape()), dy);
        CHECK(error(ops::conv2d_forward(x, w, Tensor(), k.p), no_bias.y) <= tolerance(k_forward));
        CHECK(error(ops::conv2d_backward_data(dy, w, x.shape(), k.p), ref.dx) <= tolerance(k_data));
        CHECK(error(ops::conv2d_backward_weight(dy, x, w.shape(), k.p), ref.dw) <= tolerance(k_weight));
        CHECK(error(ops::conv2d_backward_bias(dy), ref.db) <= tolerance(k_bias));
    }
}

#ifdef IGCAM_TEST_ONEDNN
TEST_CASE("conv2d: Winograd 3x3 stride-1 convolutions agree with a direct-loop convolution") {
    // ResNet-50's 3x3 stride-1 shapes (channels, side) at batch 2 and 10: oneDNN has its
    // F(4x4, 3x3) Winograd kernel for them on AVX-512.
    const std::vector<Case> shapes{{2, 64, 14, 14, 64, 3, 3, params(1, 1, 1, 1, 1, 1)},
                                   {10, 64, 14, 14, 64, 3, 3, params(1, 1, 1, 1, 1, 1)},
                                   {2, 128, 14, 14, 128, 3, 3, params(1, 1, 1, 1, 1, 1)},
                                   {10, 256, 7, 7, 256, 3, 3, params(1, 1, 1, 1, 1, 1)}};
    const bool before = cpu::winograd_enabled();
    uint64_t seed = 900;
    for (const Case& k : shapes) {
        CAPTURE(k.n); CAPTURE(k.c); CAPTURE(k.h); CAPTURE(k.o);
        const Naive naive(k);
        const Tensor x = random_uniform(Shape{k.n, k.c, k.h, k.w}, -1, 1, ++seed);
        const Tensor w = random_uniform(Shape{k.o, k.c, k.kh, k.kw}, -1, 1, ++seed);
        const Tensor b = random_uniform(Shape{k.o}, -1, 1, ++seed);
        const Reference ref = direct_loop(k, x, w, b, Tensor::zeros(naive.y_shape()));
        const Conv2dGeometry g{k.n, k.c, k.h, k.w, k.o, 3, 3, 1, 1, 1, 1, naive.oh, naive.ow};
        cpu::set_winograd(false);
        const std::string direct_kernel = cpu::onednn::forward_implementation(g);
        const double direct = error(ops::conv2d_forward(x, w, b, k.p), ref.y);
        cpu::set_winograd(true);
        const std::string winograd_kernel = cpu::onednn::forward_implementation(g);
        const double winograd = error(ops::conv2d_forward(x, w, b, k.p), ref.y);
        MESSAGE(winograd_kernel, ": ", winograd, " relative; ", direct_kernel, ": ", direct);
        CHECK(direct_kernel.find("wino") == std::string::npos);
        // This CPU's oneDNN has Winograd for these shapes when it has AVX-512.
        if (cpu::onednn::channel_block() == 16) CHECK(winograd_kernel.find("wino") != std::string::npos);
        // NOTE: why 4 sqrt(K) 2^-24 here and 2 for direct convolution above. Winograd
        // transforms the input, the weights and the output tile by tile with constants up to
        // 8 (F(4x4, 3x3)'s points 0, +-1, +-2, +-1/2), so each result is a combination of
        // transformed terms rather than K products, and its rounding error is larger than
        // direct convolution's. Measured on these shapes (oneDNN 2.6.3, AVX-512): F(4x4, 3x3)
        // 6-10 x direct's error, at most 1.2 * sqrt(K) * 2^-24 (2.4e-6 relative at K = 1152);
        // F(2x2, 3x3) as direct. 4 leaves three times that; a wrong tap is off by 1/sqrt(K).
        const int64_t terms = k.c * 9;
        CHECK(winograd <= 4.0 * std::sqrt(static_cast<double>(terms)) * 0x1p-24);
        CHECK(direct <= 2.0 * std::sqrt(static_cast<double>(terms)) * 0x1p-24);
    }
    cpu::set_winograd(before);
}

TEST_CASE("conv2d: bfloat16 inputs agree with a direct-loop convolution to bfloat16 rounding") {
    if (!cpu::onednn::has_bf16()) {
        MESSAGE("no AVX512-BF16 here (oneDNN runs ", cpu::onednn::cpu_isa(), "): --bf16 is refused, nothing to check");
        return;
    }
    const std::vector<Case> shapes{{2, 64, 14, 14, 64, 3, 3, params(1, 1, 1, 1, 1, 1)},
                                   {2, 256, 7, 7, 64, 1, 1, params(1, 1, 0, 0, 0, 0)},
                                   {1, 3, 17, 17, 16, 7, 7, params(2, 2, 3, 3, 3, 3)}};
    uint64_t seed = 990;
    for (const Case& k : shapes) {
        CAPTURE(k.c); CAPTURE(k.kh); CAPTURE(k.o);
        const Naive naive(k);
        const Tensor x = random_uniform(Shape{k.n, k.c, k.h, k.w}, -1, 1, ++seed);
        const Tensor w = random_uniform(Shape{k.o, k.c, k.kh, k.kw}, -1, 1, ++seed);
        const Tensor b = random_uniform(Shape{k.o}, -1, 1, ++seed);
        const Reference ref = direct_loop(k, x, w, b, Tensor::zeros(naive.y_shape()));
        cpu::set_bf16(true);
        const Conv2dGeometry g{k.n, k.c, k.h, k.w, k.o, k.kh, k.kw, k.p.stride_h, k.p.stride_w, k.p.pad.top,
                               k.p.pad.left, naive.oh, naive.ow};
        const std::string kernel = cpu::onednn::forward_implementation(g);
        const double bf16 = error(ops::conv2d_forward(x, w, b, k.p), ref.y);
        cpu::set_bf16(false);
        MESSAGE(kernel, ": ", bf16, " relative");
        CHECK(kernel.find("bf16") != std::string::npos);
        // NOTE: why 4 * 2^-8. bfloat16 keeps 8 significant bits, so each input and weight is
        // off by up to 2^-9 relative and each product by about 2^-8; those errors add like a
        // random walk, about sqrt(K) 2^-8 times a term, against a result of about sqrt(K)
        // terms: a relative error near 2^-8 whatever K is. Measured on these shapes (oneDNN
        // 2.6.3, AVX512-BF16): 1.8e-3 to 2.2e-3, at most 0.6 * 2^-8; 4 leaves room.
        CHECK(bf16 <= 4.0 * 0x1p-8);
        CHECK(bf16 > 1e-5);  // the inputs really were rounded to bfloat16
    }
}

TEST_CASE("conv2d: an image's result and the rest of its batch") {
    // ResNet-50's and VGG16's 3x3 stride-1 geometries (channels, side) at several batch
    // sizes. Direct convolution (the default) gives each image's row of the batch the bits of
    // the image alone; Winograd's kernels block their work by the batch size, so there the
    // row agrees with the image alone within twice the Winograd tolerance above (both are
    // Winograd results). Measured: up to 5e-6 relative.
    const bool before = cpu::winograd_enabled();
    uint64_t seed = 950;
    for (const auto& [channels, side] : std::vector<std::pair<int64_t, int64_t>>{
             {64, 56}, {128, 28}, {256, 14}, {512, 14}, {512, 28}, {512, 7}}) {
        for (int64_t batch : {2, 3, 7, 16}) {
            CAPTURE(channels); CAPTURE(side); CAPTURE(batch);
            const Tensor x = random_uniform(Shape{batch, channels, side, side}, -1, 1, ++seed);
            const Tensor w = random_uniform(Shape{channels, channels, 3, 3}, -1, 1, ++seed);
            const Tensor b = random_uniform(Shape{channels}, -1, 1, ++seed);
            const Conv2dParams same = params(1, 1, 1, 1, 1, 1);
            for (bool winograd : {false, true}) {
                cpu::set_winograd(winograd);
                const Tensor all = ops::conv2d_forward(x, w, b, same);
                for (int64_t n : {int64_t{0}, batch - 1}) {
                    const Tensor row = all.slice_batch(n, n + 1);
                    const Tensor alone = ops::conv2d_forward(x.slice_batch(n, n + 1), w, b, same);
                    if (!winograd) CHECK(ops::max_abs_diff(row, alone) == 0.0);
                    else CHECK(error(row, alone.to(DType::F64)) <= 8.0 * std::sqrt(channels * 9.0) * 0x1p-24);
                }
            }
        }
    }
    cpu::set_winograd(before);
}
#endif

TEST_CASE("conv2d: float32 agrees with the float64 result to float32 rounding") {
    const Case k{3, 4, 9, 9, 5, 3, 3, params(2, 2, 1, 1, 1, 1)};
    const Tensor x = random_uniform(Shape{k.n, k.c, k.h, k.w}, -1, 1, 7, DType::F64);
    const Tensor w = random_uniform(Shape{k.o, k.c, k.kh, k.kw}, -1, 1, 8, DType::F64);
    const Tensor b = random_uniform(Shape{k.o}, -1, 1, 9, DType::F64);
    const Tensor y64 = ops::conv2d_forward(x, w, b, k.p);
    const Tensor y32 = ops::conv2d_forward(x.to(DType::F32), w.to(DType::F32), b.to(DType::F32), k.p);
    CHECK(y32.dtype() == DType::F32);
    // 36 products of inputs rounded to float32: error well under 1e-6 relative.
    CHECK(test::relative_error(y32, y64) < 1e-6);
}

TEST_CASE("conv2d: no bias is the same as a zero bias") {
    const Tensor x = random_uniform(Shape{2, 2, 5, 5}, -1, 1, 11, DType::F64);
    const Tensor w = random_uniform(Shape{3, 2, 3, 3}, -1, 1, 12, DType::F64);
    const Conv2dParams p = params(1, 1, 1, 1, 1, 1);
    CHECK(ops::max_abs_diff(ops::conv2d_forward(x, w, Tensor(), p),
                            ops::conv2d_forward(x, w, Tensor::zeros(Shape{3}, DType::F64), p)) == 0.0);
}

TEST_CASE("conv2d_fused_forward: equals conv, batch norm, residual add and ReLU one by one") {
    // Blocked channel counts (oneDNN's fused primitive), 3 input channels (plain layout),
    // 1x1 stride 2 and asymmetric padding; with and without bias, batch norm, residual, ReLU.
    const std::vector<Case> all = {
        {2, 16, 9, 8, 32, 3, 3, params(2, 2, 0, 1, 1, 0)},
        {3, 32, 6, 5, 16, 1, 1, params(1, 1, 0, 0, 0, 0)},
        {2, 16, 7, 7, 32, 1, 1, params(2, 2, 0, 0, 0, 0)},
        {1, 3, 17, 17, 16, 7, 7, params(2, 2, 3, 3, 3, 3)},
        {2, 4, 6, 6, 5, 3, 3, params(1, 1, 1, 1, 1, 1)},
    };
    uint64_t seed = 900;
    for (const Case& k : all) {
        for (const DType dtype : {DType::F32, DType::F64}) {
            for (int parts = 0; parts < 16; ++parts) {  // bits: bias, batch norm, residual, ReLU
                const bool with_bias = parts & 1, with_bn = parts & 2, with_residual = parts & 4, relu = parts & 8;
                CAPTURE(k.c); CAPTURE(k.o); CAPTURE(k.kh); CAPTURE(parts); CAPTURE(dtype_name(dtype));
                const Naive naive(k);
                const Tensor x = random_uniform(Shape{k.n, k.c, k.h, k.w}, -1, 1, ++seed, dtype);
                const Tensor w = random_uniform(Shape{k.o, k.c, k.kh, k.kw}, -1, 1, ++seed, dtype);
                const Tensor b = with_bias ? random_uniform(Shape{k.o}, -1, 1, ++seed, dtype) : Tensor();
                const ops::BatchNormConstants bn{random_uniform(Shape{k.o}, 0.5, 1.5, ++seed, dtype),
                                                 random_uniform(Shape{k.o}, -0.5, 0.5, ++seed, dtype),
                                                 random_uniform(Shape{k.o}, -0.5, 0.5, ++seed, dtype),
                                                 random_uniform(Shape{k.o}, 0.5, 1.5, ++seed, dtype), 1e-5};
                ops::ConvFusion fusion;
                fusion.bn = with_bn ? &bn : nullptr;
                if (with_residual) fusion.residual = random_uniform(naive.y_shape(), -1, 1, ++seed, dtype);
                fusion.relu = relu;

                Tensor expected = ops::conv2d_forward(x, w, b, k.p);
                if (with_bn) expected = ops::batch_norm_forward(expected, bn.gamma, bn.beta, bn.mean, bn.var, bn.eps);
                if (with_residual) expected = ops::add(expected, fusion.residual);
                if (relu) expected = ops::relu_forward(expected);
                const Tensor got = ops::conv2d_fused_forward(x, w, b, fusion, k.p);
                REQUIRE(got.shape() == expected.shape());
                if (dtype == DType::F64) {
                    // Float64 is the specification: the same ops one by one, bit for bit.
                    CHECK(ops::max_abs_diff(got, expected) == 0.0);
                } else {
                    // oneDNN folds the batch norm's scale into the weights before the sum of
                    // K = C * kh * kw products: two differently rounded sums of K terms, each
                    // within about sqrt(K) 2^-24 of the exact one (see the oracle test above),
                    // so their difference is up to about twice that. Measured: 1.2 sqrt(K) 2^-24.
                    const double terms = static_cast<double>(k.c * k.kh * k.kw);
                    CHECK(test::relative_error(got, expected) <= 3.0 * std::sqrt(terms) * 0x1p-24);
                }
            }
        }
    }
}

TEST_CASE("conv2d_fused_forward: float32 results handed on in oneDNN's layout read the same as plain ones") {
    // A ResNet bottleneck's pattern: y1 = relu(bn(conv(x))), then y2 = relu(conv(y1) + y1),
    // where y2 reads y1 (input and residual) in the layout the first call left it, and so do
    // two max poolings; the weights' reordered copy lives in the caller's cache, is reused,
    // added to when the batch norm changes and not used once the weights are written.
    const Conv2dParams same = params(1, 1, 1, 1, 1, 1), pointwise = params(1, 1, 0, 0, 0, 0);
    const Tensor x = random_uniform(Shape{2, 16, 7, 6}, -1, 1, 950);
    Tensor w1 = random_uniform(Shape{32, 16, 3, 3}, -1, 1, 951);
    const Tensor w2 = random_uniform(Shape{32, 32, 1, 1}, -1, 1, 952);
    const Tensor b2 = random_uniform(Shape{32}, -1, 1, 953);
    const ops::BatchNormConstants bn{random_uniform(Shape{32}, 0.5, 1.5, 954), random_uniform(Shape{32}, -0.5, 0.5, 955),
                                     random_uniform(Shape{32}, -0.5, 0.5, 956), random_uniform(Shape{32}, 0.5, 1.5, 957),
                                     1e-5};
    const ops::BatchNormConstants bn_other{random_uniform(Shape{32}, 0.5, 1.5, 958), bn.beta, bn.mean, bn.var, 1e-5};
    auto one_by_one = [](const Tensor& in, const Tensor& w, const Tensor& b, const ops::BatchNormConstants* norm,
                         const Tensor& residual, const Conv2dParams& p) {
        Tensor y = ops::conv2d_forward(in, w, b, p);
        if (norm != nullptr) y = ops::batch_norm_forward(y, norm->gamma, norm->beta, norm->mean, norm->var, norm->eps);
        if (residual.defined()) y = ops::add(y, residual);
        return ops::relu_forward(y);
    };
    // As in the test above: two float32 sums of K terms, rounded differently.
    auto agrees = [](const Tensor& got, const Tensor& expected, int64_t terms) {
        return test::relative_error(got, expected) <= 3.0 * std::sqrt(static_cast<double>(terms)) * 0x1p-24;
    };
    // Activations stay blocked where oneDNN blocks channels (AVX2 and up); scaled weights
    // always need a reorder, so their copy is cached whenever oneDNN runs.
    const bool keeps_weights = cpu::f32_uses_onednn();
    bool keeps_layouts = false;
#ifdef IGCAM_TEST_ONEDNN
    keeps_layouts = keeps_weights && cpu::onednn::channel_block() > 0;
#endif
    WeightCache cache1, cache2;
    ops::ConvFusion first;
    first.bn = &bn;
    first.relu = true;
    first.weights_cache = &cache1;
    const Tensor y1 = ops::conv2d_fused_forward(x, w1, Tensor(), first, same);
    CHECK(y1.layout().is_plain() == !keeps_layouts);  // left blocked for the next oneDNN op
    CHECK(cache1.holds_current(w1) == keeps_weights);  // the reordered, scaled weights
    ops::ConvFusion second;
    second.residual = y1;
    second.relu = true;
    second.weights_cache = &cache2;
    const Tensor y2 = ops::conv2d_fused_forward(y1, w2, b2, second, pointwise);
    CHECK(y2.layout() == y1.layout());
    // Max pooling in that layout too: ceil mode with padding, and floor mode dropping a row.
    const Pool2dParams ceil_pool = Pool2dParams::square(3, 2, 1, true), floor_pool = Pool2dParams::square(2, 2);
    const Tensor pooled_ceil = ops::max_pool2d_forward(y1, ceil_pool), pooled_floor = ops::max_pool2d_forward(y1, floor_pool);
    CHECK(pooled_ceil.layout() == y1.layout());
    // A batch slice of the blocked values is read as it is.
    const Tensor tail = ops::conv2d_fused_forward(y1.slice_batch(1, 2), w2, b2, ops::ConvFusion{}, pointwise);

    // A maximum is exact: the same values as the plain kernel's, bit for bit.
    const Tensor y1_plain = ops::to_plain(y1);
    CHECK(ops::max_abs_diff(pooled_ceil, ops::max_pool2d_forward(y1_plain, ceil_pool)) == 0.0);
    CHECK(ops::max_abs_diff(pooled_floor, ops::max_pool2d_forward(y1_plain, floor_pool)) == 0.0);
    const Tensor expected1 = one_by_one(x, w1, Tensor(), &bn, Tensor(), same);
    CHECK(agrees(y1, expected1, 16 * 9));
    CHECK(agrees(y2, one_by_one(y1_plain, w2, b2, nullptr, y1_plain, pointwise), 32));
    CHECK(agrees(tail, ops::conv2d_forward(y1_plain.slice_batch(1, 2), w2, b2, pointwise), 32));

    // The same weights under another batch norm: a second entry, scaled for it.
    ops::ConvFusion other = first;
    other.bn = &bn_other;
    CHECK(agrees(ops::conv2d_fused_forward(x, w1, Tensor(), other, same),
                 one_by_one(x, w1, Tensor(), &bn_other, Tensor(), same), 16 * 9));
    CHECK(cache1.size() == (keeps_weights ? 2u : 0u));
    CHECK(agrees(ops::conv2d_fused_forward(x, w1, Tensor(), first, same), expected1, 16 * 9));
    // Written weights: the kept copies are not used any more, and the next call uses the new values.
    w1.mutable_data<float>()[0] += 1.0f;
    CHECK_FALSE(cache1.holds_current(w1));
    const Tensor changed = ops::conv2d_fused_forward(x, w1, Tensor(), first, same);
    CHECK(agrees(changed, one_by_one(x, w1, Tensor(), &bn, Tensor(), same), 16 * 9));
    CHECK(ops::max_abs_diff(changed, expected1) > 1e-3);
    CHECK(cache1.holds_current(w1) == keeps_weights);
    CHECK(cache1.size() == (keeps_weights ? 1u : 0u));  // the old values' copies are gone
}
