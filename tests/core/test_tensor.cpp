// Tensor: construction, views sharing storage, clone, dtype conversion, devices, shapes;
// the CPU allocator under it.
#include <memory>
#include <vector>

#include "core/random.h"
#include "core/storage.h"
#include "core/tensor.h"
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
    t.data<float>()[2] = 30;
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

TEST_CASE("storage: a pending alternate writes the plain values once, on first read") {
    static const char owner = 0, other_owner = 0;
    int writes = 0;
    auto values = std::make_shared<std::vector<float>>(std::vector<float>{4, 3, 2, 1});
    Storage::Alternate pending;
    pending.values = values;
    pending.owner = &owner;
    pending.write_plain = [values, &writes](void* plain) {  // stands for a layout change: reversed
        ++writes;
        for (std::size_t i = 0; i < values->size(); ++i) static_cast<float*>(plain)[i] = (*values)[values->size() - 1 - i];
    };
    const std::size_t live = live_storage_bytes(Device::cpu());
    const Tensor t = Tensor::from_storage(Storage::deferred(4 * sizeof(float), pending), Shape{2, 2}, DType::F32);
    CHECK(live_storage_bytes(Device::cpu()) == live);  // no plain buffer yet
    CHECK(t.storage()->holds_alternate());
    CHECK(t.storage()->alternate(&owner) == values);
    CHECK(t.storage()->alternate(&other_owner) == nullptr);
    CHECK(writes == 0);
    const Tensor view = t.slice_batch(1, 2);
    CHECK(view.to_vector() == std::vector<double>{3, 4});  // reading a view makes the whole storage
    CHECK(t.to_vector() == std::vector<double>{1, 2, 3, 4});
    CHECK(writes == 1);
    CHECK(live_storage_bytes(Device::cpu()) == live + 4 * sizeof(float));  // made now, counted now
    CHECK_FALSE(t.storage()->holds_alternate());
    CHECK(t.storage()->alternate(&owner) == nullptr);
    CHECK_THROWS_AS(Tensor::from_storage(Storage::deferred(4 * sizeof(float), pending), Shape{3}, DType::F32), ShapeError);
}

TEST_CASE("storage: a derived alternate is dropped by the next read of the plain values") {
    static const char owner = 0;
    const Tensor t = Tensor::from_values(Shape{3}, {1, 2, 3});
    t.storage()->set_derived(std::make_shared<int>(7), &owner);
    CHECK(*std::static_pointer_cast<int>(t.storage()->alternate(&owner)) == 7);
    t.data<float>()[0] = 5;  // a write goes through data(): the derived copy is stale from here
    CHECK_FALSE(t.storage()->holds_alternate());
    CHECK(t.to_vector() == std::vector<double>{5, 2, 3});
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
