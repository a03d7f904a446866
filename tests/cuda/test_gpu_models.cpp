// Whole networks and every CAM method on the GPU (float32, strict) against the CPU in
// float64: random-weight resnet50 and vgg16 (biases and batch-norm statistics random too),
// two 64x64 inputs. Logits and raw maps must agree to 1e-3 relative (max |error| over
// max |reference|) with the same top-1 class; explanations repeat bitwise; IG-CAM under a
// device memory budget falls back to smaller chunks with the same map.
#include <string>

#include "cam/capture.h"
#include "cam/igcam.h"
#include "cam/methods.h"
#include "cam/perturbation.h"
#include "core/random.h"
#include "core/ops.h"
#include "models/architecture.h"
#include "tests/cam/memory_fallback.h"
#include "tests/cam/random_model.h"
#include "tests/test_util.h"

using namespace igcam;

namespace {

const Device kGpu = Device::cuda(0);

struct Net {
    std::string arch, layer, early_layer;  // early_layer: Score-CAM's (64 channels keeps the CPU side short)
};

// Every method's raw map for `input` on `model`'s device.
std::map<std::string, Tensor> all_maps(const models::Model& model, const Tensor& input, const Net& net,
                                       const std::vector<int64_t>& classes) {
    std::map<std::string, Tensor> maps;
    const cam::LayerCapture c = cam::capture_layer(model, input, net.layer, classes);
    maps["gradients"] = c.gradients;
    maps["gradcam"] = cam::gradcam(c.activations, c.gradients);
    maps["gradcam++"] = cam::gradcam_plus_plus(c.activations, c.gradients);
    maps["xgradcam"] = cam::xgradcam(c.activations, c.gradients);
    maps["layercam"] = cam::layercam(c.activations, c.gradients);
    maps["hirescam"] = cam::hirescam(c.activations, c.gradients);
    maps["eigencam"] = cam::eigencam(c.activations);
    maps["gradcam-elementwise"] = cam::gradcam_elementwise(c.activations, c.gradients);
    maps["eigengradcam"] = cam::eigengradcam(c.activations, c.gradients);
    maps["fem"] = cam::fem(c.activations);
    maps["ablationcam"] = cam::ablationcam(model, input, c.activations, net.layer, classes, c.scores, 256);
    cam::IgCamOptions o = cam::igcam_preset("default");
    o.steps = 16;
    o.batch = 32;
    const Tensor black = Tensor::full(input.shape(), -2.0, input.dtype(), input.device());
    maps["igcam"] = cam::integrated_gradcam(model, input, black, net.layer, classes, o).map;
    const cam::LayerCapture early = cam::forward_layer(model, input, net.early_layer);
    maps["scorecam"] = cam::scorecam(model, input, early.activations, classes, 64);
    return maps;
}

}  // namespace

TEST_CASE("gpu models: logits and every CAM map match the CPU in float64 (resnet50, vgg16)") {
    for (const Net& net : {Net{"resnet50", "layer4", "maxpool"}, Net{"vgg16", "features.29", "features.4"}}) {
        CAPTURE(net.arch);
        const models::Architecture arch = models::standard_architecture(net.arch, models::Variant::Torchvision, 20);
        const models::Model reference = test::random_model(arch, 31, DType::F64);
        models::Model model = test::random_model(arch, 31, DType::F32);
        model.to(kGpu);
        const Tensor x = random_uniform(Shape{2, 3, 64, 64}, -2, 2, 32, DType::F64);

        const Tensor expected_logits = cam::forward_layer(reference, x, net.layer).logits;
        const Tensor logits = cam::forward_layer(model, x.to(DType::F32).to(kGpu), net.layer).logits;
        const double logit_error = test::relative_error(logits.to(Device::cpu()), expected_logits);
        MESSAGE(net.arch << " logits: relative error " << logit_error);
        CHECK(logit_error <= 1e-3);
        const std::vector<int64_t> classes = test::top1(expected_logits);
        CHECK(test::top1(logits.to(Device::cpu())) == classes);

        const std::map<std::string, Tensor> expected = all_maps(reference, x, net, classes);
        const std::map<std::string, Tensor> actual = all_maps(model, x.to(DType::F32).to(kGpu), net, classes);
        for (const auto& [method, map] : expected) {
            CAPTURE(method);
            const Tensor ours = actual.at(method);
            CHECK(ours.device() == kGpu);
            const double error = test::relative_error(ours.to(Device::cpu()), map);
            MESSAGE(net.arch << " " << method << ": relative error " << error);
            CHECK(error <= 1e-3);
        }
    }
}

TEST_CASE("gpu determinism: the same explanation twice is bitwise identical") {
    const models::Architecture arch = models::standard_architecture("resnet50", models::Variant::Torchvision, 20);
    models::Model model = test::random_model(arch, 41, DType::F32);
    model.to(kGpu);
    const Tensor x = random_uniform(Shape{1, 3, 96, 96}, -2, 2, 42, DType::F32).to(kGpu);
    const Net net{"resnet50", "layer4", "maxpool"};
    const std::map<std::string, Tensor> first = all_maps(model, x, net, {7});
    const std::map<std::string, Tensor> second = all_maps(model, x, net, {7});
    for (const auto& [method, map] : first) {
        CAPTURE(method);
        CHECK(ops::max_abs_diff(map, second.at(method)) == 0.0);
    }
}

TEST_CASE("gpu memory: IG-CAM under a device memory budget falls back to smaller chunks with the same map") {
    // 1e-4: each chunk size is its own cuDNN problem, whose measured-fastest algorithm
    // (chosen by timing, per size) may sum in another order, and IG-CAM's map sums 50 such
    // steps; rows stay independent, so only float32 rounding can differ. 1e-5 is within a
    // few float32 roundings of such sums and too tight for that.
    test::check_memory_fallback(kGpu, DType::F32, 1e-4);
}
