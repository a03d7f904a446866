// Keras-layout weight files built by tests/reference/keras_bad_weights.py with h5py alone
// (no Keras needed): every valid form (string attributes fixed-length NULLPAD, vlen ASCII,
// vlen UTF-8, split layer_names0..2; Keras-1 names; model.save with optimizer state; Keras 3
// .weights.h5; nested transfer-learning models; the 'probs' classifier; VGG16) loads to the
// same parameters, the layout conversions match numpy's, and each malformed file gives its
// exact error.
#include <cstring>
#include <map>

#include <nlohmann/json.hpp>

#include "autograd/grad_mode.h"
#include "core/error.h"
#include "core/io/npy.h"
#include "models/keras_load.h"
#include "models/load.h"
#include "tests/reference/fixtures.h"
#include "tests/test_util.h"

using namespace igcam;
using json = nlohmann::json;

namespace {

std::string fixture_dir() { return test::reference_dir(); }

json manifest(const std::string& dir) { return test::read_manifest(dir, "cases.json"); }

std::string replace_all(std::string text, const std::string& token, const std::string& value) {
    for (std::size_t at = text.find(token); at != std::string::npos; at = text.find(token, at + value.size()))
        text.replace(at, token.size(), value);
    return text;
}

std::map<std::string, Tensor> parameters(const models::Model& model) {
    std::map<std::string, Tensor> out;
    for (const auto& [key, p] : model.net->named_parameters()) out[key] = p->value;
    return out;
}

const Tensor& parameter(const models::Model& model, const std::string& key) {
    for (const auto& [k, p] : model.net->named_parameters())
        if (k == key) return p->value;
    FAIL("no parameter " << key);
    static Tensor none;
    return none;
}

}  // namespace

bool same_values(const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() && a.dtype() == b.dtype() && std::memcmp(a.raw_data(), b.raw_data(), a.bytes()) == 0;
}

TEST_CASE("keras layouts: every valid form loads, by name, to the same parameters, converted as numpy does") {
    const std::string dir = fixture_dir();
    const json m = manifest(dir);
    const json expect = m["expect"];
    const models::Model reference = models::load_model(dir + "/good_k2_vlen.h5");
    const auto expected = parameters(reference);
    int forms = 0;
    for (const json& v : m["valid"]) {
        const std::string file = v["file"];
        CAPTURE(file);
        const models::Model model = models::load_model(dir + "/" + file);
        CHECK(model.architecture.name == v["arch"].get<std::string>());
        CHECK(model.num_classes() == v["classes"].get<int64_t>());
        CHECK(model.format == v["format"].get<std::string>());
        CHECK(model.preprocess.name == "caffe-bgr");
        ++forms;
        if (!model.architecture.is_resnet) {
            CHECK(model.default_layer == "features.29");
            CHECK(model.architecture.vgg.flatten_only);
            // fc1: W[o][c*49 + h*7 + w] = K[(h*7 + w)*512 + c][o], against numpy's reshape/transpose.
            const Tensor want = io::read_npy(dir + "/" + expect["vgg16_fc1_rows0to63"].get<std::string>());
            const Tensor& fc1 = parameter(model, "classifier.0.weight");
            REQUIRE(fc1.shape() == Shape{4096, 25088});
            CHECK(same_values(fc1.slice_batch(0, 64).clone(), want));
            // Keras's Flatten needs the 7x7 map of a 224x224 input.
            ag::NoGradGuard no_grad;
            nn::ForwardContext ctx;
            CHECK_THROWS_WITH_AS(model.forward(ag::Var(Tensor::zeros(Shape{1, 3, 64, 64})), ctx),
                                 "VGG (Keras): Flatten needs a 7x7 feature map, i.e. a 224x224 input; found a feature "
                                 "map of shape (1, 512, 2, 2)",
                                 ShapeError);
            continue;
        }
        CHECK(model.default_layer == "layer4");
        CHECK(model.architecture.resnet.keras);
        CHECK(model.architecture.resnet.bn_eps == v["eps"].get<double>());
        for (const auto& [key, value] : parameters(model)) {
            if (model.num_classes() != reference.num_classes() && key.rfind("fc.", 0) == 0) continue;
            CAPTURE(key);
            CHECK(same_values(value, expected.at(key)));
        }
        // HWIO -> OIHW, (in, out) -> (out, in), Keras-1 running_std is the variance: against numpy.
        if (model.num_classes() != reference.num_classes()) continue;
        for (const std::string key : {"conv1.weight", "fc.weight", "bn1.running_var"}) {
            CAPTURE(key);
            CHECK(same_values(parameter(model, key), io::read_npy(dir + "/" + expect[key].get<std::string>())));
        }
    }
    CHECK(forms == 14);
}

TEST_CASE("keras layouts: malformed files each give their exact error") {
    const std::string dir = fixture_dir();
    const json m = manifest(dir);
    int checked = 0;
    for (const json& c : m["cases"]) {
        const std::string path = dir + "/" + c["file"].get<std::string>();
        const std::string expected = replace_all(c["message"], "{path}", path);
        CAPTURE(path);
        if (c["kind"] == "io") CHECK_THROWS_WITH_AS(models::load_model(path), expected.c_str(), IoError);
        else CHECK_THROWS_WITH_AS(models::load_model(path), expected.c_str(), FormatError);
        ++checked;
    }
    CHECK(checked >= 15);
    MESSAGE(checked << " malformed Keras-layout files checked");
}

TEST_CASE("keras layer names: keras_layer_alias maps them to igcam's modules") {
    models::Architecture r = models::standard_architecture("resnet50", models::Variant::Torchvision, 1000);
    r.resnet.keras = true;
    r.resnet.bn_eps = 1.001e-5;
    models::Architecture v = models::standard_architecture("vgg16", models::Variant::Torchvision, 1000);
    v.vgg.flatten_only = true;
    const auto resnet = models::build_network(r), vgg = models::build_network(v);
    const std::vector<std::pair<std::string, std::string>> resnet_names{
        {"conv5_block3_out", "layer4.2"},       {"conv1_conv", "conv1"},
        {"conv1_bn", "bn1"},                    {"conv1_relu", "relu"},
        {"pool1_pool", "maxpool"},              {"conv2_block1_0_conv", "layer1.0.downsample.0"},
        {"conv3_block1_0_bn", "layer2.0.downsample.1"}, {"conv4_block6_2_conv", "layer3.5.conv2"},
        {"conv4_block6_3_bn", "layer3.5.bn3"},  {"conv2_block3_out", "layer1.2"},
        {"avg_pool", "avgpool"},                {"predictions", "fc"},
        {"probs", "fc"},                        {"fc1000", "fc"},
        {"conv1", "conv1"},                     {"bn_conv1", "bn1"},
        {"res4a_branch2b", "layer3.0.conv2"},   {"bn5c_branch2c", "layer4.2.bn3"},
        {"res3a_branch1", "layer2.0.downsample.0"}, {"bn2a_branch1", "layer1.0.downsample.1"},
        {"layer4", "layer4"},                   {"layer3.1.conv2", "layer3.1.conv2"}};
    for (const auto& [keras, igcam] : resnet_names) {
        CAPTURE(keras);
        CHECK(models::keras_layer_alias(r, keras) == igcam);
        CHECK(resnet->find(models::keras_layer_alias(r, keras)) != nullptr);
    }
    const std::vector<std::pair<std::string, std::string>> vgg_names{
        {"block1_conv1", "features.1"}, {"block1_conv2", "features.3"}, {"block1_pool", "features.4"},
        {"block3_conv3", "features.15"}, {"block5_conv3", "features.29"}, {"block5_pool", "features.30"},
        {"fc1", "classifier.1"},         {"fc2", "classifier.4"},         {"predictions", "classifier.6"},
        {"features.29", "features.29"}};
    for (const auto& [keras, igcam] : vgg_names) {
        CAPTURE(keras);
        CHECK(models::keras_layer_alias(v, keras) == igcam);
        CHECK(vgg->find(models::keras_layer_alias(v, keras)) != nullptr);
    }
    CHECK_THROWS_WITH_AS(models::keras_layer_alias(r, "conv2_block1_add"),
                         "Keras layer 'conv2_block1_add' (the sum before the block's last ReLU) has no module in igcam; "
                         "use conv2_block1_out (layer1.0) or conv2_block1_3_bn (layer1.0.bn3)",
                         ValueError);
    CHECK_THROWS_WITH_AS(models::keras_layer_alias(r, "conv3_block2_1_relu"),
                         "Keras layer 'conv3_block2_1_relu' has no module in igcam (the block's ReLUs are one shared "
                         "module); use conv3_block2_1_bn (layer2.1.bn1), its input",
                         ValueError);
    CHECK_THROWS_WITH_AS(models::keras_layer_alias(r, "pool1_pad"),
                         "Keras layer 'pool1_pad' is zero padding, which igcam folds into maxpool; use that layer",
                         ValueError);
    CHECK_THROWS_WITH_AS(models::keras_layer_alias(r, "conv2_block4_out"),
                         "Keras layer 'conv2_block4_out' does not exist in resnet50", ValueError);
    CHECK_THROWS_WITH_AS(models::keras_layer_alias(r, "conv6_block1_out"),
                         "Keras layer 'conv6_block1_out' does not exist in resnet50", ValueError);
    CHECK_THROWS_WITH_AS(models::keras_layer_alias(r, "conv3_block2_0_conv"),
                         "Keras layer 'conv3_block2_0_conv' does not exist in resnet50 (only the first block of a "
                         "stage has a shortcut conv)",
                         ValueError);
    CHECK_THROWS_WITH_AS(models::keras_layer_alias(v, "flatten"),
                         "Keras layer 'flatten' has no module in igcam; use avgpool (the feature map Flatten reshapes)",
                         ValueError);
    CHECK_THROWS_WITH_AS(models::keras_layer_alias(v, "block6_conv1"), "Keras layer 'block6_conv1' does not exist in vgg16",
                         ValueError);
}
