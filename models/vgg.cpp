#include "models/vgg.h"

#include <algorithm>

#include "autograd/functions.h"
#include "core/error.h"
#include "layers/conv.h"
#include "layers/simple.h"

namespace igcam::models {

std::vector<int64_t> vgg_layers(int depth) {
    switch (depth) {
        case 11: return {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0};
        case 13: return {64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0};
        case 16: return {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
        case 19:
            return {64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0};
        default: detail::throw_error<ValueError>("VGG: no standard configuration for depth ", depth);
    }
}

int64_t vgg_last_relu_index(const VggConfig& config) {
    int64_t index = 0, last_relu = -1;
    for (int64_t out : config.layers) {
        if (out == 0) {
            ++index;
            continue;
        }
        index += config.batch_norm ? 2 : 1;  // conv [bn]
        last_relu = index++;
    }
    return last_relu;
}

VGG::VGG(const VggConfig& c) : config_(c) {
    IGCAM_CHECK(c.num_classes >= 1 && c.hidden >= 1 && c.pool_size >= 1, ValueError,
                "VGG: classes, hidden width and pool size must be positive");
    auto features = std::make_shared<nn::Sequential>();
    int64_t channels = 3;
    for (int64_t out : c.layers) {
        if (out == 0) {
            Pool2dParams pool = Pool2dParams::square(2, 2, 0, c.ceil_mode);
            features->append(std::make_shared<nn::MaxPool2d>(pool));
            continue;
        }
        features->append(std::make_shared<nn::Conv2d>(channels, out, 3, 1, 1, true));
        if (c.batch_norm) features->append(std::make_shared<nn::BatchNorm2d>(out, c.bn_eps));
        features->append(std::make_shared<nn::ReLU>());
        channels = out;
    }
    IGCAM_CHECK(channels != 3, ValueError, "VGG: needs at least one conv layer");
    features_ = add_child("features", features);
    avgpool_ = add_child("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(c.pool_size, c.pool_size));
    auto classifier = std::make_shared<nn::Sequential>();
    classifier->append(std::make_shared<nn::Linear>(channels * c.pool_size * c.pool_size, c.hidden));
    classifier->append(std::make_shared<nn::ReLU>());
    classifier->append(std::make_shared<nn::Dropout>());
    classifier->append(std::make_shared<nn::Linear>(c.hidden, c.hidden));
    classifier->append(std::make_shared<nn::ReLU>());
    classifier->append(std::make_shared<nn::Dropout>());
    classifier->append(std::make_shared<nn::Linear>(c.hidden, c.num_classes));
    classifier_ = add_child("classifier", classifier);
}

ag::Var VGG::pool(const ag::Var& features, nn::ForwardContext& ctx) const {
    if (config_.flatten_only) {
        const int64_t side = config_.pool_size << std::count(config_.layers.begin(), config_.layers.end(), 0);
        IGCAM_CHECK(features.shape().rank() == 4 && features.shape()[2] == config_.pool_size &&
                        features.shape()[3] == config_.pool_size,
                    ShapeError, "VGG (Keras): Flatten needs a ", config_.pool_size, "x", config_.pool_size,
                    " feature map, i.e. a ", side, "x", side, " input; found a feature map of shape ",
                    features.shape().to_string());
    }
    return (*avgpool_)(features, ctx);
}

bool VGG::can_resume_from(const std::string& name) const {
    if (contains(*classifier_, name)) return can_resume_child(*classifier_, name);
    if (contains(*features_, name)) return can_resume_child(*features_, name);
    return name == avgpool_->name();
}

ag::Var VGG::forward_from(const std::string& name, const ag::Var& value, nn::ForwardContext& ctx) const {
    if (contains(*classifier_, name)) return resume_child(*classifier_, name, value, ctx);
    ag::Var pooled = value;
    if (contains(*features_, name)) pooled = pool(resume_child(*features_, name, value, ctx), ctx);
    else IGCAM_CHECK(contains(*avgpool_, name), ValueError, "unknown layer '", name, "'");
    return (*classifier_)(ag::flatten(pooled), ctx);
}

ag::Var VGG::forward(const ag::Var& x, nn::ForwardContext& ctx) const {
    const ag::Var features = (*features_)(x, ctx);
    return (*classifier_)(ag::flatten(pool(features, ctx)), ctx);
}

}  // namespace igcam::models
