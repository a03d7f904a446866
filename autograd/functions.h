// Differentiable functions: each computes its forward with ops::* and records a backward
// closure that calls the matching ops::*_backward. Parameters are Vars too, so a gradient
// check can differentiate with respect to weights; during explanations they simply do
// not require grad and no parameter gradient is ever formed.
#pragma once

#include <vector>

#include "autograd/var.h"
#include "core/op_params.h"
#include "core/weight_cache.h"

namespace igcam::ag {

// x (N, C, H, W), weight (O, C, kh, kw), bias (O) or an undefined Var.
// `weights_cache`: the layer's cache of its weights in a backend's layout (ops::conv2d_forward).
Var conv2d(const Var& x, const Var& weight, const Var& bias, const Conv2dParams& params,
           WeightCache* weights_cache = nullptr);
// x (N, in), weight (out, in), bias (out) or an undefined Var.
Var linear(const Var& x, const Var& weight, const Var& bias);
Var relu(const Var& x);
Var max_pool2d(const Var& x, const Pool2dParams& params);
Var avg_pool2d(const Var& x, const Pool2dParams& params);
Var adaptive_avg_pool2d(const Var& x, int64_t out_h, int64_t out_w);
// Inference batch norm; differentiable with respect to x only (the statistics and affine
// parameters are constants of a pretrained model).
Var batch_norm(const Var& x, const Tensor& gamma, const Tensor& beta, const Tensor& mean,
               const Tensor& var, double eps);
// Broadcasting arithmetic; gradients are summed back to each input's shape.
Var add(const Var& a, const Var& b);
Var sub(const Var& a, const Var& b);
Var mul(const Var& a, const Var& b);
Var scale(const Var& x, double alpha);
// y = alpha * x + beta.
Var affine(const Var& x, double alpha, double beta);
Var sum(const Var& x, const std::vector<int>& axes = {}, bool keepdim = false);
Var mean(const Var& x, const std::vector<int>& axes = {}, bool keepdim = false);
Var softmax(const Var& x, int axis);
Var resize_bilinear(const Var& x, int64_t out_h, int64_t out_w);
Var pad2d(const Var& x, const Padding2d& pad);
// A view with another shape (same numel); flatten keeps dim 0 and folds the rest.
Var reshape(const Var& x, const Shape& shape);
Var flatten(const Var& x);
// Picks x[:, index] of a (N, K) tensor as (N): the class score to explain.
Var select_column(const Var& x, int64_t index);
// Picks x[n, columns[n]] for every row of a (N, K) tensor, as (N): one class per image.
Var select_columns(const Var& x, const std::vector<int64_t>& columns);

}  // namespace igcam::ag
