// ResNet blocks with torchvision's child names (conv1, bn1, conv2, bn2, conv3, bn3, relu,
// downsample). `stride_on_first` moves the block's stride from the 3x3 conv (torchvision's
// "v1.5") to the first conv (the original Caffe ResNet, TorchRay, Keras). `conv_bias` gives
// every conv a bias (Caffe/Keras models).
#pragma once

#include "layers/conv.h"
#include "layers/sequential.h"
#include "layers/simple.h"

namespace igcam::nn {

struct BlockOptions {
    bool stride_on_first = false;
    bool conv_bias = false;
    double bn_eps = 1e-5;
};

// Two 3x3 convs; expansion 1.
class BasicBlock : public Module {
public:
    static constexpr int64_t kExpansion = 1;
    BasicBlock(int64_t in_channels, int64_t planes, int64_t stride, const BlockOptions& options);
    std::string type() const override { return "BasicBlock"; }

protected:
    ag::Var forward(const ag::Var& x, ForwardContext& ctx) const override;

private:
    std::shared_ptr<Conv2d> conv1_, conv2_;
    std::shared_ptr<BatchNorm2d> bn1_, bn2_;
    std::shared_ptr<ReLU> relu_;
    std::shared_ptr<Sequential> downsample_;  // null when the shortcut is the identity
};

// 1x1 -> 3x3 -> 1x1 with expansion 4.
class Bottleneck : public Module {
public:
    static constexpr int64_t kExpansion = 4;
    Bottleneck(int64_t in_channels, int64_t planes, int64_t stride, const BlockOptions& options);
    std::string type() const override { return "Bottleneck"; }

protected:
    ag::Var forward(const ag::Var& x, ForwardContext& ctx) const override;

private:
    std::shared_ptr<Conv2d> conv1_, conv2_, conv3_;
    std::shared_ptr<BatchNorm2d> bn1_, bn2_, bn3_;
    std::shared_ptr<ReLU> relu_;
    std::shared_ptr<Sequential> downsample_;
};

// The shortcut projection: 1x1 conv with the block's stride, then batch norm; null when the
// shapes already match.
std::shared_ptr<Sequential> make_downsample(int64_t in_channels, int64_t out_channels, int64_t stride,
                                            const BlockOptions& options);

}  // namespace igcam::nn
