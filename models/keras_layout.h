// The Keras weight-file containers, read into one catalogue of layers by NAME (never by
// position): which Keras layers hold weights, and for each the dataset path of every
// variable. docs/keras.md ("What Keras writes") describes the layouts:
//  - save_weights('x.h5') and the ImageNet weight files: root attribute layer_names (or
//    its split form layer_names0, layer_names1, ...), one group per layer whose attribute
//    weight_names lists the datasets relative to it (Keras-1 "conv1_W:0" one level deep,
//    Keras-2 "conv1_conv/kernel:0" two levels, Keras 3 "conv1_conv/kernel");
//  - model.save('x.h5'): the same under /model_weights (optimizer state ignored);
//  - Keras 3 save_weights('x.weights.h5'): /layers/<class_snake>/vars/<i>, the layer name
//    in the attribute 'name' of each vars group (Keras >= 3.6; older files are refused);
//  - nested models (transfer learning): one group holds a whole base network, its weight
//    names prefixed by the inner layer names; Keras 3 nests /layers/functional/layers/...
// String attributes are read in every form h5py has written (fixed-length NULLPAD without a
// terminator when full, variable-length ASCII or UTF-8, an empty list as float64 (0,)).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "models/hdf5_file.h"

namespace igcam::models::keras {

enum class Container { SaveWeights, FullModel, Keras3Weights };

struct Variable {
    std::string kind;   // "kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance" (Keras-1
                        // W, b, running_mean, running_std normalised); for Keras 3, "0", "1", ...
    std::string path;   // absolute dataset path in the file
    std::string listed;  // as listed in weight_names (or "vars/0")
};

struct Layer {
    std::string name;   // the Keras layer name ("conv1_conv")
    std::string group;  // the HDF5 group that lists it (for messages)
    std::vector<Variable> vars;  // in the file's order
    bool positional = false;     // Keras 3: variables known by position only
};

struct Catalogue {
    Container container = Container::SaveWeights;
    std::string base;                         // "/", "/model_weights" or "/layers"
    std::vector<std::string> layer_names;     // every layer name seen (top level and nested), file order
    std::map<std::string, Layer> layers;      // the layers that hold weights, by name
    std::vector<std::string> nested_models;   // groups that hold a whole nested model ("resnet50")
    std::string keras_version, backend;       // root/base attributes when present
    bool keras1_variables = false;            // some variable is spelled the Keras-1 way (*_W:0, *_running_std:0)
};

// True when the file has one of the Keras layouts: a root attribute layer_names[0], a group
// /model_weights, Keras 3's /layers + /vars (or Keras 2.13's /_layer_checkpoint_dependencies),
// or root groups carrying a weight_names attribute.
bool is_keras_file(const h5::File& file);

// Reads the catalogue, checking the container's structure (every listed layer has a group
// reached through hard links, every listed variable is a dataset, names are sane). Throws
// FormatError naming the file, the path and expected vs found.
Catalogue read_catalogue(const h5::File& file);


}  // namespace igcam::models::keras
