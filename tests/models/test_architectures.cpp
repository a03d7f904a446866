// Architectures built by igcam have torchvision's module names, parameter shapes and
// counts (counts taken from torchvision 0.14 itself), and inference from state_dict
// shapes recovers the configuration.
#include "core/error.h"
#include "models/architecture.h"
#include "tests/test_util.h"

using namespace igcam;
using models::Variant;

namespace {
int64_t count(const std::string& name, Variant variant = Variant::Torchvision, int64_t classes = 1000) {
    return models::build_network(models::standard_architecture(name, variant, classes))->parameter_count();
}

std::map<std::string, std::vector<int64_t>> shapes_of(const models::Architecture& arch) {
    std::map<std::string, std::vector<int64_t>> shapes;
    const auto net = models::build_network(arch);  // must outlive the loop over its parameters
    for (const auto& [key, p] : net->named_parameters()) shapes[key] = p->shape.dims();
    return shapes;
}
}  // namespace

TEST_CASE("architectures: parameter counts match torchvision's state_dicts") {
    // sum(v.numel() for v in model.state_dict().values() if not num_batches_tracked), torchvision 0.14:
    CHECK(count("resnet18") == 11699112);
    CHECK(count("resnet34") == 21814696);
    CHECK(count("resnet50") == 25610152);
    CHECK(count("resnet101") == 44654504);
    CHECK(count("resnet152") == 60344232);
    CHECK(count("vgg11") == 132863336);
    CHECK(count("vgg16") == 138357544);
    CHECK(count("vgg19") == 143667240);
    CHECK(count("vgg16_bn") == 138374440);
    // TorchRay's Caffe ResNet-50 adds conv1's bias (64); VOC heads have 20 outputs.
    CHECK(count("resnet50", Variant::Caffe, 20) == 25610152 - 2048 * 980 - 980 + 64);
}

TEST_CASE("architectures: module names follow torchvision's named_modules") {
    const auto resnet = models::build_network(models::standard_architecture("resnet50", Variant::Torchvision, 1000));
    for (const char* name : {"conv1", "layer1.0.downsample.0", "layer4.2", "layer4.2.conv3", "layer4.2.relu", "fc"})
        CHECK_MESSAGE(resnet->find(name) != nullptr, name);
    CHECK(resnet->find("layer4.3") == nullptr);
    CHECK(resnet->find("layer4.2.conv3")->type() == "Conv2d");
    const auto vgg = models::build_network(models::standard_architecture("vgg16", Variant::Torchvision, 1000));
    CHECK(vgg->find("features.29")->type() == "ReLU");
    CHECK(vgg->find("features.30")->type() == "MaxPool2d");
    CHECK(vgg->find("classifier.6")->type() == "Linear");
    CHECK(models::default_target_layer(models::standard_architecture("vgg16", Variant::Torchvision, 1000)) ==
          "features.29");
    CHECK(models::default_target_layer(models::standard_architecture("vgg16_bn", Variant::Torchvision, 1000)) ==
          "features.42");
    CHECK(models::default_target_layer(models::standard_architecture("resnet18", Variant::Torchvision, 1000)) ==
          "layer4");
}

TEST_CASE("architectures: inference from shapes recovers every standard configuration") {
    for (const std::string& name : models::standard_architecture_names()) {
        for (Variant variant : {Variant::Torchvision, Variant::Caffe}) {
            const models::Architecture arch = models::standard_architecture(name, variant, 37);
            const models::Architecture inferred = models::infer_architecture(shapes_of(arch), variant, "test");
            CHECK(inferred.name == name);
            CHECK(inferred.is_resnet == arch.is_resnet);
            CHECK(inferred.resnet.stage_blocks == arch.resnet.stage_blocks);
            CHECK(inferred.vgg.layers == arch.vgg.layers);
            CHECK((arch.is_resnet ? inferred.resnet.num_classes : inferred.vgg.num_classes) == 37);
        }
    }
    CHECK_THROWS_WITH_AS(models::standard_architecture("resnet49", Variant::Torchvision, 10),
                         "unknown architecture 'resnet49'", ValueError);
}

TEST_CASE("architectures: where a forward pass can resume after a module") {
    const auto resnet = models::build_network(models::standard_architecture("resnet50", Variant::Torchvision, 10));
    for (const std::string name : {"conv1", "bn1", "maxpool", "layer1", "layer3.2", "layer4", "avgpool", "fc"})
        CHECK_MESSAGE(resnet->can_resume_from(name), name);
    // Inside a residual block the shortcut needs the block's input: not resumable.
    for (const std::string name : {"layer4.2.conv3", "layer1.0.bn1", "layer2.0.downsample.0", "nothing", ""})
        CHECK_MESSAGE(!resnet->can_resume_from(name), name);
    const auto vgg = models::build_network(models::standard_architecture("vgg16", Variant::Torchvision, 10));
    for (const std::string name : {"features", "features.0", "features.4", "features.29", "avgpool", "classifier.3",
                                   "classifier.6"})
        CHECK_MESSAGE(vgg->can_resume_from(name), name);
    CHECK_FALSE(vgg->can_resume_from("classifier.7"));
}
