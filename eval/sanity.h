// The cascading-randomisation sanity check (Adebayo et al., "Sanity checks for saliency
// maps", NeurIPS 2018): the model's weights are re-initialised block by block from the
// logits down, one more block at each step, and each step's map is compared with the map of
// the trained model. A method whose maps stay similar while the network is destroyed does
// not explain the network.
//
// Blocks are the model's top-level modules that hold weights, last first (ResNet: fc,
// layer4, layer3, layer2, layer1, bn1, conv1; VGG: classifier, features). A re-initialised
// weight or bias is drawn from a normal distribution with the tensor's own mean and standard
// deviation (so every layer keeps its scale and the network its numeric range), seeded per
// tensor; batch-norm running statistics are kept.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eval/metrics.h"
#include "models/model.h"

namespace igcam::eval {

// The blocks of the cascade, in the order they are randomised.
std::vector<std::string> cascade_blocks(const models::Model& model);

// Re-initialises the weights and biases of `block` in place (see above), on the model's device.
void randomise_block(models::Model& model, const std::string& block, uint64_t seed);

struct Similarity {
    std::optional<double> spearman;      // rank correlation of the two maps (null: one is constant)
    std::optional<double> spearman_abs;  // of their absolute values
    double ssim = 0;                     // of the maps min-max scaled to [-1, 1], window 5, data range 2
};

// original, randomised: maps in the same frame (the fidelity frame: model input size, H, W >= 5).
Similarity compare_maps(const Grid& original, const Grid& randomised);

// A map min-max scaled to [-1, 1] (a constant map gives -1 everywhere), as the authors do
// before SSIM.
Grid scaled_to_unit_range(const Grid& map);

}  // namespace igcam::eval
