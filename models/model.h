// Model: a built network with everything a tool needs to use it: its architecture,
// class names, default preprocessing and default CAM layer, and where it came from.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "layers/module.h"
#include "models/architecture.h"
#include "models/preprocess.h"

namespace igcam::models {

struct Model {
    std::shared_ptr<nn::Module> net;
    Architecture architecture;
    std::vector<std::string> class_names;  // one per output
    Preprocess preprocess;                 // the default for this file
    std::string default_layer;             // "layer4", "features.29", ...
    std::string source;                    // the file it was loaded from
    std::string format;                    // "igcam-torch-h5 v1", "state_dict", ...
    DType dtype = DType::F32;
    Device device = Device::cpu();         // where the parameters live (load_model: the CPU)

    int64_t num_classes() const { return static_cast<int64_t>(class_names.size()); }
    // logits (N, classes) for x (N, 3, H, W); the context records or taps layers on the way.
    ag::Var forward(const ag::Var& x, nn::ForwardContext& ctx) const { return (*net)(x, ctx); }
    // Moves the parameters to `device`; inputs must then live there too.
    void to(Device target) {
        net->move_parameters(target);
        device = target;
    }
    // Throws ValueError naming the closest valid names when `name` is not a module.
    const nn::Module& layer(const std::string& name) const;
};

// One module of the tree, as a forward pass of a (1, 3, height, width) input sees it.
struct LayerRow {
    std::string name;    // dotted, "" for the model itself
    std::string type;    // PyTorch's class name
    Shape output_shape;  // rank 0 for a module that produced no output of its own
    int64_t parameters = 0;
};
// Every module in tree order (the model first).
std::vector<LayerRow> layer_rows(const Model& model, int64_t height, int64_t width);

// The module tree with each module's output shape for an input of (1, 3, height, width),
// one line per module (indented by depth), and the parameter count.
std::string list_layers(const Model& model, int64_t height, int64_t width);

}  // namespace igcam::models
