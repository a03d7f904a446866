// PyTorch's own weight files read directly: tests/reference/torch_files.py saves seeded
// torchvision resnet18, resnet50, vgg16 and vgg16_bn with torch.save and with the
// safetensors package (F32, F16, BF16), and records PyTorch's float64 logits with the
// weights as stored. Read in float64, every file agrees to 1e-9 relative (float16 and
// bfloat16 widen exactly, so the rounded weights are the reference's too); in float32 to
// 1e-4; top-1 identical. Each malformed file is refused with a FormatError that names it.
#include <nlohmann/json.hpp>

#include "autograd/grad_mode.h"
#include "core/error.h"
#include "core/io/npy.h"
#include "models/load.h"
#include "tests/reference/fixtures.h"
#include "tests/test_util.h"

using namespace igcam;
using json = nlohmann::json;

TEST_CASE("reference: torch.save and safetensors files give PyTorch's logits (float64 <= 1e-9, float32 <= 1e-4)") {
    const std::string dir = test::reference_dir();
    const json manifest = test::read_manifest(dir, "torch_files.json");
    ag::NoGradGuard no_grad;
    const Tensor input64 = io::read_npy(dir + "/input.npy");
    int files = 0;
    for (const json& m : manifest["models"]) {
        for (const json& f : m["files"]) {
            const std::string file = f["file"];
            CAPTURE(file);
            const Tensor reference = io::read_npy(dir + "/" + f["logits"].get<std::string>());
            for (DType dtype : {DType::F64, DType::F32}) {
                CAPTURE(dtype_name(dtype));
                const models::Model model = models::load_model(dir + "/" + file, dtype);
                CHECK(model.architecture.name == m["arch"].get<std::string>());
                CHECK(model.num_classes() == 10);
                nn::ForwardContext ctx;
                const ag::Var logits = model.forward(ag::Var(input64.to(dtype)), ctx);
                const double error = test::relative_error(logits.value(), reference);
                CHECK(error <= (dtype == DType::F64 ? 1e-9 : 1e-4));
                CHECK(test::top1(logits.value()) == test::top1(reference));
                MESSAGE(file << " (" << f["stored"].get<std::string>() << ") read in " << dtype_name(dtype) << ": "
                             << model.format << ", relative error " << error);
            }
            ++files;
        }
    }
    CHECK(files >= 16);
}

TEST_CASE("reference: a safetensors file whose header length opens like a pickle (80 02) loads as safetensors") {
    const std::string dir = test::reference_dir();
    ag::NoGradGuard no_grad;
    const models::Model padded = models::load_model(dir + "/small.pickle_like_length.safetensors", DType::F64);
    const models::Model plain = models::load_model(dir + "/small.safetensors", DType::F64);
    CHECK(padded.format == "safetensors");
    const Tensor x = io::read_npy(dir + "/input.npy");
    nn::ForwardContext a, b;
    CHECK(test::relative_error(padded.forward(ag::Var(x), a).value(), plain.forward(ag::Var(x), b).value()) == 0);
}

TEST_CASE("reference: malformed safetensors and torch.save files are refused with their message") {
    const std::string dir = test::reference_dir();
    const json manifest = test::read_manifest(dir, "torch_files.json");
    int safetensors = 0, pth = 0;
    for (const json& c : manifest["malformed"]) {
        const std::string path = dir + "/" + c["file"].get<std::string>();
        const std::string expected = c["message"];
        CAPTURE(path);
        CAPTURE(expected);
        std::string message;
        try {
            models::load_model(path, DType::F32);
        } catch (const FormatError& e) {
            message = e.what();
        }
        CAPTURE(message);
        CHECK(message.rfind(path + ": ", 0) == 0);
        CHECK(message.find(expected) != std::string::npos);
        CHECK(message.size() < 600);  // values from the file are quoted cut, never whole
        (path.size() > 5 && path.compare(path.size() - 4, 4, ".pth") == 0 ? pth : safetensors) += 1;
    }
    CHECK(safetensors >= 25);
    CHECK(pth >= 25);
    MESSAGE(safetensors << " malformed safetensors files and " << pth << " malformed torch.save files refused");
}
