// One explanation pass: a forward with the target layer tapped (so it becomes the leaf
// that requires grad) and a backward from the class scores down to that layer and no
// further. Parameters never require grad, so no parameter gradient is ever formed.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "models/model.h"

namespace igcam::cam {

struct LayerCapture {
    Tensor activations;  // A (N, K, h, w): the layer's output, plain (core/layout.h)
    Tensor gradients;    // dy^c/dA (N, K, h, w); undefined for a forward-only capture
    Tensor logits;       // (N, classes)
    Tensor scores;       // y^c per image (N); undefined for forward_layer
};

// input (N, 3, H, W); classes: one per image. Throws ValueError when `layer` is unknown or
// does not output a 4-D feature map.
LayerCapture capture_layer(const models::Model& model, const Tensor& input, const std::string& layer,
                           const std::vector<int64_t>& classes);
// Forward only (no graph is recorded): activations and logits, no gradients.
LayerCapture forward_layer(const models::Model& model, const Tensor& input, const std::string& layer);

// As capture_layer, with the classes chosen from the logits of this same forward pass
// (top-1, a name, ...), so choosing the target costs no extra forward; with a `trace`, the
// backward pass records its gradient trace there (ag::backward).
LayerCapture capture_layer(const models::Model& model, const Tensor& input, const std::string& layer,
                           const std::function<std::vector<int64_t>(const Tensor& logits)>& choose_classes,
                           ag::GradientTrace* trace = nullptr);

// y^c for each row of logits (N, C).
Tensor class_scores(const Tensor& logits, const std::vector<int64_t>& classes);

}  // namespace igcam::cam
