// VGG with torchvision's module names: features (Sequential of Conv2d / [BatchNorm2d] /
// ReLU / MaxPool2d), avgpool (AdaptiveAvgPool2d to pool_size), classifier (Linear, ReLU,
// Dropout, Linear, ReLU, Dropout, Linear). Covers VGG-11/13/16/19 with and without batch
// norm, TorchRay's VOC VGG16 (ceil-mode pools) and small demo VGGs.
#pragma once

#include <cstdint>
#include <vector>

#include "layers/sequential.h"

namespace igcam::models {

struct VggConfig {
    std::vector<int64_t> layers;  // output channels of each 3x3 conv; 0 marks a 2x2 max-pool
    bool batch_norm = false;
    int64_t num_classes = 1000;
    int64_t hidden = 4096;        // width of the two hidden classifier layers
    int64_t pool_size = 7;        // avgpool output side
    bool ceil_mode = false;       // TorchRay's Caffe VGG pools with ceil_mode
    // Keras VGG: Flatten straight after the last pool, no adaptive pooling. The feature map
    // must then already be pool_size x pool_size (a 224x224 input for VGG16); anything else
    // is a ShapeError, as Keras refuses it, instead of a silent adaptive average.
    bool flatten_only = false;
    double bn_eps = 1e-5;
};

// The standard layer lists: 11, 13, 16, 19 (torchvision's configurations A, B, D, E).
std::vector<int64_t> vgg_layers(int depth);
// Index in `features` of the ReLU after the last conv ("features.29" for VGG16).
int64_t vgg_last_relu_index(const VggConfig& config);

class VGG : public nn::Module {
public:
    explicit VGG(const VggConfig& config);
    std::string type() const override { return "VGG"; }
    const VggConfig& config() const { return config_; }
    ag::Var forward_from(const std::string& name, const ag::Var& value, nn::ForwardContext& ctx) const override;
    bool can_resume_from(const std::string& name) const override;

protected:
    ag::Var forward(const ag::Var& x, nn::ForwardContext& ctx) const override;

private:
    // avgpool(features), after the Keras flatten_only check.
    ag::Var pool(const ag::Var& features, nn::ForwardContext& ctx) const;

    VggConfig config_;
    std::shared_ptr<nn::Module> features_, avgpool_, classifier_;
};

}  // namespace igcam::models
