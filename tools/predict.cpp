#include "tools/predict.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "autograd/grad_mode.h"
#include "cam/target.h"
#include "core/io/image.h"
#include "core/ops.h"
#include "tools/inputs.h"

namespace igcam::tools {

namespace {

models::Model load(const PredictOptions& options) {
    return load_tool_model(options.weights, options.dtype, options.preprocess, options.device);
}

std::string describe_preprocess(const models::Preprocess& p) {
    return p.name.empty() ? std::string("from the weight file") : p.name;
}

void print_summary(const models::Model& model, std::ostream& out) {
    out << "model: " << model.source << " (" << model.format << ")\n"
        << "  architecture " << model.architecture.name << ", variant " << models::variant_name(model.architecture)
        << ", " << model.num_classes() << " classes, " << model.net->parameter_count() << " parameters, "
        << dtype_name(model.dtype) << " on " << model.device.to_string() << "\n"
        << "  preprocessing " << describe_preprocess(model.preprocess) << ", default CAM layer "
        << model.default_layer << "\n";
}

void print_topk(const std::string& image, const Tensor& logits_row, const Tensor& probabilities_row,
                const models::Model& model, int topk, std::ostream& out) {
    const std::vector<double> logits = logits_row.to_vector(), probabilities = probabilities_row.to_vector();
    const std::vector<int64_t> order = cam::top_classes(logits, topk);
    out << image << "\n";
    char line[256];
    std::snprintf(line, sizeof line, "  %4s %6s  %-28s %12s %12s\n", "rank", "class", "name", "logit", "probability");
    out << line;
    for (std::size_t r = 0; r < order.size(); ++r) {
        const int64_t c = order[r];
        std::snprintf(line, sizeof line, "  %4zu %6lld  %-28.28s %12.5f %12.6f\n", r + 1, static_cast<long long>(c),
                      model.class_names[static_cast<std::size_t>(c)].c_str(), logits[c], probabilities[c]);
        out << line;
    }
}

}  // namespace

void run_predict(const PredictOptions& options, std::ostream& out) {
    const models::Model model = load(options);
    // Every image is decoded before anything is printed: a bad file fails the run cleanly.
    std::vector<Tensor> inputs;
    for (const std::string& path : options.images)
        inputs.push_back(models::preprocess_image(io::read_image(path), model.preprocess, options.dtype).to(model.device));
    print_summary(model, out);
    ag::NoGradGuard no_grad;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const std::string& path = options.images[i];
        const Tensor& input = inputs[i];
        nn::ForwardContext ctx;
        const Tensor logits = model.forward(ag::Var(input), ctx).value();
        print_topk(path + "  (input " + input.shape().to_string() + ")", logits, ops::softmax_forward(logits, 1), model,
                   options.topk, out);
    }
}

void run_info(const PredictOptions& options, std::ostream& out) {
    const auto start = std::chrono::steady_clock::now();
    const models::Model model = load(options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    print_summary(model, out);
    const models::Preprocess& p = model.preprocess;
    char line[160];
    std::snprintf(line, sizeof line, "  input %s, scale %.6g, mean (%.6g, %.6g, %.6g), std (%.6g, %.6g, %.6g)\n",
                  p.bgr ? "BGR" : "RGB", p.scale, p.mean[0], p.mean[1], p.mean[2], p.std[0], p.std[1], p.std[2]);
    out << line;
    std::snprintf(line, sizeof line, "  loaded in %.3f s\n", seconds);
    out << line;
}

void run_list_layers(const PredictOptions& options, std::ostream& out) {
    const models::Model model = load(options);
    print_summary(model, out);
    const models::ImageSize size = models::default_input_size(model.preprocess);
    int64_t height = size.height, width = size.width;
    if (!options.images.empty()) {
        const Tensor input = models::preprocess_image(io::read_image(options.images.front()), model.preprocess, options.dtype);
        height = input.dim(2);
        width = input.dim(3);
    }
    out << "layers for an input of (1, 3, " << height << ", " << width << "):\n"
        << models::list_layers(model, height, width);
}

}  // namespace igcam::tools
