// IG-CAM falls back to smaller chunks when memory runs out (a storage budget stands in for
// a full device), and the map does not change.
#include "tests/cam/memory_fallback.h"
#include "tests/test_util.h"

using namespace igcam;

TEST_CASE("igcam: out of memory falls back to smaller chunks with the same map (cpu)") {
    // 1e-13: rows are independent, but GEMM blocking depends on the chunk size, so the
    // float64 sums may round differently in the last bits (measured 2.7e-16).
    test::check_memory_fallback(Device::cpu(), DType::F64, 1e-13);
}

TEST_CASE("memory budget: an allocation past the limit is OutOfMemoryError naming the sizes") {
    const std::size_t live = live_storage_bytes(Device::cpu());
    set_memory_limit(Device::cpu(), live + 1000);
    {
        const Tensor within = Tensor::empty(Shape{100}, DType::F64);  // 800 bytes: within the budget
        CHECK(live_storage_bytes(Device::cpu()) == live + 800);
    }
    try {
        Tensor::empty(Shape{200}, DType::F64);
        set_memory_limit(Device::cpu(), 0);
        FAIL("no OutOfMemoryError");
    } catch (const OutOfMemoryError& e) {
        set_memory_limit(Device::cpu(), 0);
        const std::string text = e.what();
        CHECK(text.find("out of memory on cpu: could not allocate 1600 bytes (memory limit ") == 0);
    }
    CHECK(live_storage_bytes(Device::cpu()) == live);
}
