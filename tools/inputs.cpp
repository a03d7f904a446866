#include "tools/inputs.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "core/error.h"
#include "models/keras_load.h"
#include "models/load.h"
#include "tools/usage_error.h"

namespace igcam::tools {

namespace fs = std::filesystem;

namespace {
bool has_image_extension(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}
}  // namespace

std::vector<std::string> collect_image_paths(const std::vector<std::string>& arguments) {
    std::vector<std::string> paths;
    for (const std::string& argument : arguments) {
        std::error_code error;
        const fs::file_status status = fs::status(argument, error);
        IGCAM_CHECK(!error && fs::exists(status), IoError, argument, ": no such file or directory");
        if (!fs::is_directory(status)) {
            paths.push_back(argument);
            continue;
        }
        std::vector<std::string> found;
        for (const fs::directory_entry& entry : fs::directory_iterator(argument, error))
            if (entry.is_regular_file() && has_image_extension(entry.path())) found.push_back(entry.path().string());
        IGCAM_CHECK(!error, IoError, argument, ": cannot list the directory");
        IGCAM_CHECK(!found.empty(), IoError, argument, ": the directory holds no .png, .jpg or .jpeg files");
        std::sort(found.begin(), found.end());
        paths.insert(paths.end(), found.begin(), found.end());
    }
    return paths;
}

std::string file_stem(const std::string& path) { return fs::path(path).stem().string(); }

models::Model load_tool_model(const std::string& weights, DType dtype, const std::string& preprocess, Device device) {
    models::Model model = models::load_model(weights, dtype);
    if (!preprocess.empty()) model.preprocess = models::preprocess_preset(preprocess);
    model.to(device);
    return model;
}

std::string resolve_layer(const models::Model& model, const std::string& asked) {
    try {
        const std::string layer = asked.empty() ? model.default_layer : models::keras_layer_alias(model.architecture, asked);
        model.layer(layer);
        return layer;
    } catch (const ValueError& e) {
        throw UsageError(e.what());
    }
}

}  // namespace igcam::tools
