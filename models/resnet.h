// ResNet with torchvision's module names: conv1, bn1, relu, maxpool, layer1..layerK
// (Sequential of blocks), avgpool, fc. One builder covers torchvision ResNet-18..152
// ("v1.5": stride on the 3x3 conv), the Caffe/TorchRay ResNet (stride on the first 1x1,
// biased convs, max-pool k3 s2 p0 ceil) and small demo ResNets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layers/residual.h"

namespace igcam::models {

struct ResNetConfig {
    bool bottleneck = true;                        // Bottleneck (expansion 4) or BasicBlock
    std::vector<int64_t> stage_blocks{3, 4, 6, 3};  // blocks per stage; stage i has width base * 2^i
    int64_t base_width = 64;
    int64_t num_classes = 1000;
    bool caffe = false;  // TorchRay's Caffe ResNet: conv1 bias, stride on first 1x1, ceil max-pool
    // Keras applications ResNet (models/keras_load.h): stride on the first 1x1 as caffe, but a bias
    // on every conv, and Keras's pool1_pad (1) + valid MaxPooling2D(3, 2), which on post-ReLU
    // inputs equals max-pool k3 s2 p1 (floor), torchvision's stem pool.
    bool keras = false;
    double bn_eps = 1e-5;
};

class ResNet : public nn::Module {
public:
    explicit ResNet(const ResNetConfig& config);
    std::string type() const override { return "ResNet"; }
    const ResNetConfig& config() const { return config_; }
    ag::Var forward_from(const std::string& name, const ag::Var& value, nn::ForwardContext& ctx) const override;
    bool can_resume_from(const std::string& name) const override;

protected:
    ag::Var forward(const ag::Var& x, nn::ForwardContext& ctx) const override;

private:
    // avgpool, flatten, fc.
    ag::Var head(const ag::Var& features, nn::ForwardContext& ctx) const;

    ResNetConfig config_;
    std::vector<std::shared_ptr<nn::Module>> stem_;    // conv1, bn1, relu, maxpool
    std::vector<std::shared_ptr<nn::Module>> stages_;  // layer1..layerK
    std::shared_ptr<nn::Module> avgpool_, fc_;
};

}  // namespace igcam::models
