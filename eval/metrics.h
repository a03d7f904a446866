// The evaluation metrics as plain functions of a map and a ground truth (docs/evaluation.md
// defines each, with the references they are tested against).
//
// A map here is a Grid: H x W doubles, row-major, in the frame the metric works in (the
// original image's pixels for localisation, the model input's for fidelity), L >= 0.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "eval/dataset.h"

namespace igcam::eval {

struct Grid {
    int64_t height = 0, width = 0;
    std::vector<double> values;  // height * width, row-major
    double at(int64_t row, int64_t col) const { return values[static_cast<std::size_t>(row * width + col)]; }
};

// The union of the boxes as a 0/1 mask of height x width (boxes are clipped to it).
std::vector<uint8_t> box_mask(const std::vector<Box>& boxes, int64_t height, int64_t width);

// EBPG: sum of L inside the mask over the sum of L. nullopt for an all-zero map (the
// summary excludes it and counts it).
std::optional<double> energy_pointing_game(const Grid& map, const std::vector<uint8_t>& mask);

// How Bbox treats the pixels tied at the n-th highest value.
enum class Ties {
    Fraction,  // each tied pixel counts (n - above) / tied: independent of pixel order
    Raster,    // the tied pixels are taken in raster order (Quantus, IBA: argsort of -L)
};
// Bbox (relevance rank accuracy): with n = |mask|, the fraction of the n highest pixels of L
// that lie in the mask. nullopt for an empty mask.
std::optional<double> bbox_accuracy(const Grid& map, const std::vector<uint8_t>& mask, Ties ties);

// Pointing game (TorchRay): the first maximum of L in raster order is a hit when some pixel
// of the boxes lies strictly within `tolerance` pixels of it: (row - y)^2 + (col - x)^2 <
// tolerance^2.
struct PointingResult {
    bool hit = false;
    int64_t row = 0, col = 0;  // the maximum
};
PointingResult pointing_game(const Grid& map, const std::vector<Box>& boxes, double tolerance);

// Average Drop's term for one image, in percent: 100 max(0, Y - O) / Y; nullopt when Y = 0.
std::optional<double> confidence_drop(double original, double masked);
// Increase in Confidence's term: 100 when O > Y (strictly), else 0.
double confidence_increase(double original, double masked);

// The area under a deletion / insertion curve of n + 1 scores at 0, 1/n, ..., 1 (RISE's
// trapezoid): (sum a - a[0] / 2 - a[n] / 2) / n. Needs at least 2 points.
double curve_area(const std::vector<double>& scores);

// Spearman's rank correlation of two equal-length samples (average ranks for ties, as
// scipy.stats.spearmanr); nullopt when either is constant.
std::optional<double> spearman(const std::vector<double>& a, const std::vector<double>& b);
// SSIM of two maps in [-1, 1] (skimage.metrics.structural_similarity with win_size,
// data_range, Gaussian weights off, sample covariance): the mean over the valid windows.
double ssim(const Grid& a, const Grid& b, int64_t win_size = 5, double data_range = 2.0);

}  // namespace igcam::eval
