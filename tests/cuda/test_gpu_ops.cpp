// Every op of core/ops.h on the GPU against the CPU backend, on random tie-free inputs, in
// float32 and float64. New storage is poisoned (NaN bytes) for the whole suite, so an op
// that leaves part of its output unwritten fails. Tolerances are one table of
// {op, atol, rtol, scaled by sqrt(K)} rows: strict float32 allows atol + rtol * |ref| per
// element (times sqrt(K) for reductions and convolutions over K terms, whose summation
// order differs between the backends); float64 allows 1e-12 + 1e-12 * |ref| (times sqrt(K)).
#include <cfloat>
#include <cmath>
#include <functional>
#include <map>
#include <string>

#include "core/ops.h"
#include "core/random.h"
#include "core/storage.h"
#include "tests/test_util.h"

using namespace igcam;

namespace {

struct Tolerance {
    double atol, rtol;
    bool sqrt_k;  // a reduction over K terms: the bound grows with sqrt(K)
};

// float32 rows. Exact ops (copies, selections, max) must agree bitwise.
const std::map<std::string, Tolerance> kFloat32 = {
    {"exact", {0, 0, false}},
    {"elementwise", {1e-4, FLT_EPSILON, false}},
    {"reduction", {1e-4, FLT_EPSILON, true}},
    {"convolution", {1e-4, FLT_EPSILON, true}},
};
constexpr Tolerance kFloat64{1e-12, 1e-12, true};

const Device kGpu = Device::cuda(0);

struct Poison {
    Poison() { set_poison_new_storage(true); }
    ~Poison() { set_poison_new_storage(false); }
};

Tensor uniform(const Shape& shape, uint64_t seed, DType dtype) { return random_uniform(shape, -1, 1, seed, dtype); }

// Runs `op` on CPU copies and GPU copies of `inputs` and compares the results.
void check_op(const std::string& name, const std::string& kind, double k, DType dtype, const std::vector<Tensor>& inputs,
              const std::function<Tensor(const std::vector<Tensor>&)>& op) {
    CAPTURE(name);
    const std::string dtype_text = dtype_name(dtype);
    CAPTURE(dtype_text);
    std::vector<Tensor> on_cpu, on_gpu;
    for (const Tensor& t : inputs) {
        on_cpu.push_back(t.to(dtype));
        on_gpu.push_back(t.to(dtype).to(kGpu));
    }
    const Tensor expected = op(on_cpu);
    const Tensor actual_gpu = op(on_gpu);
    REQUIRE(actual_gpu.device() == kGpu);
    const Tensor actual = actual_gpu.to(Device::cpu());
    REQUIRE(actual.shape() == expected.shape());
    const Tolerance row = dtype == DType::F64 ? kFloat64 : kFloat32.at(kind);
    const double scale = row.sqrt_k ? std::sqrt(std::max(k, 1.0)) : 1.0;
    const std::vector<double> a = actual.to_vector(), e = expected.to_vector();
    double worst = 0;
    int64_t failures = 0, first = -1;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double bound = (row.atol + row.rtol * std::abs(e[i])) * scale;
        const double error = std::abs(a[i] - e[i]);
        worst = std::max(worst, error);
        if (!(error <= bound) && !(kind == "exact" && a[i] == e[i])) {
            if (first < 0) first = static_cast<int64_t>(i);
            ++failures;
        }
    }
    INFO("first failure at " << first << ": gpu " << (first >= 0 ? a[first] : 0.0) << " cpu "
                             << (first >= 0 ? e[first] : 0.0) << "; worst |error| " << worst);
    CHECK(failures == 0);
    MESSAGE(name << " " << dtype_text << ": worst |gpu - cpu| " << worst);
}

const DType kDtypes[] = {DType::F32, DType::F64};

}  // namespace

TEST_CASE("gpu ops: convolutions and linear layers") {
    Poison poison;
    struct Case {
        Shape x, w;
        Conv2dParams p;
    };
    const Case cases[] = {
        {{2, 3, 17, 19}, {8, 3, 3, 3}, {1, 1, Padding2d::uniform(1)}},
        {{2, 16, 15, 15}, {32, 16, 3, 3}, {2, 2, Padding2d::uniform(1)}},
        {{1, 8, 14, 14}, {4, 8, 3, 3}, {2, 2, Padding2d{0, 1, 0, 1}}},  // Keras "same", stride 2
        {{3, 32, 7, 7}, {64, 32, 1, 1}, {1, 1, Padding2d{}}},
        {{1, 3, 32, 32}, {16, 3, 7, 7}, {2, 2, Padding2d::uniform(3)}},
    };
    for (DType dtype : kDtypes) {
        uint64_t seed = 100;
        for (const Case& c : cases) {
            const Tensor x = uniform(c.x, ++seed, DType::F64), w = uniform(c.w, ++seed, DType::F64);
            const Tensor b = uniform(Shape{c.w[0]}, ++seed, DType::F64);
            const Shape y_shape = ops::conv2d_output_shape(c.x, c.w, c.p);
            const Tensor dy = uniform(y_shape, ++seed, DType::F64);
            const double k_forward = static_cast<double>(c.w[1] * c.w[2] * c.w[3]);
            check_op("conv2d_forward", "convolution", k_forward, dtype, {x, w, b},
                     [&](const std::vector<Tensor>& t) { return ops::conv2d_forward(t[0], t[1], t[2], c.p); });
            check_op("conv2d_backward_data", "convolution", static_cast<double>(c.w[0] * c.w[2] * c.w[3]), dtype,
                     {dy, w}, [&](const std::vector<Tensor>& t) {
                         return ops::conv2d_backward_data(t[0], t[1], c.x, c.p);
                     });
            check_op("conv2d_backward_weight", "convolution", static_cast<double>(y_shape[0] * y_shape[2] * y_shape[3]),
                     dtype, {dy, x}, [&](const std::vector<Tensor>& t) {
                         return ops::conv2d_backward_weight(t[0], t[1], c.w, c.p);
                     });
            check_op("conv2d_backward_bias", "reduction", static_cast<double>(y_shape[0] * y_shape[2] * y_shape[3]),
                     dtype, {dy}, [&](const std::vector<Tensor>& t) { return ops::conv2d_backward_bias(t[0]); });
        }
        const Tensor x = uniform(Shape{5, 300}, 1, DType::F64), w = uniform(Shape{70, 300}, 2, DType::F64);
        const Tensor b = uniform(Shape{70}, 3, DType::F64), dy = uniform(Shape{5, 70}, 4, DType::F64);
        check_op("linear_forward", "convolution", 300, dtype, {x, w, b},
                 [](const std::vector<Tensor>& t) { return ops::linear_forward(t[0], t[1], t[2]); });
        check_op("linear_backward_input", "convolution", 70, dtype, {dy, w},
                 [](const std::vector<Tensor>& t) { return ops::linear_backward_input(t[0], t[1]); });
        check_op("linear_backward_weight", "convolution", 5, dtype, {dy, x},
                 [](const std::vector<Tensor>& t) { return ops::linear_backward_weight(t[0], t[1]); });
        check_op("linear_backward_bias", "reduction", 5, dtype, {dy},
                 [](const std::vector<Tensor>& t) { return ops::linear_backward_bias(t[0]); });
    }
}

TEST_CASE("gpu ops: pooling, including ceil_mode, padding and PyTorch's divisors") {
    Poison poison;
    Pool2dParams no_pad_count = Pool2dParams::square(3, 2, 1);
    no_pad_count.count_include_pad = false;
    const Pool2dParams params[] = {Pool2dParams::square(2, 2), Pool2dParams::square(3, 2, 1),
                                   Pool2dParams::square(2, 2, 0, true), Pool2dParams::square(3, 2, 1, true),
                                   no_pad_count};
    for (DType dtype : kDtypes) {
        uint64_t seed = 200;
        for (const Pool2dParams& p : params) {
            const Tensor x = uniform(Shape{2, 3, 13, 11}, ++seed, DType::F64);
            const Tensor dy = uniform(ops::pool2d_output_shape(x.shape(), p), ++seed, DType::F64);
            const double window = static_cast<double>(p.kernel_h * p.kernel_w);
            check_op("max_pool2d_forward", "exact", 1, dtype, {x},
                     [&](const std::vector<Tensor>& t) { return ops::max_pool2d_forward(t[0], p); });
            check_op("max_pool2d_backward", "reduction", window, dtype, {dy, x},
                     [&](const std::vector<Tensor>& t) { return ops::max_pool2d_backward(t[0], t[1], p); });
            check_op("avg_pool2d_forward", "reduction", window, dtype, {x},
                     [&](const std::vector<Tensor>& t) { return ops::avg_pool2d_forward(t[0], p); });
            check_op("avg_pool2d_backward", "reduction", window, dtype, {dy},
                     [&](const std::vector<Tensor>& t) { return ops::avg_pool2d_backward(t[0], x.shape(), p); });
        }
        for (auto [out_h, out_w] : {std::pair<int64_t, int64_t>{1, 1}, {3, 5}, {7, 7}}) {
            const Tensor x = uniform(Shape{2, 4, 7, 9}, ++seed, DType::F64);
            const Tensor dy = uniform(Shape{2, 4, out_h, out_w}, ++seed, DType::F64);
            check_op("adaptive_avg_pool2d_forward", "reduction", 63, dtype, {x}, [&](const std::vector<Tensor>& t) {
                return ops::adaptive_avg_pool2d_forward(t[0], out_h, out_w);
            });
            check_op("adaptive_avg_pool2d_backward", "reduction", 63, dtype, {dy},
                     [&](const std::vector<Tensor>& t) { return ops::adaptive_avg_pool2d_backward(t[0], x.shape()); });
        }
    }
}

TEST_CASE("gpu ops: activations, batch norm and broadcasting arithmetic") {
    Poison poison;
    for (DType dtype : kDtypes) {
        const Tensor x = uniform(Shape{2, 5, 6, 7}, 1, DType::F64), dy = uniform(Shape{2, 5, 6, 7}, 2, DType::F64);
        const Tensor row = uniform(Shape{5, 1, 7}, 3, DType::F64), denominator = test::away_from_zero(x.shape(), 4);
        check_op("relu_forward", "exact", 1, dtype, {x}, [](const std::vector<Tensor>& t) { return ops::relu_forward(t[0]); });
        check_op("relu_backward", "exact", 1, dtype, {dy, x},
                 [](const std::vector<Tensor>& t) { return ops::relu_backward(t[0], t[1]); });
        const Tensor logits = uniform(Shape{3, 10}, 5, DType::F64), dlogits = uniform(Shape{3, 10}, 6, DType::F64);
        check_op("softmax_forward", "reduction", 10, dtype, {logits},
                 [](const std::vector<Tensor>& t) { return ops::softmax_forward(t[0], 1); });
        check_op("softmax_forward axis 0", "reduction", 3, dtype, {logits},
                 [](const std::vector<Tensor>& t) { return ops::softmax_forward(t[0], 0); });
        check_op("softmax_backward", "reduction", 10, dtype, {dlogits, ops::softmax_forward(logits, 1)},
                 [](const std::vector<Tensor>& t) { return ops::softmax_backward(t[0], t[1], 1); });
        const Tensor gamma = uniform(Shape{5}, 7, DType::F64), beta = uniform(Shape{5}, 8, DType::F64);
        const Tensor mean = uniform(Shape{5}, 9, DType::F64);
        const Tensor var = ops::affine(uniform(Shape{5}, 10, DType::F64), 0.5, 1.0);  // in [0.5, 1.5)
        check_op("batch_norm_forward", "elementwise", 1, dtype, {x, gamma, beta, mean, var},
                 [](const std::vector<Tensor>& t) { return ops::batch_norm_forward(t[0], t[1], t[2], t[3], t[4], 1e-5); });
        check_op("batch_norm_backward_input", "elementwise", 1, dtype, {dy, gamma, var},
                 [](const std::vector<Tensor>& t) { return ops::batch_norm_backward_input(t[0], t[1], t[2], 1e-3); });
        check_op("add", "elementwise", 1, dtype, {x, dy}, [](const std::vector<Tensor>& t) { return ops::add(t[0], t[1]); });
        check_op("sub broadcast", "elementwise", 1, dtype, {x, row},
                 [](const std::vector<Tensor>& t) { return ops::sub(t[0], t[1]); });
        check_op("mul broadcast", "elementwise", 1, dtype, {row, x},
                 [](const std::vector<Tensor>& t) { return ops::mul(t[0], t[1]); });
        check_op("div", "elementwise", 1, dtype, {x, denominator},
                 [](const std::vector<Tensor>& t) { return ops::div(t[0], t[1]); });
        check_op("affine", "elementwise", 1, dtype, {x},
                 [](const std::vector<Tensor>& t) { return ops::affine(t[0], -0.75, 0.125); });
        check_op("broadcast_to", "exact", 1, dtype, {row},
                 [](const std::vector<Tensor>& t) { return ops::broadcast_to(t[0], Shape{2, 5, 6, 7}); });
        check_op("sum_to", "reduction", 12, dtype, {x},
                 [](const std::vector<Tensor>& t) { return ops::sum_to(t[0], Shape{5, 1, 7}); });
    }
    check_op("cast f64 -> f32", "exact", 1, DType::F64, {uniform(Shape{100}, 11, DType::F64)},
             [](const std::vector<Tensor>& t) { return ops::cast(t[0], DType::F32); });
    check_op("cast f32 -> f64", "exact", 1, DType::F32, {uniform(Shape{100}, 12, DType::F64)},
             [](const std::vector<Tensor>& t) { return ops::cast(t[0], DType::F64); });
}

TEST_CASE("gpu ops: reductions, stacking, resizing, padding and statistics") {
    Poison poison;
    for (DType dtype : kDtypes) {
        const Tensor x = uniform(Shape{3, 4, 50, 60}, 1, DType::F64);
        check_op("sum all", "reduction", 36000, dtype, {x}, [](const std::vector<Tensor>& t) { return ops::sum(t[0]); });
        check_op("sum (2, 3)", "reduction", 3000, dtype, {x},
                 [](const std::vector<Tensor>& t) { return ops::sum(t[0], {2, 3}, true); });
        check_op("sum (0, 2)", "reduction", 150, dtype, {x}, [](const std::vector<Tensor>& t) { return ops::sum(t[0], {0, 2}); });
        check_op("mean (1)", "reduction", 4, dtype, {x}, [](const std::vector<Tensor>& t) { return ops::mean(t[0], {1}); });
        check_op("amax (1, 2, 3)", "exact", 1, dtype, {x},
                 [](const std::vector<Tensor>& t) { return ops::amax(t[0], {1, 2, 3}, true); });
        check_op("amin (0, 3)", "exact", 1, dtype, {x}, [](const std::vector<Tensor>& t) { return ops::amin(t[0], {0, 3}); });
        check_op("concat_batch", "exact", 1, dtype, {x, uniform(Shape{2, 4, 50, 60}, 2, DType::F64)},
                 [](const std::vector<Tensor>& t) { return ops::concat_batch({t[0], t[1], t[0].slice_batch(1, 2)}); });
        const Tensor map = uniform(Shape{2, 1, 7, 7}, 3, DType::F64), dmap = uniform(Shape{2, 1, 224, 224}, 4, DType::F64);
        check_op("resize_bilinear_forward up", "elementwise", 1, dtype, {map},
                 [](const std::vector<Tensor>& t) { return ops::resize_bilinear_forward(t[0], 224, 224); });
        check_op("resize_bilinear_backward up", "reduction", 1024, dtype, {dmap},
                 [&](const std::vector<Tensor>& t) { return ops::resize_bilinear_backward(t[0], map.shape()); });
        const Tensor big = uniform(Shape{1, 2, 13, 17}, 5, DType::F64), dsmall = uniform(Shape{1, 2, 5, 6}, 6, DType::F64);
        check_op("resize_bilinear_forward down", "elementwise", 1, dtype, {big},
                 [](const std::vector<Tensor>& t) { return ops::resize_bilinear_forward(t[0], 5, 6); });
        check_op("resize_bilinear_backward down", "reduction", 4, dtype, {dsmall},
                 [&](const std::vector<Tensor>& t) { return ops::resize_bilinear_backward(t[0], big.shape()); });
        const Padding2d pad{1, 2, 0, 3};
        check_op("pad2d_forward", "exact", 1, dtype, {big}, [&](const std::vector<Tensor>& t) { return ops::pad2d_forward(t[0], pad); });
        check_op("pad2d_backward", "exact", 1, dtype, {ops::pad2d_forward(big, pad)},
                 [&](const std::vector<Tensor>& t) { return ops::pad2d_backward(t[0], pad); });
        check_op("full", "exact", 1, dtype, {x},
                 [](const std::vector<Tensor>& t) { return Tensor::full(Shape{3, 5}, 0.3, t[0].dtype(), t[0].device()); });
        check_op("clone of a batch slice", "exact", 1, dtype, {x},
                 [](const std::vector<Tensor>& t) { return t[0].slice_batch(1, 3).clone(); });

        // Statistics come back to the host as numbers.
        const Tensor with_zeros = ops::relu_forward(x.to(dtype));
        const ops::TensorStats cpu = ops::tensor_stats(with_zeros), gpu = ops::tensor_stats(with_zeros.to(kGpu));
        CHECK(gpu.min == cpu.min);
        CHECK(gpu.max == cpu.max);
        CHECK(gpu.zero_fraction == cpu.zero_fraction);
        CHECK(std::abs(gpu.l2 - cpu.l2) <= 1e-12 * cpu.l2 * std::sqrt(36000.0));
        std::vector<double> values = x.to_vector();
        CHECK(ops::first_nonfinite(x.to(dtype).to(kGpu)) == -1);
        values[12345] = std::nan("");
        values[20000] = INFINITY;
        CHECK(ops::first_nonfinite(Tensor::from_values(x.shape(), values, dtype, kGpu)) == 12345);
    }
}

TEST_CASE("gpu memory: a device out-of-memory is OutOfMemoryError naming bytes asked and free") {
    try {
        Tensor::empty(Shape{int64_t{1} << 50}, DType::F32, kGpu);  // 4 PiB
        FAIL("no OutOfMemoryError");
    } catch (const OutOfMemoryError& e) {
        const std::string text = e.what();
        CHECK(text.find("out of memory on cuda:0: could not allocate 4503599627370496 bytes (") == 0);
        CHECK(text.find(" bytes free)") != std::string::npos);
    }
    // The device is usable afterwards.
    CHECK(Tensor::full(Shape{4}, 2.0, DType::F32, kGpu).to_vector() == std::vector<double>{2, 2, 2, 2});
}

TEST_CASE("gpu ops: tensors of different devices cannot be mixed") {
    const Tensor a = Tensor::zeros(Shape{3}), b = Tensor::zeros(Shape{3}, DType::F32, kGpu);
    CHECK_THROWS_WITH_AS(ops::add(a, b), "add: b is on cuda:0 but a is on cpu", DeviceError);
}
