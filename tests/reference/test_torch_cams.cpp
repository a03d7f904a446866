// Every CAM method against PyTorch's own autograd: tests/reference/torch_cams.py computes,
// in float64 on the same exported random-weight resnet50, vgg16 and TorchRay ResNet-50,
// the target layer's activations and gradients and the raw maps of every method for 3
// inputs (Score-CAM at an early 64-channel layer, see torch_cams.py). igcam must agree to 1e-8 relative in float64 and 1e-4 in float32 (max-abs error
// over max-abs of the reference).
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cam/capture.h"
#include "cam/igcam.h"
#include "cam/methods.h"
#include "cam/perturbation.h"
#include "core/io/npy.h"
#include "models/load.h"
#include "tests/test_util.h"
#include "tests/reference/fixtures.h"

using namespace igcam;
using json = nlohmann::json;

namespace {

std::vector<int64_t> as_classes(const Tensor& t) {
    std::vector<int64_t> out;
    for (double v : t.to_vector()) out.push_back(static_cast<int64_t>(v));
    return out;
}

// The preprocessed black image: (0 * scale - mean) / std per channel.
Tensor black_baseline(const models::Model& model, const Shape& shape, DType dtype) {
    std::vector<double> values;
    const int64_t plane = shape[2] * shape[3];
    for (int64_t n = 0; n < shape[0]; ++n)
        for (int c = 0; c < 3; ++c)
            values.insert(values.end(), static_cast<std::size_t>(plane), -model.preprocess.mean[c] / model.preprocess.std[c]);
    return Tensor::from_values(shape, values, dtype);
}

struct Checker {
    std::string dir;
    json files;
    double tolerance;
    std::map<std::string, double>& worst;
    void operator()(const std::string& key, const Tensor& ours) {
        CAPTURE(key);
        const Tensor reference = io::read_npy(dir + "/" + files[key].get<std::string>());
        REQUIRE(ours.shape() == reference.shape());
        const double error = test::relative_error(ours, reference);
        worst[key] = std::max(worst[key], error);
        CHECK(error <= tolerance);
    }
};

}  // namespace

TEST_CASE("reference: every CAM method agrees with PyTorch's autograd (f64 <= 1e-8, f32 <= 1e-4)") {
    const std::string dir = test::reference_dir();
    const json manifest = test::read_manifest(dir, "cams.json");
    for (const json& m : manifest["models"]) {
        const std::string name = m["name"];
        for (DType dtype : {DType::F64, DType::F32}) {
            CAPTURE(name);
            CAPTURE(dtype_name(dtype));
            const models::Model model = models::load_model(dir + "/" + m["file"].get<std::string>(), dtype);
            std::map<std::string, double> worst;
            for (const json& run : m["runs"]) {
                Checker check{dir, run["files"], dtype == DType::F64 ? 1e-8 : 1e-4, worst};
                const std::string layer = run["layer"];
                const Tensor input = io::read_npy(dir + "/" + run["files"]["input"].get<std::string>()).to(dtype);
                const std::vector<int64_t> classes =
                    as_classes(io::read_npy(dir + "/" + run["files"]["classes"].get<std::string>()));
                const cam::LayerCapture c = cam::capture_layer(model, input, layer, classes);
                if (run["run"] == "score") {
                    check("scorecam", cam::scorecam(model, input, c.activations, classes, 64));
                    check("fem", cam::fem(c.activations));
                    continue;
                }
                check("activations", c.activations);
                check("gradients", c.gradients);
                check("gradcam", cam::gradcam(c.activations, c.gradients));
                check("gradcampp", cam::gradcam_plus_plus(c.activations, c.gradients));
                check("xgradcam", cam::xgradcam(c.activations, c.gradients));
                check("layercam", cam::layercam(c.activations, c.gradients));
                check("hirescam", cam::hirescam(c.activations, c.gradients));
                check("eigencam", cam::eigencam(c.activations));
                check("gradcam_elementwise", cam::gradcam_elementwise(c.activations, c.gradients));
                check("eigengradcam", cam::eigengradcam(c.activations, c.gradients));
                check("fem", cam::fem(c.activations));
                check("ablationcam", cam::ablationcam(model, input, c.activations, layer, classes, c.scores, 128));
                cam::IgCamOptions options = cam::igcam_preset("default");
                options.steps = manifest["igcam_steps"]["default"];
                options.batch = 25;
                check("igcam", cam::integrated_gradcam(model, input, black_baseline(model, input.shape(), dtype), layer,
                                                       classes, options).map);
                options = cam::igcam_preset("notebook");
                options.steps = manifest["igcam_steps"]["notebook"];
                options.batch = 25;
                check("igcam_notebook", cam::integrated_gradcam(model, input, Tensor::zeros(input.shape(), dtype),
                                                                layer, classes, options).map);
            }
            std::string summary;
            char text[64];
            for (const auto& [key, error] : worst) {
                std::snprintf(text, sizeof text, " %s=%.1e", key.c_str(), error);
                summary += text;
            }
            MESSAGE(name << " " << dtype_name(dtype) << " relative errors:" << summary);
        }
    }
}
