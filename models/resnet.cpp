#include "models/resnet.h"

#include "autograd/functions.h"
#include "core/error.h"
#include "layers/fused.h"

namespace igcam::models {

ResNet::ResNet(const ResNetConfig& c) : config_(c) {
    IGCAM_CHECK(!c.stage_blocks.empty() && c.base_width >= 1 && c.num_classes >= 1, ValueError,
                "ResNet: needs at least one stage, a positive width and at least one class");
    nn::BlockOptions options;
    options.stride_on_first = c.caffe || c.keras;
    options.conv_bias = c.keras;  // TorchRay's Caffe ResNet has a bias on conv1 only; Keras on every conv
    options.bn_eps = c.bn_eps;
    stem_.push_back(add_child("conv1", std::make_shared<nn::Conv2d>(3, c.base_width, 7, 2, 3, c.caffe || c.keras)));
    stem_.push_back(add_child("bn1", std::make_shared<nn::BatchNorm2d>(c.base_width, c.bn_eps)));
    stem_.push_back(add_child("relu", std::make_shared<nn::ReLU>()));
    stem_.push_back(add_child("maxpool", std::make_shared<nn::MaxPool2d>(
                                             c.caffe ? Pool2dParams::square(3, 2, 0, true) : Pool2dParams::square(3, 2, 1))));
    const int64_t expansion = c.bottleneck ? nn::Bottleneck::kExpansion : nn::BasicBlock::kExpansion;
    int64_t in_channels = c.base_width;
    for (std::size_t s = 0; s < c.stage_blocks.size(); ++s) {
        IGCAM_CHECK(c.stage_blocks[s] >= 1, ValueError, "ResNet: stage ", s + 1, " needs at least one block");
        auto stage = std::make_shared<nn::Sequential>();
        const int64_t planes = c.base_width << s;
        for (int64_t b = 0; b < c.stage_blocks[s]; ++b) {
            const int64_t stride = (b == 0 && s > 0) ? 2 : 1;
            if (c.bottleneck) stage->append(std::make_shared<nn::Bottleneck>(in_channels, planes, stride, options));
            else stage->append(std::make_shared<nn::BasicBlock>(in_channels, planes, stride, options));
            in_channels = planes * expansion;
        }
        stages_.push_back(add_child("layer" + std::to_string(s + 1), stage));
    }
    avgpool_ = add_child("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(1, 1));
    fc_ = add_child("fc", std::make_shared<nn::Linear>(in_channels, c.num_classes));
}

ag::Var ResNet::head(const ag::Var& features, nn::ForwardContext& ctx) const {
    return (*fc_)(ag::flatten((*avgpool_)(features, ctx)), ctx);
}

ag::Var ResNet::forward(const ag::Var& x, nn::ForwardContext& ctx) const {
    std::vector<const nn::Module*> stem;
    for (const auto& m : stem_) stem.push_back(m.get());
    ag::Var y = nn::run_in_order(stem, x, ctx);
    for (const auto& m : stages_) y = (*m)(y, ctx);
    return head(y, ctx);
}

bool ResNet::can_resume_from(const std::string& name) const {
    if (contains(*fc_, name) || contains(*avgpool_, name)) return name == fc_->name() || name == avgpool_->name();
    for (const auto* steps : {&stem_, &stages_})
        for (const auto& m : *steps)
            if (contains(*m, name)) return can_resume_child(*m, name);
    return false;
}

ag::Var ResNet::forward_from(const std::string& name, const ag::Var& value, nn::ForwardContext& ctx) const {
    if (contains(*fc_, name)) return value;
    if (contains(*avgpool_, name)) return (*fc_)(ag::flatten(value), ctx);
    ag::Var y;
    bool resumed = false;
    for (const auto* steps : {&stem_, &stages_}) {
        for (const auto& m : *steps) {
            if (resumed) y = (*m)(y, ctx);
            else if (contains(*m, name)) {
                y = resume_child(*m, name, value, ctx);
                resumed = true;
            }
        }
    }
    IGCAM_CHECK(resumed, ValueError, "unknown layer '", name, "'");
    return head(y, ctx);
}

}  // namespace igcam::models
