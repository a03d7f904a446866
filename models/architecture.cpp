#include "models/architecture.h"

#include <cmath>
#include <regex>
#include <set>

#include "core/error.h"

namespace igcam::models {

namespace {

struct StandardResNet {
    const char* name;
    bool bottleneck;
    std::vector<int64_t> blocks;
};

const std::vector<StandardResNet>& standard_resnets() {
    static const std::vector<StandardResNet> table{{"resnet18", false, {2, 2, 2, 2}},
                                                   {"resnet34", false, {3, 4, 6, 3}},
                                                   {"resnet50", true, {3, 4, 6, 3}},
                                                   {"resnet101", true, {3, 4, 23, 3}},
                                                   {"resnet152", true, {3, 8, 36, 3}}};
    return table;
}

// The standard name of a configuration, or the family name.
void name_architecture(Architecture& a) {
    if (a.is_resnet) {
        a.name = "resnet";
        for (const StandardResNet& s : standard_resnets())
            if (s.bottleneck == a.resnet.bottleneck && s.blocks == a.resnet.stage_blocks && a.resnet.base_width == 64)
                a.name = s.name;
        return;
    }
    a.name = "vgg";
    for (int depth : {11, 13, 16, 19})
        if (a.vgg.layers == vgg_layers(depth) && a.vgg.hidden == 4096 && a.vgg.pool_size == 7)
            a.name = "vgg" + std::to_string(depth) + (a.vgg.batch_norm ? "_bn" : "");
}

const std::vector<int64_t>* find_shape(const std::map<std::string, std::vector<int64_t>>& shapes,
                                       const std::string& key) {
    auto it = shapes.find(key);
    return it == shapes.end() ? nullptr : &it->second;
}

int64_t leading_dim(const std::map<std::string, std::vector<int64_t>>& shapes, const std::string& key,
                    const std::string& where) {
    const std::vector<int64_t>* s = find_shape(shapes, key);
    IGCAM_CHECK(s != nullptr, FormatError, where, ": missing tensor '", key, "'");
    IGCAM_CHECK(!s->empty() && s->front() >= 1, FormatError, where, ": tensor '", key,
                "' has no leading dimension to read the architecture from");
    return s->front();
}

Architecture infer_resnet(const std::map<std::string, std::vector<int64_t>>& shapes, Variant variant,
                          const std::string& where) {
    Architecture a;
    a.is_resnet = true;
    a.variant = variant;
    static const std::regex block_key(R"(^layer([0-9]{1,6})\.([0-9]{1,6})\.)");  // no stoll overflow
    std::map<int64_t, int64_t> blocks;  // stage -> highest block index + 1
    for (const auto& [key, shape] : shapes) {
        (void)shape;
        std::smatch m;
        if (!std::regex_search(key, m, block_key)) continue;
        const int64_t stage = std::stoll(m[1].str()), block = std::stoll(m[2].str());
        IGCAM_CHECK(stage >= 1 && stage <= 16 && block <= 1024, FormatError, where, ": implausible ResNet key '",
                    key, "'");
        blocks[stage] = std::max(blocks[stage], block + 1);
    }
    a.resnet.stage_blocks.clear();
    for (int64_t s = 1; s <= static_cast<int64_t>(blocks.size()); ++s) {
        IGCAM_CHECK(blocks.count(s), FormatError, where, ": ResNet stage layer", s, " is missing");
        a.resnet.stage_blocks.push_back(blocks[s]);
    }
    a.resnet.bottleneck = find_shape(shapes, "layer1.0.conv3.weight") != nullptr;
    const std::vector<int64_t>* stem = find_shape(shapes, "conv1.weight");
    a.resnet.base_width = stem && !stem->empty() ? stem->front() : 64;
    a.resnet.num_classes = leading_dim(shapes, "fc.weight", where);
    a.resnet.caffe = variant == Variant::Caffe;
    return a;
}

Architecture infer_vgg(const std::map<std::string, std::vector<int64_t>>& shapes, Variant variant,
                       const std::string& where) {
    Architecture a;
    a.is_resnet = false;
    a.variant = variant;
    static const std::regex conv_key(R"(^features\.([0-9]{1,6})\.weight$)");
    std::map<int64_t, std::vector<int64_t>> convs;  // index -> weight shape (rank 4 only)
    for (const auto& [key, shape] : shapes) {
        std::smatch m;
        if (std::regex_match(key, m, conv_key) && shape.size() == 4) convs[std::stoll(m[1].str())] = shape;
    }
    IGCAM_CHECK(!convs.empty(), FormatError, where, ": no VGG convolution weights (features.N.weight) found");
    a.vgg.batch_norm = find_shape(shapes, "features.1.running_mean") != nullptr;
    const int64_t block = a.vgg.batch_norm ? 3 : 2;  // conv [bn] relu
    int64_t expected = 0;
    for (const auto& [index, shape] : convs) {
        if (index == expected + 1 && expected > 0) a.vgg.layers.push_back(0);  // a max-pool sits in between
        else IGCAM_CHECK(index == expected, FormatError, where, ": cannot place features.", index,
                         ".weight in a VGG layer list (expected index ", expected, " or ", expected + 1, ")");
        a.vgg.layers.push_back(shape.front());
        expected = index + block;
    }
    a.vgg.layers.push_back(0);  // every VGG ends its features with a max-pool
    a.vgg.hidden = leading_dim(shapes, "classifier.0.weight", where);
    a.vgg.num_classes = leading_dim(shapes, "classifier.6.weight", where);
    const std::vector<int64_t>& first = *find_shape(shapes, "classifier.0.weight");
    IGCAM_CHECK(first.size() == 2, FormatError, where, ": classifier.0.weight must be 2-D");
    const int64_t channels = convs.rbegin()->second.front();
    const int64_t area = first[1] / channels;
    const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(area))));
    IGCAM_CHECK(first[1] % channels == 0 && side * side == area, FormatError, where,
                ": classifier.0.weight has ", first[1], " input features, which is not ", channels,
                " channels times a square pooled map");
    a.vgg.pool_size = side;
    a.vgg.ceil_mode = variant == Variant::Caffe;
    return a;
}

}  // namespace

Variant parse_variant(const std::string& text, const std::string& where) {
    if (text == "torchvision" || text == "torchvision-v1.5") return Variant::Torchvision;
    if (text == "torchray-voc-caffe" || text == "torchray-voc" || text == "caffe") return Variant::Caffe;
    detail::throw_error<FormatError>(where, ": unknown variant ", quoted_value(text),
                                     " (expected torchvision, torchvision-v1.5 or torchray-voc-caffe)");
}

std::string variant_name(const Architecture& arch) {
    if (arch.variant == Variant::Caffe) return "torchray-voc-caffe";
    if (arch.variant == Variant::Keras) return "keras";
    return arch.is_resnet ? "torchvision-v1.5" : "torchvision";
}

Architecture standard_architecture(const std::string& name, Variant variant, int64_t num_classes) {
    Architecture a;
    a.variant = variant;
    for (const StandardResNet& s : standard_resnets()) {
        if (name != s.name) continue;
        a.is_resnet = true;
        a.resnet.bottleneck = s.bottleneck;
        a.resnet.stage_blocks = s.blocks;
        a.resnet.num_classes = num_classes;
        a.resnet.caffe = variant == Variant::Caffe;
        a.name = name;
        return a;
    }
    static const std::regex vgg_name(R"(^vgg(11|13|16|19)(_bn)?$)");
    std::smatch m;
    IGCAM_CHECK(std::regex_match(name, m, vgg_name), ValueError, "unknown architecture '", name, "'");
    a.is_resnet = false;
    a.vgg.layers = vgg_layers(std::stoi(m[1].str()));
    a.vgg.batch_norm = m[2].matched;
    a.vgg.num_classes = num_classes;
    a.vgg.ceil_mode = variant == Variant::Caffe;
    a.name = name;
    return a;
}

std::vector<std::string> standard_architecture_names() {
    std::vector<std::string> names;
    for (const StandardResNet& s : standard_resnets()) names.push_back(s.name);
    for (const char* v : {"vgg11", "vgg13", "vgg16", "vgg19"}) {
        names.push_back(v);
        names.push_back(std::string(v) + "_bn");
    }
    return names;
}

Architecture infer_architecture(const std::map<std::string, std::vector<int64_t>>& shapes, Variant variant,
                                const std::string& where) {
    // Keys and shapes come from the file: bounded before any of them is parsed or divided by.
    for (const auto& [key, shape] : shapes) {
        IGCAM_CHECK(key.size() <= 256, FormatError, where, ": the tensor name ", quoted_value(key),
                    " is longer than 256 bytes");
        for (int64_t d : shape)
            IGCAM_CHECK(d >= 1, FormatError, where, ": ", key, ": has a dimension of size ", d,
                        " (a weight has none below 1)");
    }
    const bool resnet = find_shape(shapes, "fc.weight") != nullptr || find_shape(shapes, "layer1.0.conv1.weight");
    const bool vgg = find_shape(shapes, "features.0.weight") != nullptr;
    IGCAM_CHECK(resnet != vgg, FormatError, where,
                resnet ? ": holds both ResNet and VGG tensors"
                       : ": holds neither a ResNet (fc.weight, layer1.0.conv1.weight) nor a VGG (features.0.weight)");
    Architecture a = resnet ? infer_resnet(shapes, variant, where) : infer_vgg(shapes, variant, where);
    name_architecture(a);
    return a;
}

std::shared_ptr<nn::Module> build_network(const Architecture& arch) {
    std::shared_ptr<nn::Module> net;
    if (arch.is_resnet) net = std::make_shared<ResNet>(arch.resnet);
    else net = std::make_shared<VGG>(arch.vgg);
    net->assign_names();
    return net;
}

std::string default_target_layer(const Architecture& arch) {
    if (arch.is_resnet) return "layer" + std::to_string(arch.resnet.stage_blocks.size());
    return "features." + std::to_string(vgg_last_relu_index(arch.vgg));
}

}  // namespace igcam::models
