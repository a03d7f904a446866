// Malformed weight files (written by tests/reference/bad_weights.py with h5py): each gives
// its own exact error naming the file, the tensor and expected vs found, and never a crash.
#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "autograd/grad_mode.h"
#include "core/error.h"
#include "core/io/image.h"
#include "models/load.h"
#include "tests/test_util.h"
#include "tests/reference/fixtures.h"

using namespace igcam;
using json = nlohmann::json;

namespace {
json manifest(const std::string& dir) { return test::read_manifest(dir, "cases.json"); }

std::string replace_path(std::string message, const std::string& path) {
    const std::string token = "{path}";
    return message.replace(message.find(token), token.size(), path);
}
}  // namespace

TEST_CASE("weights: the valid small ResNet loads from both layouts to the same values") {
    const std::string dir = test::reference_dir();
    const json m = manifest(dir);
    const models::Model described = models::load_model(dir + "/" + m["good"].get<std::string>());
    const models::Model bare = models::load_model(dir + "/" + m["good_bare"].get<std::string>());
    CHECK(described.architecture.name == "resnet");
    CHECK(described.format == "igcam-torch-h5 v1");
    CHECK(bare.format == "state_dict");
    CHECK(described.architecture.resnet.stage_blocks == std::vector<int64_t>{1, 1});
    CHECK(described.architecture.resnet.base_width == 8);
    CHECK(described.num_classes() == 10);
    CHECK(described.default_layer == "layer2");
    CHECK(described.class_names.front() == "class_0");
    const auto a = described.net->named_parameters(), b = bare.net->named_parameters();
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].first == b[i].first);
        CHECK(a[i].second->value.to_vector() == b[i].second->value.to_vector());
    }
}

TEST_CASE("weights: at least 20 malformed files each give their exact error") {
    const std::string dir = test::reference_dir();
    const json m = manifest(dir);
    int checked = 0;
    for (const json& c : m["cases"]) {
        const std::string path = dir + "/" + c["file"].get<std::string>();
        const std::string expected = replace_path(c["message"], path);
        CAPTURE(path);
        if (c["kind"] == "io") CHECK_THROWS_WITH_AS(models::load_model(path), expected.c_str(), IoError);
        else CHECK_THROWS_WITH_AS(models::load_model(path), expected.c_str(), FormatError);
        ++checked;
    }
    CHECK(checked >= 20);
    MESSAGE(checked << " malformed weight files checked");
}

TEST_CASE("weights: decoding, torchvision preprocessing and the forward pass give PyTorch's top-3 logits") {
    const std::string dir = test::reference_dir();
    const json sample = manifest(dir)["sample"];
    const models::Model model = models::load_model(dir + "/good.h5");
    CHECK(model.preprocess.name == "torchvision");
    const Tensor input = models::preprocess_image(io::read_image(dir + "/" + sample["image"].get<std::string>()),
                                          model.preprocess, DType::F32);
    ag::NoGradGuard no_grad;
    nn::ForwardContext ctx;
    const Tensor logits = model.forward(ag::Var(input), ctx).value();
    const std::vector<int64_t> classes = sample["top_classes"].get<std::vector<int64_t>>();
    const std::vector<double> expected = sample["top_logits"].get<std::vector<double>>();
    for (std::size_t r = 0; r < classes.size(); ++r) {
        const double ours = logits.at({0, classes[r]});
        CHECK(std::abs(ours - expected[r]) <= 1e-4 * std::abs(expected[r]) + 1e-4);
    }
}
