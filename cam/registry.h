// The method registry: every CAM method igcam has, in one table (cam/registry.cpp). Tools'
// flags and help, the pipeline's plan and the report read it, so a method is added with one
// file (its function), its declaration and row in cam/registry.cpp, and its CMake entry.
//
// A method is a function of one batch of images of one input size, after the pipeline's
// forward (and backward, when some method needs gradients) of that batch: MethodContext
// holds what it may read, MethodOutput what it gives back.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cam/chunks.h"
#include "cam/igcam.h"
#include "cam/progress.h"
#include "models/model.h"

namespace igcam::cam {

// What a method needs besides the target layer's activations, which every method gets.
enum Need : unsigned {
    kGradients = 1,  // dy^c/dA from the batch's one backward pass
    kReruns = 2,     // more forward passes of the model (masked inputs, ablated channels)
    kPath = 4,       // the IG-CAM path: the baseline's forward, once per input size
};

// The start of IG-CAM's path for one input size: computed once, shared by its batches.
struct PathStart {
    Tensor input;        // x' (1, 3, H, W)
    Tensor activations;  // A(x') (1, K, h, w), plain
    Tensor logits;       // (1, classes)
};

struct MethodContext {
    const models::Model& model;
    const std::string& layer;
    const Tensor& input;                  // x (B, 3, H, W)
    const Tensor& activations;            // A (B, K, h, w), plain
    const Tensor& gradients;              // dy^c/dA (B, K, h, w): defined for kGradients methods
    const Tensor& scores;                 // y^c (B), the pre-softmax class scores
    const std::vector<int64_t>& classes;  // c, one per image
    const PathStart* path_start;          // for kPath methods
    const IgCamOptions& igcam;            // IG-CAM's knobs (its `batch` is unused here: see rows)
    bool keep_steps;                      // IG-CAM: keep every step's A and g (dumps)
    ChunkLoop& rows;                      // this method's rerun / path rows, across the batch's images
    const Progress& progress;             // (rows done, rows in this batch)
};

struct MethodOutput {
    Tensor maps;                    // (B, 1, h, w), after the method's own ReLU
    std::vector<IgCamAudit> audits; // IG-CAM: one per image
    std::vector<IgCamSteps> steps;  // IG-CAM with keep_steps: one per image
    std::vector<IgCamPath> paths;   // IG-CAM: one per image

    // A method that gives maps and nothing else.
    static MethodOutput of(Tensor maps) {
        MethodOutput out;
        out.maps = std::move(maps);
        return out;
    }
};

using MethodFunction = MethodOutput (*)(const MethodContext&);

struct MethodSpec {
    std::string name;         // as given to --method and used in file names
    std::string description;  // one line for --help
    unsigned needs = 0;       // Need flags
    MethodFunction compute = nullptr;
    // Fixed choices where libraries differ, for reports: {"mask_upsampling", "bilinear, ..."}.
    std::vector<std::pair<std::string, std::string>> conventions;
    // The definition in docs/methods.md's notation (A^k the feature maps, g^k = dy^c/dA^k,
    // Z = h w), in plain Unicode for reports.
    std::string formula;

    bool needs_any(unsigned flags) const { return (needs & flags) != 0; }
};

// Every method, in the order --help lists them and "all" runs them.
const std::vector<MethodSpec>& method_registry();
// The method called `name`; throws ValueError listing the names.
const MethodSpec& find_method(const std::string& name);
// "gradcam,igcam" or "all": each method once, in the order given (empty names skipped).
// Throws ValueError for an unknown name or a list that names none.
std::vector<const MethodSpec*> parse_method_list(const std::string& list);

}  // namespace igcam::cam
