#include "tests/cam/memory_fallback.h"

#include <doctest/doctest.h>

#include "cam/igcam.h"
#include "core/random.h"
#include "core/storage.h"
#include "tests/cam/random_model.h"
#include "tests/test_util.h"

namespace igcam::test {

namespace {

cam::IgCamResult explain(const models::Model& model, const Tensor& x, int64_t batch) {
    cam::IgCamOptions o = cam::igcam_preset("default");
    o.steps = 16;
    o.batch = batch;
    return cam::integrated_gradcam(model, x, Tensor::zeros(x.shape(), x.dtype(), x.device()), "layer1", {3}, o);
}

// Peak bytes of live tensor storage on `device` while `run` runs.
template <typename Run>
std::size_t peak_of(Device device, Run&& run) {
    reset_peak_storage(device);
    const std::size_t before = live_storage_bytes(device);
    run();
    return peak_storage_bytes(device) - before;
}

}  // namespace

void check_memory_fallback(Device device, DType dtype, double tolerance) {
    models::Model model = small_resnet(2, 5, 11, dtype);
    model.to(device);
    const Tensor x = random_uniform(Shape{1, 3, 32, 32}, -1, 1, 12, dtype).to(device);

    cam::IgCamResult whole;
    const std::size_t peak_one = peak_of(device, [&] { explain(model, x, 1); });
    const std::size_t peak_whole = peak_of(device, [&] { whole = explain(model, x, 16); });
    CAPTURE(peak_one);
    CAPTURE(peak_whole);
    REQUIRE(whole.passes == 1);
    REQUIRE(peak_whole > 2 * peak_one);

    // Budget: what is alive now plus the midpoint between the two peaks.
    const std::size_t live = live_storage_bytes(device);
    set_memory_limit(device, live + (peak_one + peak_whole) / 2);
    cam::IgCamResult limited;
    try {
        limited = explain(model, x, 16);
    } catch (...) {
        set_memory_limit(device, 0);
        throw;
    }
    set_memory_limit(device, 0);
    MESSAGE(device.to_string() << ": budget " << (peak_one + peak_whole) / 2 << " bytes; chunks tried after "
                               << "running out: " << limited.memory_retries.size() << ", passes " << limited.passes
                               << ", map relative difference " << relative_error(limited.map, whole.map));
    CHECK(!limited.memory_retries.empty());
    CHECK(limited.passes > 1);
    CHECK(relative_error(limited.map, whole.map) <= tolerance);
    CHECK(std::abs(limited.stieltjes_sum[0] - whole.stieltjes_sum[0]) <=
          tolerance * std::max(1.0, std::abs(whole.stieltjes_sum[0])));
}

}  // namespace igcam::test
