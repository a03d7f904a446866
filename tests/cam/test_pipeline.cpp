// The explanation pipeline on a small random ResNet: it computes what the methods' own
// functions compute, runs no backward pass and no trace that nothing asked for (counted,
// not timed), batches across images, groups sizes, and retries a pass that runs out of
// memory at half its rows for every batched method.
#include <algorithm>

#include "cam/capture.h"
#include "cam/methods.h"
#include "cam/perturbation.h"
#include "cam/pipeline.h"
#include "core/random.h"
#include "core/storage.h"
#include "tests/cam/random_model.h"
#include "tests/test_util.h"

using namespace igcam;

namespace {

// Seeded inputs of one size, (1, 3, size, size) each.
std::vector<Tensor> images_of(int count, int64_t height, int64_t width, uint64_t seed) {
    std::vector<Tensor> out;
    for (int i = 0; i < count; ++i)
        out.push_back(random_uniform(Shape{1, 3, height, width}, -2, 2, seed + static_cast<uint64_t>(i), DType::F64));
    return out;
}

cam::ExplainOptions options(const std::string& methods, const std::string& layer, int64_t batch) {
    cam::ExplainOptions o;
    o.methods = cam::parse_method_list(methods);
    o.layer = layer;
    o.batch = batch;
    o.igcam.steps = 6;
    return o;
}

const Tensor& map_of(const cam::ImageExplanation& e, const std::string& method) {
    for (const cam::MethodMap& m : e.maps)
        if (m.method->name == method) return m.map;
    FAIL("no map of " << method);
    static const Tensor none;
    return none;
}

}  // namespace

TEST_CASE("pipeline: every method's maps are those of its own function") {
    const models::Model model = test::small_resnet(2, 5, 21);
    const std::vector<Tensor> images = images_of(3, 20, 20, 40);
    const Tensor batch = ops::concat_batch(images);
    const cam::ExplainOptions o = options("all", "layer1", 2);
    const std::vector<cam::ImageExplanation> results = cam::explain_all(model, cam::Inputs::from_tensors(images), o);
    REQUIRE(results.size() == 3);

    const std::vector<int64_t> classes = cam::Target{}.choose(cam::forward_layer(model, batch, "layer1").logits);
    const cam::LayerCapture c = cam::capture_layer(model, batch, "layer1", classes);
    cam::IgCamOptions ig = o.igcam;
    ig.batch = 5;
    const Tensor black = cam::Baseline{}.make(model, images[0].shape());
    const cam::IgCamResult igcam = cam::integrated_gradcam(model, batch, black, "layer1", classes, ig);
    const std::vector<std::pair<std::string, Tensor>> expected{
        {"gradcam", cam::gradcam(c.activations, c.gradients)},
        {"gradcam++", cam::gradcam_plus_plus(c.activations, c.gradients)},
        {"xgradcam", cam::xgradcam(c.activations, c.gradients)},
        {"layercam", cam::layercam(c.activations, c.gradients)},
        {"hirescam", cam::hirescam(c.activations, c.gradients)},
        {"eigencam", cam::eigencam(c.activations)},
        {"gradcam-elementwise", cam::gradcam_elementwise(c.activations, c.gradients)},
        {"eigengradcam", cam::eigengradcam(c.activations, c.gradients)},
        {"fem", cam::fem(c.activations)},
        {"scorecam", cam::scorecam(model, batch, c.activations, classes, 7)},
        {"ablationcam", cam::ablationcam(model, batch, c.activations, "layer1", classes, c.scores, 7)},
        {"igcam", igcam.map}};
    for (std::size_t n = 0; n < results.size(); ++n) {
        CAPTURE(n);
        CHECK(results[n].index == static_cast<int64_t>(n));
        CHECK(results[n].target_class == classes[n]);
        CHECK(results[n].score == doctest::Approx(c.scores.at({static_cast<int64_t>(n)})).epsilon(1e-13));
        for (const auto& [name, maps] : expected) {
            CAPTURE(name);
            const int64_t i = static_cast<int64_t>(n);
            CHECK(test::relative_error(map_of(results[n], name), maps.slice_batch(i, i + 1)) <= 1e-12);
        }
        REQUIRE(results[n].igcam.has_value());
        CHECK(results[n].igcam->stieltjes_sum == doctest::Approx(igcam.stieltjes_sum[n]).epsilon(1e-12));
        CHECK(results[n].igcam->score_baseline == doctest::Approx(igcam.score_baseline[n]).epsilon(1e-12));
    }
}

TEST_CASE("pipeline: no backward pass for Score-CAM, Eigen-CAM and Ablation-CAM alone, no trace unless asked") {
    const models::Model model = test::small_resnet(2, 5, 22);
    const cam::Inputs inputs = cam::Inputs::from_tensors(images_of(5, 16, 16, 60));
    cam::ExplainStats stats;

    ag::EngineCounts before = ag::engine_counts();
    cam::explain_all(model, inputs, options("scorecam,eigencam,ablationcam", "layer2", 2), &stats);
    CHECK(stats.batches == 3);
    CHECK(ag::engine_counts().backward_passes == before.backward_passes);
    CHECK(ag::engine_counts().traced_passes == before.traced_passes);

    // Gradient methods: one backward per batch of images, and no trace.
    before = ag::engine_counts();
    const std::vector<cam::ImageExplanation> plain = cam::explain_all(model, inputs, options("gradcam,layercam", "layer2", 2), &stats);
    CHECK(ag::engine_counts().backward_passes == before.backward_passes + 3);
    CHECK(ag::engine_counts().traced_passes == before.traced_passes);
    CHECK(plain[0].trace.entries.empty());

    // With the trace: still one backward per batch, each traced, and image i's trace is the
    // one it has alone.
    cam::ExplainOptions traced = options("gradcam", "layer2", 2);
    traced.trace = true;
    before = ag::engine_counts();
    const std::vector<cam::ImageExplanation> with = cam::explain_all(model, inputs, traced);
    CHECK(ag::engine_counts().backward_passes == before.backward_passes + 3);
    CHECK(ag::engine_counts().traced_passes == before.traced_passes + 3);
    const std::vector<cam::ImageExplanation> alone =
        cam::explain_all(model, cam::Inputs::from_tensors({images_of(5, 16, 16, 60)[3]}), traced);
    const ag::GradientTrace& batched = with[3].trace;
    REQUIRE(batched.entries.size() == alone[0].trace.entries.size());
    for (std::size_t k = 0; k < batched.entries.size(); ++k) {
        CAPTURE(batched.entries[k].op);
        CHECK(batched.entries[k].shape == alone[0].trace.entries[k].shape);
        CHECK(batched.entries[k].l2 == doctest::Approx(alone[0].trace.entries[k].l2).epsilon(1e-12));
        CHECK(batched.entries[k].zero_fraction == alone[0].trace.entries[k].zero_fraction);
    }
    // IG-CAM alone needs no taped capture: its backward passes are its own path's.
    before = ag::engine_counts();
    cam::explain_all(model, inputs, options("igcam", "layer2", 4), &stats);
    CHECK(ag::engine_counts().backward_passes == before.backward_passes + stats.methods[0].passes);
    CHECK(stats.methods[0].rows == 5 * 6);
}

TEST_CASE("pipeline: images are grouped by size and delivered batch by batch") {
    const models::Model model = test::small_resnet(2, 5, 23);
    std::vector<Tensor> images;
    for (int i = 0; i < 7; ++i) images.push_back(images_of(1, i % 2 == 0 ? 16 : 24, 16, 80 + i)[0]);
    std::vector<std::vector<int64_t>> delivered;
    const cam::ExplainStats stats = cam::explain(model, cam::Inputs::from_tensors(images),
                                                 options("gradcam", "layer2", 3), [&](auto& batch) {
                                                     delivered.emplace_back();
                                                     for (const auto& e : batch) delivered.back().push_back(e.index);
                                                 });
    CHECK(stats.groups == 2);
    CHECK(delivered == std::vector<std::vector<int64_t>>{{0, 2, 4}, {6}, {1, 3, 5}});
    CHECK(stats.batch_sizes == std::vector<int64_t>{3, 3});
}

TEST_CASE("pipeline: a pass that runs out of memory is retried at half its rows, the maps unchanged") {
    // Every batched method in one loop: Score-CAM's masks, Ablation-CAM's reruns and IG-CAM's
    // path rows. A storage budget between the peaks of 1-row and 16-row passes stands in for
    // a full device.
    const models::Model model = test::small_resnet(2, 5, 24);
    const cam::Inputs inputs = cam::Inputs::from_tensors(images_of(2, 32, 32, 90));
    for (const std::string method : {"scorecam", "ablationcam", "igcam"}) {
        CAPTURE(method);
        cam::ExplainOptions o = options(method, "layer1", 16);
        o.igcam.steps = 16;
        auto peak = [&](int64_t batch) {
            o.batch = batch;
            reset_peak_storage(Device::cpu());
            const std::size_t before = live_storage_bytes(Device::cpu());
            std::vector<cam::ImageExplanation> r = cam::explain_all(model, inputs, o);
            return std::make_pair(peak_storage_bytes(Device::cpu()) - before, std::move(r));
        };
        const auto [peak_one, one] = peak(1);
        const auto [peak_whole, whole] = peak(16);
        REQUIRE(peak_whole > 2 * peak_one);
        set_memory_limit(Device::cpu(), live_storage_bytes(Device::cpu()) + (peak_one + peak_whole) / 2);
        cam::ExplainStats stats;
        std::vector<cam::ImageExplanation> limited;
        try {
            o.batch = 16;
            limited = cam::explain_all(model, inputs, o, &stats);
        } catch (...) {
            set_memory_limit(Device::cpu(), 0);
            throw;
        }
        set_memory_limit(Device::cpu(), 0);
        MESSAGE(method << ": retried at " << stats.methods[0].memory_retries.size() << " smaller sizes, image batches "
                       << stats.memory_retries.size() << ", " << stats.methods[0].passes << " passes");
        CHECK(!stats.methods[0].memory_retries.empty());
        for (std::size_t n = 0; n < 2; ++n)
            CHECK(test::relative_error(limited[n].maps[0].map, whole[n].maps[0].map) <= 1e-13);
    }
}
