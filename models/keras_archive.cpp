#include "models/keras_archive.h"

#include <nlohmann/json.hpp>

#include <memory>

#include "core/error.h"
#include "models/hdf5_file.h"
#include "models/keras_load.h"

namespace igcam::models {

namespace {

using json = nlohmann::json;

constexpr uint64_t kMaxConfigBytes = 16ull << 20;
constexpr int kMaxConfigDepth = 64;
constexpr int kMaxModelNesting = 8;

// What config.json says about the network: its name, its Conv2D layers, and the units of
// its last Dense layer (the head), nested models included.
struct ConfigSummary {
    std::string name;
    int64_t convolutions = 0;
    int64_t head_units = -1;  // -1: no Dense layer
};

void summarise_layers(const json& model, ConfigSummary& summary, int nesting, const std::string& where) {
    IGCAM_CHECK(nesting <= kMaxModelNesting, FormatError, where, ": models nest deeper than ", kMaxModelNesting,
                " levels");
    const json* config = model.is_object() && model.contains("config") ? &model["config"] : nullptr;
    if (config == nullptr || !config->is_object() || !config->contains("layers")) return;
    const json& layers = (*config)["layers"];
    IGCAM_CHECK(layers.is_array(), FormatError, where, ": a model's \"layers\" is not a list");
    for (const json& layer : layers) {
        IGCAM_CHECK(layer.is_object() && layer.contains("class_name") && layer["class_name"].is_string(), FormatError,
                    where, ": a layer without a class_name");
        const std::string kind = layer["class_name"].get<std::string>();
        if (kind == "Conv2D") ++summary.convolutions;
        if (kind == "Dense") {
            const json& units = layer.value("config", json::object()).value("units", json());
            IGCAM_CHECK(units.is_number_integer() && units.get<int64_t>() > 0, FormatError, where,
                        ": a Dense layer without a positive integer \"units\"");
            summary.head_units = units.get<int64_t>();
        }
        summarise_layers(layer, summary, nesting + 1, where);  // a nested Functional or Sequential model
    }
}

ConfigSummary read_config(const ZipArchive& zip) {
    const std::string where = zip.path() + ": config.json";
    IGCAM_CHECK(zip.size("config.json") <= kMaxConfigBytes, FormatError, where, " is larger than ", kMaxConfigBytes,
                " bytes; a model's configuration is far smaller");
    const json::parser_callback_t limit = [&](int depth, json::parse_event_t, json&) {
        IGCAM_CHECK(depth <= kMaxConfigDepth, FormatError, where, ": nests deeper than ", kMaxConfigDepth, " levels");
        return true;
    };
    json config;
    try {
        config = json::parse(zip.read("config.json"), limit);
    } catch (const json::parse_error& e) {
        detail::throw_error<FormatError>(where, ": not valid JSON (a syntax error at byte ", e.byte, ")");
    }
    IGCAM_CHECK(config.is_object() && config.contains("class_name") && config["class_name"].is_string(), FormatError,
                where, ": has no top-level class_name");
    const std::string kind = config["class_name"].get<std::string>();
    IGCAM_CHECK(kind == "Functional" || kind == "Sequential" || kind == "Model", FormatError, where, ": describes a ",
                quoted_value(kind), ", not a Functional or Sequential model");
    ConfigSummary summary;
    try {
        const json& name = config.value("config", json::object()).value("name", json());
        if (name.is_string()) summary.name = name.get<std::string>();
        summarise_layers(config, summary, 0, where);
    } catch (const json::exception& e) {
        detail::throw_error<FormatError>(where, ": not a Keras model configuration (", e.what(), ")");
    }
    return summary;
}

int64_t convolutions_of(const nn::Module& net) {
    int64_t count = 0;
    for (const nn::Module* m : net.modules()) count += m->type() == "Conv2d";
    return count;
}

// model.weights.h5 as an HDF5 file image, in place in the archive when it is stored (Keras 3
// stores it).
std::unique_ptr<h5::File> open_weights(const ZipArchive& zip) {
    const std::string name = "model.weights.h5";
    ZipArchive::Bytes bytes = zip.bytes(name);
    return std::make_unique<h5::File>(zip.path() + ": " + name, bytes.data, bytes.size, std::move(bytes.owner));
}

}  // namespace

bool is_keras_archive(const ZipArchive& zip) { return zip.has("model.weights.h5") || zip.has("config.json"); }

Model load_keras_archive(const ZipArchive& zip, DType dtype) {
    const std::string& path = zip.path();
    IGCAM_CHECK(zip.has("model.weights.h5"), FormatError, path,
                ": is a .keras archive without model.weights.h5 (it was saved without weights, or is damaged)");
    const std::unique_ptr<h5::File> weights = open_weights(zip);
    const h5::File& file = *weights;
    IGCAM_CHECK(keras::is_keras_file(file), FormatError, path,
                ": model.weights.h5 is an HDF5 file but not Keras weights");
    Model model = load_keras_model(file, dtype);
    model.source = path;
    if (zip.has("config.json")) {
        const ConfigSummary config = read_config(zip);
        const int64_t convolutions = convolutions_of(*model.net);
        IGCAM_CHECK(config.convolutions == convolutions && config.head_units == model.num_classes(), FormatError, path,
                    ": config.json describes ", config.convolutions, " Conv2D layers and a Dense head of ",
                    config.head_units, " units, but model.weights.h5 holds a ", model.architecture.name, " with ",
                    convolutions, " convolutions and ", model.num_classes(), " classes");
        if (!config.name.empty()) model.format += ", model " + quoted_value(config.name);
    }
    model.format = "keras3 .keras archive (" + model.format + ")";
    return model;
}

}  // namespace igcam::models
