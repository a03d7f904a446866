// Tensor: construction, views sharing storage, clone, dtype conversion, devices, shapes;
// the CPU allocator under it.
#include <memory>
#include <vector>

#include "core/ops.h"
#include "core/random.h"
#include "core/storage.h"
#include "core/tensor.h"
#include "core/weight_cache.h"
#include "tests/test_util.h"

using namespace igcam;

TEST_CASE("tensor: from_values, at, item and to_vector are row-major") {
    const Tensor t = Tensor::from_values(Shape{2, 3}, {1, 2, 3, 4, 5, 6}, DType::F64);
    CHECK(t.numel() == 6);
    CHECK(t.rank() == 2);
    CHECK(t.at({0, 2}) == 3.0);
    CHECK(t.at({1, 0}) == 4.0);
    CHECK(t.to_vector() == std::vector<double>{1, 2, 3, 4, 5, 6});
    CHECK(Tensor::scalar(2.5).item() == 2.5);
    CHECK(t.shape().to_string() == "(2, 3)");
    CHECK(Shape{}.to_string() == "()");
    CHECK(Shape{}.numel() == 1);
}

TEST_CASE("tensor: copies and views share storage; clone copies") {
    Tensor t = Tensor::from_values(Shape{3, 2}, {1, 2, 3, 4, 5, 6});
    Tensor copy = t;
    Tensor view = t.reshape(Shape{2, 3});
    Tensor rows = t.slice_batch(1, 3);
    Tensor deep = t.clone();
    t.mutable_data<float>()[2] = 30;
    CHECK(copy.at({1, 0}) == 30);
    CHECK(view.at({0, 2}) == 30);
    CHECK(rows.shape() == Shape{2, 2});
    CHECK(rows.at({0, 0}) == 30);
    CHECK(rows.at({1, 1}) == 6);
    CHECK(deep.at({1, 0}) == 3);
    CHECK(rows.same_storage(t));
    CHECK_FALSE(deep.same_storage(t));
}

TEST_CASE("tensor: dtype conversion and typed access") {
    const Tensor t = Tensor::from_values(Shape{3}, {0.1, -2, 3.5}, DType::F64);
    const Tensor f = t.to(DType::F32);
    CHECK(f.dtype() == DType::F32);
    CHECK(f.at({0}) == static_cast<double>(0.1f));
    CHECK(f.to(DType::F64).at({2}) == 3.5);
    CHECK(t.to(DType::F64).same_storage(t));
    CHECK_THROWS_WITH_AS(t.data<float>(), "tensor holds f64, not f32", DTypeError);
}

TEST_CASE("tensor: CPU buffers are 64-byte aligned") {
    for (int64_t n : {1, 3, 17, 1000, 100000, 1000003}) {  // small, and large (cached) blocks
        const Tensor t = Tensor::zeros(Shape{n});
        CHECK(reinterpret_cast<std::uintptr_t>(t.raw_data()) % 64 == 0);
    }
}

TEST_CASE("cpu allocator: a freed large block serves the next request of its size class") {
    // 4 MiB - 1000 bytes rounds up to the class of 4 MiB (classes between 2 and 4 MiB are
    // 256 KiB apart).
    void* first = cpu_allocate(std::size_t{4} << 20);
    cpu_free(first);
    void* second = cpu_allocate((std::size_t{4} << 20) - 1000);
    CHECK(second == first);
    // Another class gets another block; both are writable end to end.
    void* third = cpu_allocate(std::size_t{6} << 20);
    CHECK(third != second);
    static_cast<char*>(second)[(std::size_t{4} << 20) - 1001] = 1;
    static_cast<char*>(third)[(std::size_t{6} << 20) - 1] = 1;
    cpu_free(second);
    cpu_free(third);
    cpu_free(nullptr);  // a no-op, like free()
}

TEST_CASE("storage: only writes count a new version; every storage has its own id") {
    Tensor t = Tensor::from_values(Shape{3}, {1, 2, 3});
    const uint64_t version = t.storage()->version();
    CHECK(t.data<float>()[1] == 2.0f);
    (void)t.to_vector();
    (void)t.raw_data();
    CHECK(t.storage()->version() == version);  // reads leave it
    t.mutable_data<float>()[1] = 5;
    CHECK(t.storage()->version() == version + 1);
    Tensor view = t.slice_batch(1, 2);
    view.mutable_raw_data();
    CHECK(t.storage()->version() == version + 2);  // a view writes the same storage
    const Tensor other = Tensor::from_values(Shape{3}, {1, 2, 3});
    CHECK(other.storage()->id() != t.storage()->id());
    CHECK(t.clone().storage()->id() != t.storage()->id());
}

TEST_CASE("layout: channel-blocked values, their conversions and what may read them") {
    // (2, 16, 2, 3) with value 1000 n + 10 c + position: blocks of 8 channels.
    std::vector<double> values;
    for (int n = 0; n < 2; ++n)
        for (int c = 0; c < 16; ++c)
            for (int p = 0; p < 6; ++p) values.push_back(1000 * n + 10 * c + p);
    const Tensor plain = Tensor::from_values(Shape{2, 16, 2, 3}, values);
    const Tensor blocked = ops::to_layout(plain, Layout::channel_blocked(8));
    CHECK(blocked.layout().to_string() == "nChw8c");
    CHECK(blocked.layout().channel_block() == 8);
    CHECK(blocked.shape() == plain.shape());
    // Element ((n * C/b + c/b) * H*W + p) * b + c % b: value (n=1, c=11, p=4) sits at
    // ((1 * 2 + 1) * 6 + 4) * 8 + 3 = 179.
    CHECK(static_cast<const float*>(blocked.raw_data())[179] == 1114.0f);
    CHECK(static_cast<const float*>(blocked.raw_data())[1] == 10.0f);  // (0, 1, 0)
    // Reading it: the plain values, through to_plain; the tensor itself is unchanged.
    CHECK(ops::to_plain(blocked).to_vector() == values);
    CHECK(blocked.to_vector() == values);
    CHECK(blocked.at({1, 11, 1, 1}) == 1114.0);
    CHECK(blocked.layout() == Layout::channel_blocked(8));
    CHECK(ops::max_abs_diff(blocked, plain) == 0.0);  // ops read any layout
    // A batch slice keeps the layout and is still those values.
    const Tensor second = blocked.slice_batch(1, 2);
    CHECK(second.layout() == blocked.layout());
    CHECK(ops::to_plain(second).to_vector() == std::vector<double>(values.begin() + 96, values.end()));
    // Typed access and row-major views need plain values.
    CHECK_THROWS_WITH_AS((void)blocked.data<float>(),
                         "data: the tensor of shape (2, 16, 2, 3) holds its values in the nChw8c layout; "
                         "ops::to_plain gives the plain values",
                         LayoutError);
    CHECK_THROWS_AS((void)blocked.reshape(Shape{2, 96}), LayoutError);
    CHECK_THROWS_AS(Tensor::empty(Shape{2, 12, 2, 3}, DType::F32, Device::cpu(), Layout::channel_blocked(8)),
                    ShapeError);
    CHECK_THROWS_AS(Tensor::empty(Shape{2, 16, 2, 3}, DType::F64, Device::cpu(), Layout::channel_blocked(8)),
                    ValueError);
    // clone keeps the layout; to_layout round-trips; plain stays plain.
    CHECK(ops::clone(blocked).layout() == blocked.layout());
    CHECK(ops::to_plain(ops::to_layout(blocked, Layout::channel_blocked(16))).to_vector() == values);
    CHECK(ops::to_plain(plain).same_storage(plain));
}

TEST_CASE("weight cache: entries are keyed by what they were made from") {
    static char owner = 0;
    Tensor w = Tensor::from_values(Shape{2, 2}, {1, 2, 3, 4});
    WeightCache cache;
    auto matches = [](const int&) { return true; };
    cache.insert(&owner, WeightCache::Source::of(w), std::make_shared<int>(7));
    CHECK(cache.holds_current(w));
    CHECK(*cache.find<int>(&owner, WeightCache::Source::of(w), matches) == 7);
    CHECK(cache.find<int>(&owner, WeightCache::Source::of(w, {2.0f, 1.0f}), matches) == nullptr);  // another scale
    (void)w.to_vector();  // a read changes nothing
    CHECK(cache.holds_current(w));
    w.mutable_data<float>()[0] = 9;  // a write does
    CHECK_FALSE(cache.holds_current(w));
    CHECK(cache.find<int>(&owner, WeightCache::Source::of(w), matches) == nullptr);
    cache.insert(&owner, WeightCache::Source::of(w), std::make_shared<int>(8));
    CHECK(cache.size() == 1);  // the entry of the old values is dropped
    const Tensor replacement = Tensor::from_values(Shape{2, 2}, {1, 2, 3, 4});
    CHECK_FALSE(cache.holds_current(replacement));  // another tensor in the weights' place
}

TEST_CASE("tensor: devices parse and CUDA tensors are refused until the backend exists") {
    CHECK(Device::parse("cpu").is_cpu());
    CHECK(Device::parse("cuda").index == 0);
    CHECK(Device::parse("cuda:3").index == 3);
    CHECK(Device::cuda(1).to_string() == "cuda:1");
    CHECK_THROWS_WITH_AS(Device::parse("gpu"), "unknown device 'gpu' (expected cpu, cuda or cuda:N)", ValueError);
    CHECK_THROWS_WITH_AS(Device::parse("cuda:x"), "unknown device 'cuda:x' (expected cpu, cuda or cuda:N)", ValueError);
    CHECK_THROWS_AS(Tensor::zeros(Shape{2}, DType::F32, Device::cuda(0)), DeviceError);
    CHECK(parse_dtype("float64") == DType::F64);
    CHECK_THROWS_WITH_AS(parse_dtype("f16"), "unknown dtype 'f16' (expected f32 or f64)", ValueError);
}

TEST_CASE("tensor: shape errors name the problem") {
    CHECK_THROWS_WITH_AS(Shape({2, -1}), "shape (2, -1) has a negative dimension", ShapeError);
    const Tensor t = Tensor::zeros(Shape{2, 3});
    CHECK_THROWS_WITH_AS(t.reshape(Shape{4, 2}),
                         "reshape: cannot view shape (2, 3) (6 elements) as (4, 2) (8 elements)", ShapeError);
    CHECK_THROWS_WITH_AS(t.slice_batch(1, 3), "slice_batch: rows [1, 3) are out of range for shape (2, 3)",
                         ShapeError);
    CHECK_THROWS_WITH_AS(t.item(), "item: tensor of shape (2, 3) does not hold exactly one element", ShapeError);
    CHECK_THROWS_WITH_AS(Tensor::from_values(Shape{2}, {1, 2, 3}),
                         "from_values: 3 values given for shape (2) (2 elements)", ShapeError);
    CHECK_THROWS_WITH_AS(t.at({2, 0}), "at: index 2 is out of range for axis 0 of shape (2, 3)", ShapeError);
}

TEST_CASE("random: fixed algorithm, seeded, unique values are distinct") {
    const Tensor a = random_uniform(Shape{100}, -1, 1, 42, DType::F64);
    const Tensor b = random_uniform(Shape{100}, -1, 1, 42, DType::F64);
    CHECK(a.to_vector() == b.to_vector());
    for (double v : a.to_vector()) CHECK((v >= -1 && v < 1));
    // The same seed gives the same stream.
    Rng rng(42);
    const uint64_t first = rng.next();
    Rng again(42);
    CHECK(again.next() == first);
    std::vector<double> u = random_unique(Shape{50}, 0, 1, 3, DType::F64).to_vector();
    std::sort(u.begin(), u.end());
    for (std::size_t i = 1; i < u.size(); ++i) CHECK(u[i] - u[i - 1] == doctest::Approx(0.02));
}
