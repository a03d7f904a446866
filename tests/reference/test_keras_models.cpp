// Keras weight files against Keras itself: tests/reference/keras_models.py builds ResNet50
// and VGG16 with tf-keras and Keras 3, randomises their weights, writes every file form
// (save_weights .h5, model.save .h5, Keras 3 .weights.h5, Keras-1 names, nested transfer-
// learning models, string attributes fixed NULLPAD / vlen ASCII / vlen UTF-8 / split) and
// records Keras's own float32 and float64 logits, conv5_block3_out / block5_conv3 outputs
// and a tf.GradientTape Grad-CAM. igcam loads the files by layer name and must agree:
// float32 <= 1e-4 relative to Keras's float32; float64 <= 1e-12 relative to Keras's float64
// (and <= 1e-5 to Keras's float32, whose own rounding is 1e-6..4e-6); identical top-1;
// Grad-CAM likewise. Relative error = max-abs error over
// the reference's max-abs. When the Keras environment cannot be installed, the fixture step
// records why and each case here prints "keras reference skipped: <why>" (ctest: skipped).
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "autograd/grad_mode.h"
#include "cam/capture.h"
#include "cam/methods.h"
#include "core/error.h"
#include "core/io/image.h"
#include "core/io/npy.h"
#include "models/keras_load.h"
#include "models/load.h"
#include "tests/reference/fixtures.h"
#include "tests/test_util.h"

using namespace igcam;
using json = nlohmann::json;

namespace {

// igcam float32 vs Keras float32.
constexpr double kF32 = 1e-4;
// igcam float64 vs Keras float32: bounded by Keras's own float32 rounding, which is itself
// 1e-6 to 4e-6 relative on these networks (printed per model), so 1e-6 cannot hold here;
// the float64 check that matters is the next one.
constexpr double kF64 = 1e-5;
// igcam float64 vs the same Keras model rebuilt in float64 (measured about 3e-15).
constexpr double kF64vs64 = 1e-12;

std::string dir() { return test::reference_dir(); }

// The manifest, or null after printing the reason when the Keras step was skipped.
json manifest() {
    json m = test::read_manifest(dir(), "keras.json");
    if (m.contains("skipped")) {
        std::cout << "keras reference skipped: " << m["skipped"].get<std::string>() << std::endl;
        MESSAGE("keras reference skipped: " << m["skipped"].get<std::string>());
        return nullptr;
    }
    return m;
}

Tensor npy(const std::string& name) { return io::read_npy(dir() + "/" + name); }

std::string replace_all(std::string text, const std::string& token, const std::string& value) {
    for (std::size_t at = text.find(token); at != std::string::npos; at = text.find(token, at + value.size()))
        text.replace(at, token.size(), value);
    return text;
}

// Logits and the probed layers of `model` for the manifest entry's input.
struct Run {
    Tensor logits;
    std::map<std::string, Tensor> layers;  // by Keras name
};

Run run(const models::Model& model, const json& entry) {
    ag::NoGradGuard no_grad;
    nn::ForwardContext ctx;
    for (const auto& [keras_name, files] : entry["layers"].items()) {
        (void)files;
        ctx.keep(models::keras_layer_alias(model.architecture, keras_name));
    }
    Run r;
    r.logits = model.forward(ag::Var(npy(entry["input"]).to(model.dtype)), ctx).value();
    for (const auto& [keras_name, files] : entry["layers"].items()) {
        (void)files;
        r.layers[keras_name] = ctx.output(models::keras_layer_alias(model.architecture, keras_name)).value();
    }
    return r;
}

}  // namespace

TEST_CASE("keras reference: every file form gives Keras's logits, layer outputs and GradientTape Grad-CAM") {
    const json m = manifest();
    if (m.is_null()) return;
    MESSAGE("tensorflow " << m["tensorflow"].get<std::string>() << ", tf-keras " << m["tf_keras"].get<std::string>()
                          << ", keras " << m["keras"].get<std::string>());
    int files = 0, cams = 0;
    for (const json& entry : m["models"]) {
        const Tensor ref32 = npy(entry["logits"]["f32"]), ref64 = npy(entry["logits"]["f64"]);
        MESSAGE(entry["name"].get<std::string>() << ": Keras's own float32 logits vs its float64 ones: relative error "
                                                 << test::relative_error(ref32, ref64));
        for (const json& file : entry["files"]) {
            for (DType dtype : {DType::F32, DType::F64}) {
                const std::string name = file.get<std::string>();
                CAPTURE(name);
                CAPTURE(dtype_name(dtype));
                const models::Model model = models::load_model(dir() + "/" + name, dtype);
                CHECK(model.architecture.name == entry["arch"].get<std::string>());
                CHECK(model.num_classes() == entry["classes"].get<int64_t>());
                CHECK(model.preprocess.name == "caffe-bgr");
                Run r;
                const bool with_cam = entry.contains("gradcam") && name == entry["files"][0].get<std::string>();
                if (with_cam) {
                    // One forward + backward gives the logits, the layer's output and Grad-CAM.
                    const json& g = entry["gradcam"];
                    const std::string layer = models::keras_layer_alias(model.architecture, g["layer"]);
                    const cam::LayerCapture c = cam::capture_layer(model, npy(entry["input"]).to(dtype), layer,
                                                                   g["classes"].get<std::vector<int64_t>>());
                    r.logits = c.logits;
                    r.layers[g["layer"]] = c.activations;
                    const Tensor map = cam::gradcam(c.activations, c.gradients);
                    const Tensor want32 = npy(g["f32"]), want64 = npy(g["f64"]);
                    REQUIRE(map.shape() == want32.shape());
                    const double e32 = test::relative_error(map, want32), e64 = test::relative_error(map, want64);
                    CHECK(e32 <= (dtype == DType::F32 ? kF32 : kF64));
                    if (dtype == DType::F64) CHECK(e64 <= kF64vs64);
                    MESSAGE(name << " Grad-CAM at " << g["layer"].get<std::string>() << " (" << layer << "), igcam "
                                 << dtype_name(dtype) << ": relative error vs GradientTape float32 " << e32
                                 << ", float64 " << e64);
                    ++cams;
                } else {
                    r = run(model, entry);
                }
                const double e32 = test::relative_error(r.logits, ref32), e64 = test::relative_error(r.logits, ref64);
                CHECK(e32 <= (dtype == DType::F32 ? kF32 : kF64));
                if (dtype == DType::F64) CHECK(e64 <= kF64vs64);
                CHECK(test::top1(r.logits) == entry["top1"].get<std::vector<int64_t>>());
                double worst32 = e32, worst64 = e64;
                for (const auto& [keras_name, refs] : entry["layers"].items()) {
                    CAPTURE(keras_name);
                    const Tensor want32 = npy(refs["f32"]), want64 = npy(refs["f64"]);
                    REQUIRE(r.layers.at(keras_name).shape() == want32.shape());
                    const double l32 = test::relative_error(r.layers.at(keras_name), want32);
                    const double l64 = test::relative_error(r.layers.at(keras_name), want64);
                    CHECK(l32 <= (dtype == DType::F32 ? kF32 : kF64));
                    if (dtype == DType::F64) CHECK(l64 <= kF64vs64);
                    worst32 = std::max(worst32, l32);
                    worst64 = std::max(worst64, l64);
                }
                MESSAGE(name << " (" << model.format << ") igcam " << dtype_name(dtype)
                             << ": largest relative error (logits, " << entry["layers"].size()
                             << " layer outputs) vs Keras float32 " << worst32 << ", vs Keras float64 " << worst64);
                ++files;
            }
        }
    }
    CHECK(files == 2 * 14);
    CHECK(cams == 2 * 5);
}

TEST_CASE("keras reference: the Keras-1-named ResNet50 holds the Keras-2 file's values, with epsilon 1e-3") {
    const json m = manifest();
    if (m.is_null()) return;
    const json k = m["keras1"];
    const models::Model keras1 = models::load_model(dir() + "/" + k["keras1"].get<std::string>(), DType::F64);
    const models::Model keras2 = models::load_model(dir() + "/" + k["keras2"].get<std::string>(), DType::F64);
    const models::Model shifted = models::load_model(dir() + "/" + k["shifted"].get<std::string>(), DType::F64);
    CHECK(keras1.format == "keras-h5 save_weights, Keras-1 names");
    CHECK(keras1.architecture.resnet.bn_eps == 1e-3);
    CHECK(keras2.architecture.resnet.bn_eps == 1.001e-5);
    // Same values, parameter by parameter (read by name from differently named, differently
    // ordered layers).
    const auto a = keras1.net->named_parameters(), b = keras2.net->named_parameters();
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CAPTURE(a[i].first);
        CHECK(a[i].second->value.to_vector() == b[i].second->value.to_vector());
    }
    // The expectation made exact: the shifted file stores var + 1.001e-5 - 1e-3 (float64),
    // so epsilon 1e-3 normalises exactly as the Keras-2 file with 1.001e-5.
    ag::NoGradGuard no_grad;
    const Tensor input = npy(m["models"][0]["input"]).to(DType::F64);
    nn::ForwardContext c1, c2;
    const Tensor l_shifted = shifted.forward(ag::Var(input), c1).value();
    const Tensor l_keras2 = keras2.forward(ag::Var(input), c2).value();
    const double error = test::relative_error(l_shifted, l_keras2);
    CHECK(error <= 1e-12);
    MESSAGE("Keras-1 file with shifted variances vs the Keras-2 file, igcam f64 logits: relative error " << error);
    // And the unshifted file differs by the epsilon alone: Keras's own epsilon-1e-3 model
    // agrees with it (checked with every file form above, entry tk_resnet50_keras1).
    nn::ForwardContext c3;
    const Tensor l_keras1 = keras1.forward(ag::Var(input), c3).value();
    MESSAGE("Keras-1 (eps 1e-3) vs Keras-2 (eps 1.001e-5) logits differ by " << test::relative_error(l_keras1, l_keras2)
                                                                             << " relative");
    CHECK(test::relative_error(l_keras1, l_keras2) > 1e-6);
}

TEST_CASE("keras reference: refusals and Keras's default preprocessing") {
    const json m = manifest();
    if (m.is_null()) return;
    for (const json& r : m["refusals"]) {
        const std::string path = dir() + "/" + r["file"].get<std::string>();
        CAPTURE(path);
        const std::string expected = replace_all(r["message"], "{path}", path);
        CHECK_THROWS_WITH_AS(models::load_model(path), expected.c_str(), FormatError);
    }
    // keras.utils.load_img(target_size=(224, 224)) + resnet50.preprocess_input, against the
    // default preprocessing of a Keras file ("caffe-bgr").
    const models::Model model = models::load_model(dir() + "/" + m["models"][0]["files"][0].get<std::string>());
    const Tensor ours =
        models::preprocess_image(io::read_image(dir() + "/" + m["preprocess"]["image"].get<std::string>()), model.preprocess);
    const Tensor keras = npy(m["preprocess"]["input"]);
    REQUIRE(ours.shape() == keras.shape());
    const double error = test::relative_error(ours, keras);
    CHECK(error <= 1e-6);
    MESSAGE("caffe-bgr preprocessing vs Keras load_img + preprocess_input: relative error " << error);
}
