// Batching across images does not change any map: a directory of 12 PNG images of three
// sizes, explained by random-weight ResNet-50 and VGG16 (biases and batch-norm statistics
// randomised) through igcam-run's own input path, in batches of 1, 4 and 12 and one image at
// a time: float64 maps agree to 1e-12 relative, float32 to 1e-5.
//
// Score-CAM and Ablation-CAM cost a forward pass per channel of the layer, so ResNet-50 runs
// every method at its 64-channel maxpool on 16-pixel images (1,600 forwards per batching);
// the gradient methods, Eigen-CAM and IG-CAM also run at the default layers (layer4,
// features.29), where the batched head differs most from a single image's. VGG16's rerun
// methods are left to tests/reference/test_torch_cams.cpp,
// which batches their rows across its three inputs and checks them against PyTorch: here a
// single-row pass of VGG16 streams its 411 MB classifier (0.8 GB in float64) once, and the
// four batchings of 12 images would need about 6,000 of them.
#include <filesystem>
#include <map>

#include "cam/pipeline.h"
#include "core/io/image.h"
#include "core/random.h"
#include "models/architecture.h"
#include "tests/cam/random_model.h"
#include "tests/test_util.h"
#include "tools/image_files.h"
#include "tools/inputs.h"

using namespace igcam;
namespace fs = std::filesystem;

namespace {

// 12 seeded RGB images of three sizes, s x s, 1.5 s x s and s x 1.5 s (height x width),
// interleaved in name order.
std::vector<std::string> write_images(const fs::path& dir, int64_t s) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::vector<std::pair<int64_t, int64_t>> sizes{{s, s}, {s * 3 / 2, s}, {s, s * 3 / 2}};
    for (int i = 0; i < 12; ++i) {
        const auto [h, w] = sizes[static_cast<std::size_t>(i % 3)];
        const std::vector<double> v = random_uniform(Shape{h * w * 3}, 0, 256, 500 + static_cast<uint64_t>(i)).to_vector();
        io::Image image{h, w, std::vector<uint8_t>(v.size())};
        for (std::size_t k = 0; k < v.size(); ++k) image.rgb[k] = static_cast<uint8_t>(std::min(255.0, v[k]));
        io::write_png((dir / ("image" + std::to_string(10 + i) + ".png")).string(), image);
    }
    return tools::collect_image_paths({dir.string()});
}

using Maps = std::vector<std::map<std::string, Tensor>>;  // per image: method -> map

Maps explain(const models::Model& model, const std::vector<std::string>& paths, const cam::ExplainOptions& o) {
    tools::ImageFiles files(paths, model.preprocess, model.dtype, model.device);
    Maps maps(paths.size());
    cam::explain(model, files.inputs(), o, [&](std::vector<cam::ImageExplanation>& batch) {
        for (const cam::ImageExplanation& e : batch) {
            for (const cam::MethodMap& m : e.maps) maps[static_cast<std::size_t>(e.index)][m.method->name] = m.map;
            (void)files.take_view(e.index);
        }
    });
    return maps;
}

// Worst relative error of `got` against `reference`, method by method, over the images.
std::map<std::string, double> compare(const Maps& got, const Maps& reference) {
    std::map<std::string, double> worst;
    for (std::size_t i = 0; i < reference.size(); ++i)
        for (const auto& [method, map] : reference[i]) {
            REQUIRE(got[i].count(method) == 1);
            worst[method] = std::max(worst[method], test::relative_error(got[i].at(method), map));
        }
    return worst;
}

// Each random model once per test binary (VGG16's 138 M float64 weights take seconds to draw).
const models::Model& model_of(const std::string& arch, DType dtype) {
    static std::map<std::pair<std::string, DType>, models::Model> models;
    auto found = models.find({arch, dtype});
    if (found == models.end()) {
        models::Model model =
            test::random_model(models::standard_architecture(arch, models::Variant::Torchvision, 10), 31, dtype);
        model.preprocess = models::preprocess_preset("raw");
        found = models.emplace(std::make_pair(arch, dtype), std::move(model)).first;
    }
    return found->second;
}

void check_batchings(const std::string& arch, const std::string& methods, const std::string& layer, int64_t side) {
    const std::vector<std::string> paths = write_images(fs::temp_directory_path() / "igcam-test-batching", side);
    for (DType dtype : {DType::F64, DType::F32}) {
        const models::Model& model = model_of(arch, dtype);
        cam::ExplainOptions o;
        o.methods = cam::parse_method_list(methods);
        o.layer = layer;
        o.igcam.steps = 4;
        // One image at a time: a run per image.
        Maps alone(paths.size());
        o.batch = 12;
        for (std::size_t i = 0; i < paths.size(); ++i) alone[i] = explain(model, {paths[i]}, o)[0];
        const double tolerance = dtype == DType::F64 ? 1e-12 : 1e-5;
        // NOTE: Score-CAM's weights are a softmax of class scores, so a score's absolute
        // rounding error becomes its weight's relative error. float32 forwards of one row
        // and of several round differently (oneDNN picks its kernels by the batch size):
        // ResNet-50's random-weight logits of about 10 then differ by a few 1e-6, and the
        // map measured 2.4e-5 relative between 1-row and 12-row passes. Bound: 1e-4, the
        // float32 bound of the PyTorch reference tests.
        const double scorecam_tolerance = dtype == DType::F64 ? 1e-12 : 1e-4;
        for (int64_t batch : {1, 4, 12}) {
            o.batch = batch;
            const std::map<std::string, double> worst = compare(explain(model, paths, o), alone);
            std::string summary;
            for (const auto& [method, error] : worst) {
                CAPTURE(method);
                CHECK(error <= (method == "scorecam" ? scorecam_tolerance : tolerance));
                summary += " " + method + "=" + std::to_string(error);
            }
            MESSAGE(arch << " " << dtype_name(dtype) << " at " << layer << ", batch " << batch << ":" << summary);
        }
    }
}

}  // namespace

TEST_CASE("batching: ResNet-50, every method at maxpool") {
    check_batchings("resnet50", "all", "maxpool", 16);
}

TEST_CASE("batching: ResNet-50, gradients, Eigen-CAM and IG-CAM at layer4") {
    check_batchings("resnet50", "gradcam,gradcam++,xgradcam,layercam,hirescam,gradcam-elementwise,eigencam,eigengradcam,igcam",
                    "layer4", 16);
}

TEST_CASE("batching: VGG16, gradients, Eigen-CAM and IG-CAM at features.29") {
    check_batchings("vgg16", "gradcam,gradcam++,xgradcam,layercam,hirescam,gradcam-elementwise,eigencam,eigengradcam,igcam",
                    "features.29", 32);
}
