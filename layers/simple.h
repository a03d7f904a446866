// Parameter-free layers: BatchNorm2d (inference: its statistics are constants), ReLU,
// pooling, Flatten and Dropout (the identity at inference).
#pragma once

#include "core/op_params.h"
#include "core/ops.h"
#include "layers/module.h"

namespace igcam::nn {

// weight (gamma), bias (beta), running_mean, running_var, all (channels).
class BatchNorm2d : public Module {
public:
    BatchNorm2d(int64_t channels, double eps);
    std::string type() const override { return "BatchNorm2d"; }
    double eps() const { return eps_; }
    // gamma, beta, running mean and variance, eps: what ops::batch_norm_forward takes.
    ops::BatchNormConstants constants() const { return {value(0), value(1), value(2), value(3), eps_}; }

protected:
    ag::Var forward(const ag::Var& x, ForwardContext& ctx) const override;

private:
    double eps_;
};

class ReLU : public Module {
public:
    std::string type() const override { return "ReLU"; }

protected:
    ag::Var forward(const ag::Var& x, ForwardContext& ctx) const override;
};

class MaxPool2d : public Module {
public:
    explicit MaxPool2d(const Pool2dParams& params) : params_(params) {}
    std::string type() const override { return "MaxPool2d"; }
    const Pool2dParams& params() const { return params_; }

protected:
    ag::Var forward(const ag::Var& x, ForwardContext& ctx) const override;

private:
    Pool2dParams params_;
};

class AvgPool2d : public Module {
public:
    explicit AvgPool2d(const Pool2dParams& params) : params_(params) {}
    std::string type() const override { return "AvgPool2d"; }

protected:
    ag::Var forward(const ag::Var& x, ForwardContext& ctx) const override;

private:
    Pool2dParams params_;
};

class AdaptiveAvgPool2d : public Module {
public:
    AdaptiveAvgPool2d(int64_t out_h, int64_t out_w) : out_h_(out_h), out_w_(out_w) {}
    std::string type() const override { return "AdaptiveAvgPool2d"; }

protected:
    ag::Var forward(const ag::Var& x, ForwardContext& ctx) const override;

private:
    int64_t out_h_, out_w_;
};

// (N, ...) -> (N, prod(...)), row-major: the CHW order of torch.flatten(x, 1).
class Flatten : public Module {
public:
    std::string type() const override { return "Flatten"; }

protected:
    ag::Var forward(const ag::Var& x, ForwardContext& ctx) const override;
};

class Dropout : public Module {
public:
    std::string type() const override { return "Dropout"; }

protected:
    ag::Var forward(const ag::Var& x, ForwardContext&) const override { return x; }
};

}  // namespace igcam::nn
