// Inference fusion (layers/fused.h): a forward pass that records no graph runs each
// Conv2d -> BatchNorm2d -> (shortcut add) -> ReLU as one op, unless a piece it would skip is
// observed. Checked against the same networks run module by module: a context that keeps
// every output observes every module, so nothing fuses there.
#include "autograd/engine.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "core/cpu/f32_path.h"
#include "core/ops.h"
#include "layers/conv.h"
#include "core/random.h"
#include "tests/cam/random_model.h"
#include "tests/test_util.h"

using namespace igcam;

namespace {

// Small networks of every block kind, with channel counts that are multiples of 16 (so
// oneDNN's blocked kernels run) except the input's.
std::vector<models::Architecture> architectures() {
    models::Architecture bottleneck;
    bottleneck.name = "resnet";
    bottleneck.resnet.stage_blocks = {2, 1};
    bottleneck.resnet.base_width = 16;
    bottleneck.resnet.num_classes = 10;
    models::Architecture basic = bottleneck;
    basic.resnet.bottleneck = false;
    models::Architecture caffe = bottleneck;  // a bias on conv1, the stride on the first 1x1
    caffe.resnet.caffe = true;
    models::Architecture vgg;
    vgg.is_resnet = false;
    vgg.name = "vgg";
    vgg.vgg.layers = {16, 0, 32, 32, 0};
    vgg.vgg.num_classes = 10;
    vgg.vgg.hidden = 32;
    vgg.vgg.pool_size = 2;
    models::Architecture vgg_bn = vgg;
    vgg_bn.vgg.batch_norm = true;
    return {bottleneck, basic, caffe, vgg, vgg_bn};
}

Tensor logits(const models::Model& model, const Tensor& x, nn::ForwardContext& ctx) {
    ag::NoGradGuard no_grad;
    return model.forward(ag::Var(x), ctx).value();
}

}  // namespace

TEST_CASE("fused forward: equals the module-by-module forward (float64 exactly, float32 to rounding)") {
    uint64_t seed = 40;
    for (const models::Architecture& arch : architectures()) {
        for (const DType dtype : {DType::F64, DType::F32}) {
            CAPTURE(arch.name); CAPTURE(arch.resnet.bottleneck); CAPTURE(arch.vgg.batch_norm); CAPTURE(dtype_name(dtype));
            const models::Model model = test::random_model(arch, ++seed, dtype);
            const Tensor x = random_uniform(Shape{2, 3, 32, 32}, -2, 2, ++seed, dtype);
            nn::ForwardContext plain, everything;
            everything.keep_all();
            const Tensor fused = logits(model, x, plain), reference = logits(model, x, everything);
            if (dtype == DType::F64) {
                CHECK(ops::max_abs_diff(fused, reference) == 0.0);  // no fusion in float64: the same ops
            } else {
                // Folding batch norms into the weights rounds each convolution differently
                // (up to 3 sqrt(K) 2^-24, tests/core/test_conv.cpp); through a dozen layers
                // that stays far below 1e-5 of the largest logit (measured: at most 7.7e-7;
                // 0 for the VGG without batch norm, where only the ReLU is fused).
                CHECK(test::relative_error(fused, reference) <= 1e-5);
            }
        }
    }
}

TEST_CASE("fused forward: an observed output inside a fused run is still computed") {
    const models::Model model = test::random_model(architectures()[0], 7, DType::F32);
    const Tensor x = random_uniform(Shape{1, 3, 32, 32}, -2, 2, 8);
    for (const std::string layer : {"layer1.0.conv1", "layer1.0.bn1", "layer1.0.bn3", "layer2.0.downsample.0", "conv1"}) {
        CAPTURE(layer);
        nn::ForwardContext one, everything;
        one.keep(layer);
        everything.keep_all();
        const Tensor fused = logits(model, x, one), reference = logits(model, x, everything);
        REQUIRE(one.has_output(layer));
        // The kept output comes from the same modules as in the reference up to that point,
        // except for fused runs before it (rounding only).
        CHECK(test::relative_error(one.output(layer).value(), everything.output(layer).value()) <= 1e-5);
        CHECK(test::relative_error(fused, reference) <= 1e-5);
    }
}

TEST_CASE("fused forward: a pass that records a graph runs module by module and differentiates") {
    const models::Model model = test::random_model(architectures()[0], 9, DType::F64);
    const ag::Var x(random_uniform(Shape{1, 3, 32, 32}, -2, 2, 10, DType::F64), true);
    nn::ForwardContext ctx;
    const ag::Var y = ag::sum(model.forward(x, ctx));
    ag::backward(y);
    REQUIRE(x.grad().defined());
    // The same gradient with every module observed (certainly unfused).
    const ag::Var x2(x.value(), true);
    nn::ForwardContext everything;
    everything.keep_all();
    ag::backward(ag::sum(model.forward(x2, everything)));
    CHECK(ops::max_abs_diff(x.grad(), x2.grad()) == 0.0);
}

TEST_CASE("fused forward: the layers own their reordered weights, which a read keeps and a write invalidates") {
    // The ResNet's stem convolution keeps its weights in oneDNN's layout (with the batch
    // norm folded in) between passes. Reading an activation that a fused convolution left
    // channel-blocked gives its plain values and leaves that copy in place; writing the
    // weights through mutable_data() invalidates it, and the next float32 forward uses the
    // new weights.
    models::Model model = test::random_model(architectures()[0], 11, DType::F32);
    const Tensor x = random_uniform(Shape{2, 3, 32, 32}, -2, 2, 12);
    const auto& conv = dynamic_cast<const nn::Conv2d&>(model.layer("layer1.0.conv2"));
    Tensor& weight = model.net->named_parameters()[0].second->value;  // conv1.weight
    REQUIRE(model.net->named_parameters()[0].first == "conv1.weight");
    const auto& stem = dynamic_cast<const nn::Conv2d&>(model.layer("conv1"));
    const bool onednn = cpu::f32_uses_onednn();

    nn::ForwardContext first_ctx;
    first_ctx.keep("layer1");  // the block's output: a fused convolution's, possibly blocked
    const Tensor before = logits(model, x, first_ctx);
    CHECK(stem.weight_cache().holds_current(weight) == onednn);
    CHECK(conv.weight_cache().holds_current(conv.weight()) == onednn);
    const Tensor kept = first_ctx.output("layer1").value();
    nn::ForwardContext everything;
    everything.keep_all();
    const Tensor reference_logits = logits(model, x, everything);
    const Tensor reference_layer1 = everything.output("layer1").value();
    CHECK(reference_layer1.layout().is_plain());  // observed module by module: plain values
    // Reading the blocked values: the plain ones, the weights' copy untouched.
    const std::vector<double> read = kept.to_vector();
    CHECK(test::relative_error(Tensor::from_values(kept.shape(), read), reference_layer1) <= 1e-5);
    CHECK(stem.weight_cache().holds_current(weight) == onednn);

    // A write to the weights: the copy is not current any more, and the forward sees the change.
    weight.mutable_data<float>()[0] += 5.0f;
    CHECK_FALSE(stem.weight_cache().holds_current(weight));
    nn::ForwardContext after_ctx, everything_after;
    everything_after.keep_all();
    const Tensor after = logits(model, x, after_ctx);
    CHECK(stem.weight_cache().holds_current(weight) == onednn);
    CHECK(test::relative_error(after, logits(model, x, everything_after)) <= 1e-5);
    CHECK(test::relative_error(after, before) > 1e-3);
    CHECK(test::relative_error(before, reference_logits) <= 1e-5);
}
