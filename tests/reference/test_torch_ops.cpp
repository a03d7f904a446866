// Every op against PyTorch (float64, CPU): tests/reference/torch_ops.py writes inputs,
// outputs and input gradients for a random output gradient; here the same ops run through
// igcam's autograd functions. float64 must agree to 1e-12 relative (max-abs error over
// max-abs of the reference), float32 forwards to 1e-5.
#include <cstdlib>
#include <fstream>
#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "autograd/engine.h"
#include "autograd/functions.h"
#include "core/io/npy.h"
#include "core/ops.h"
#include "tests/test_util.h"
#include "tests/reference/fixtures.h"

using namespace igcam;
using ag::Var;
using json = nlohmann::json;

namespace {

std::vector<int64_t> ints(const json& j) { return j.get<std::vector<int64_t>>(); }

Padding2d padding(const json& p) {
    const std::vector<int64_t> v = ints(p);
    return {v[0], v[1], v[2], v[3]};
}

// Runs case `c` through igcam on `inputs` (same names as the fixture files).
Var run_op(const json& c, std::map<std::string, Var>& in) {
    const std::string op = c["op"];
    const json& p = c["params"];
    if (op == "conv2d") {
        Conv2dParams params;
        params.stride_h = p["stride"][0];
        params.stride_w = p["stride"][1];
        params.pad = padding(p["pad"]);
        return ag::conv2d(in["x"], in["w"], in["b"], params);
    }
    if (op == "linear") return ag::linear(in["x"], in["w"], in["b"]);
    if (op == "relu") return ag::relu(in["x"]);
    if (op == "max_pool2d" || op == "avg_pool2d") {
        Pool2dParams params;
        params.kernel_h = p["kernel"][0];
        params.kernel_w = p["kernel"][1];
        params.stride_h = p["stride"][0];
        params.stride_w = p["stride"][1];
        params.pad = padding(p["pad"]);
        params.ceil_mode = p["ceil_mode"];
        params.count_include_pad = p["count_include_pad"];
        return op == "max_pool2d" ? ag::max_pool2d(in["x"], params) : ag::avg_pool2d(in["x"], params);
    }
    if (op == "adaptive_avg_pool2d") return ag::adaptive_avg_pool2d(in["x"], p["out"][0], p["out"][1]);
    if (op == "batch_norm")
        return ag::batch_norm(in["x"], in["gamma"].value(), in["beta"].value(), in["mean"].value(),
                              in["var"].value(), p["eps"]);
    if (op == "softmax") return ag::softmax(in["x"], p["axis"]);
    if (op == "resize_bilinear") return ag::resize_bilinear(in["x"], p["out"][0], p["out"][1]);
    if (op == "pad2d") return ag::pad2d(in["x"], padding(p["pad"]));
    if (op == "sum" || op == "mean") {
        const std::vector<int> axes = p["axes"].get<std::vector<int>>();
        return op == "sum" ? ag::sum(in["x"], axes, p["keepdim"]) : ag::mean(in["x"], axes, p["keepdim"]);
    }
    if (op == "mul") return ag::mul(in["a"], in["b"]);
    if (op == "add") return ag::add(in["a"], in["b"]);
    if (op == "sub") return ag::sub(in["a"], in["b"]);
    FAIL("unknown op in the fixture: " << op);
    return Var();
}

}  // namespace

TEST_CASE("reference: every op and its gradients agree with PyTorch") {
    const std::string dir = test::reference_dir();
    const json manifest = test::read_manifest(dir, "cases.json");
    MESSAGE("PyTorch " << manifest["torch_version"].get<std::string>() << ", "
                       << manifest["cases"].size() << " cases");
    std::set<std::string> ops_seen;
    double worst = 0.0;
    for (const json& c : manifest["cases"]) {
        const std::string name = c["name"];
        CAPTURE(name);
        ops_seen.insert(c["op"].get<std::string>());
        const std::vector<std::string> differentiable = c["differentiable"].get<std::vector<std::string>>();
        auto load = [&](const std::string& key) { return io::read_npy(dir + "/" + c["files"][key].get<std::string>()); };

        for (DType dtype : {DType::F64, DType::F32}) {
            std::map<std::string, Var> inputs;
            for (const auto& [key, value] : c["files"].items()) {
                if (key == "y" || key == "gy" || key.rfind("g_", 0) == 0) continue;
                const bool grad = std::find(differentiable.begin(), differentiable.end(), key) != differentiable.end();
                inputs[key] = Var(load(key).to(dtype), grad);
            }
            Var y = run_op(c, inputs);
            const double forward_error = test::relative_error(y.value(), load("y"));
            if (dtype == DType::F32) {
                CHECK(forward_error <= 1e-5);
                continue;
            }
            worst = std::max(worst, forward_error);
            CHECK(forward_error <= 1e-12);
            ag::backward(y, nullptr, load("gy"));
            for (const std::string& key : differentiable) {
                CAPTURE(key);
                const double error = test::relative_error(inputs[key].grad(), load("g_" + key));
                worst = std::max(worst, error);
                CHECK(error <= 1e-12);
            }
        }
    }
    MESSAGE("largest float64 relative error against PyTorch: " << worst);
    // Every op family of core/ops.h that has a PyTorch counterpart is covered.
    for (const char* op : {"conv2d", "linear", "relu", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
                           "batch_norm", "softmax", "resize_bilinear", "pad2d", "sum", "mean", "mul", "add", "sub"})
        CHECK_MESSAGE(ops_seen.count(op) == 1, "no PyTorch case for " << std::string(op));
}
