// igcam-run's model commands: top-k classification and the layer listing.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"

namespace igcam::tools {

struct PredictOptions {
    std::string weights;
    std::vector<std::string> images;  // files, after directory expansion
    std::string preprocess;           // preset name; empty = the model file's default
    int topk = 5;
    DType dtype = DType::F32;
    Device device = Device::cpu();    // where the model runs (resolved --device)
};

// Loads the model, classifies every image (one forward pass each) and prints the
// top-k classes with names, logits and softmax probabilities.
void run_predict(const PredictOptions& options, std::ostream& out);

// Loads the model and prints its summary and the time loading took.
void run_info(const PredictOptions& options, std::ostream& out);

// Prints the model's summary and its module tree with output shapes (for the first image's
// preprocessed size, or the preprocessing's default size without an image).
void run_list_layers(const PredictOptions& options, std::ostream& out);

}  // namespace igcam::tools
