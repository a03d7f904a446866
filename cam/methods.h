// The CAM family. Each gradient-based method is a pure function of the target layer's
// activations A (N, K, h, w) and the gradients g = dy^c/dA (N, K, h, w), returning the raw
// map (N, 1, h, w) after the method's own ReLU (before upsampling and normalisation).
// Formulas follow pytorch-grad-cam (docs/methods.md); notes below say where they differ.
// cam/registry.h lists every method with what it needs; these are the formulas alone.
#pragma once

#include "core/tensor.h"

namespace igcam::cam {

// Grad-CAM: alpha_k = mean_ij g^k_ij; L = ReLU(sum_k alpha_k A^k).
Tensor gradcam(const Tensor& activations, const Tensor& gradients);

// Grad-CAM++ (eq. 19 with the exponential-output assumption, as pytorch-grad-cam):
// a^k_ij = g^2 / (2 g^2 + (sum_ab A^k_ab) g^3 + eps), eps = 1e-6 (0 where g = 0);
// w_k = sum_ij a^k_ij ReLU(g^k_ij); L = ReLU(sum_k w_k A^k).
Tensor gradcam_plus_plus(const Tensor& activations, const Tensor& gradients);

// XGrad-CAM: w_k = sum_ij g^k_ij A^k_ij / (sum_ij A^k_ij + 1e-7); L = ReLU(sum_k w_k A^k).
Tensor xgradcam(const Tensor& activations, const Tensor& gradients);

// LayerCAM: L = ReLU(sum_k ReLU(g^k) * A^k), elementwise weights.
Tensor layercam(const Tensor& activations, const Tensor& gradients);

// HiResCAM: L = ReLU(sum_k g^k * A^k), elementwise, no averaging of the gradient.
Tensor hirescam(const Tensor& activations, const Tensor& gradients);

// Grad-CAM element-wise (pytorch-grad-cam's GradCAMElementWise): L = Σ_k ReLU(g^k ⊙ A^k).
Tensor gradcam_elementwise(const Tensor& activations, const Tensor& gradients);

// Eigen-CAM: the projection of the position-by-channel matrix of A (each channel centred
// over positions) on its first principal component, ReLU'd. A principal component has no
// sign of its own: igcam picks the sign whose projection correlates positively with the
// channel-summed activation map (pytorch-grad-cam leaves it to LAPACK). No gradients.
Tensor eigencam(const Tensor& activations);

// FEM (Fuad et al., 2020; pytorch-grad-cam's FEM): with μ_k and σ_k the mean and the
// population standard deviation of A^k over positions, w_k = the share of positions where
// A^k > μ_k + k σ_k; L = ReLU(Σ_k w_k A^k). No gradients; k = 2 as pytorch-grad-cam.
Tensor fem(const Tensor& activations, double k = 2.0);

// Eigen-Grad-CAM (pytorch-grad-cam's EigenGradCAM): eigencam(g ⊙ A), the sign chosen to
// correlate positively with Σ_k g^k ⊙ A^k.
Tensor eigengradcam(const Tensor& activations, const Tensor& gradients);

}  // namespace igcam::cam
