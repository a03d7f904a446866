// Whole networks against PyTorch: tests/reference/torch_models.py exports seeded
// random-weight resnet50, vgg16, resnet18, vgg16_bn and TorchRay's two VOC variants to
// igcam-torch-h5 files and records PyTorch's float64 logits and stage outputs for batch 2
// at 64x64 and 224x224. igcam loads the same files; float64 must agree to 1e-9 relative
// (max-abs error over max-abs of the reference), float32 to 1e-4, with identical top-1.
#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "autograd/grad_mode.h"
#include "core/io/npy.h"
#include "core/ops.h"
#include "models/load.h"
#include "tests/test_util.h"
#include "tests/reference/fixtures.h"

using namespace igcam;
using json = nlohmann::json;

namespace {

}  // namespace

TEST_CASE("reference: ResNet and VGG families agree with PyTorch (float64 <= 1e-9, float32 <= 1e-4)") {
    const std::string dir = test::reference_dir();
    const json manifest = test::read_manifest(dir, "models.json");
    ag::NoGradGuard no_grad;
    for (const json& m : manifest["models"]) {
        const std::string name = m["name"];
        for (DType dtype : {DType::F64, DType::F32}) {
            const double tolerance = dtype == DType::F64 ? 1e-9 : 1e-4;
            const models::Model model = models::load_model(dir + "/" + m["file"].get<std::string>(), dtype);
            CHECK(model.architecture.name == m["arch"].get<std::string>());
            double worst = 0;
            for (const json& run : m["runs"]) {
                CAPTURE(name);
                CAPTURE(dtype_name(dtype));
                const int size = run["size"];
                CAPTURE(size);
                nn::ForwardContext ctx;
                for (const auto& [layer, f] : run["layers"].items()) ctx.keep(layer);
                const Tensor input = io::read_npy(dir + "/" + run["input"].get<std::string>()).to(dtype);
                const ag::Var logits = model.forward(ag::Var(input), ctx);
                const Tensor reference = io::read_npy(dir + "/" + run["logits"].get<std::string>());
                const double error = test::relative_error(logits.value(), reference);
                worst = std::max(worst, error);
                CHECK(error <= tolerance);
                CHECK(test::top1(logits.value()) == test::top1(reference));
                for (const auto& [layer, f] : run["layers"].items()) {
                    CAPTURE(layer);
                    const Tensor expected = io::read_npy(dir + "/" + f.get<std::string>());
                    const Tensor got = ctx.output(layer).value();
                    REQUIRE(got.shape() == expected.shape());
                    const double layer_error = test::relative_error(got, expected);
                    worst = std::max(worst, layer_error);
                    CHECK(layer_error <= tolerance);
                }
            }
            MESSAGE(name << " " << dtype_name(dtype) << ": largest relative error " << worst);
        }
    }
}
