// Conv2d and Linear: the layers that hold weight matrices (torch names "weight", "bias").
#pragma once

#include "core/op_params.h"
#include "core/weight_cache.h"
#include "layers/module.h"

namespace igcam::nn {

// weight (out_channels, in_channels, kernel, kernel), bias (out_channels) when `bias`.
class Conv2d : public Module {
public:
    Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding, bool bias);
    std::string type() const override { return "Conv2d"; }
    int64_t in_channels() const { return in_channels_; }
    int64_t out_channels() const { return out_channels_; }
    int64_t kernel() const { return kernel_; }
    const Conv2dParams& params() const { return params_; }
    const Tensor& weight() const { return value(0); }
    Tensor bias() const { return has_bias_ ? value(1) : Tensor(); }  // undefined without bias
    // The weights as a backend prepared them (oneDNN's layout, a batch norm folded in), kept
    // by this layer between forward passes and keyed by the values they were made from
    // (core/weight_cache.h). A cache, so it changes under const.
    WeightCache& weight_cache() const { return weight_cache_; }
    void release_derived() const override { weight_cache_.clear(); }

protected:
    ag::Var forward(const ag::Var& x, ForwardContext& ctx) const override;

private:
    int64_t in_channels_, out_channels_, kernel_;
    Conv2dParams params_;
    bool has_bias_;
    mutable WeightCache weight_cache_;
};

// weight (out_features, in_features), bias (out_features) when `bias`; input (N, in_features).
class Linear : public Module {
public:
    Linear(int64_t in_features, int64_t out_features, bool bias = true);
    std::string type() const override { return "Linear"; }
    int64_t in_features() const { return in_features_; }
    int64_t out_features() const { return out_features_; }

protected:
    ag::Var forward(const ag::Var& x, ForwardContext& ctx) const override;

private:
    int64_t in_features_, out_features_;
    bool has_bias_;
};

}  // namespace igcam::nn
