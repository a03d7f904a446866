#include "models/model.h"

#include <algorithm>
#include <cstdio>

#include "autograd/grad_mode.h"
#include "core/error.h"

namespace igcam::models {

const nn::Module& Model::layer(const std::string& name) const {
    const nn::Module* m = net->find(name);
    if (m != nullptr && !name.empty()) return *m;
    // Suggest the top-level children and the default, which is what users usually want.
    std::string suggestions;
    for (const auto& [local, child] : net->children()) {
        (void)child;
        suggestions += (suggestions.empty() ? "" : ", ") + local;
    }
    detail::throw_error<ValueError>("unknown layer '", name, "' in ", architecture.name,
                                    " (top-level modules: ", suggestions, "; default: ", default_layer,
                                    "; --list-layers prints every name)");
}

std::vector<LayerRow> layer_rows(const Model& model, int64_t height, int64_t width) {
    ag::NoGradGuard no_grad;
    nn::ForwardContext ctx;
    ctx.keep_all();
    const ag::Var logits = model.forward(ag::Var(Tensor::zeros(Shape{1, 3, height, width}, model.dtype, model.device)), ctx);
    std::vector<LayerRow> rows;
    for (const nn::Module* m : model.net->modules()) {
        LayerRow row{m->name(), m->type(), Shape{}, m->parameter_count()};
        if (row.name.empty()) {
            row.output_shape = logits.shape();
        } else if (ctx.has_output(row.name)) {
            row.output_shape = ctx.output(row.name).shape();
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string list_layers(const Model& model, int64_t height, int64_t width) {
    std::string text;
    char line[256];
    std::snprintf(line, sizeof line, "%-34s %-20s %-22s %12s\n", "layer", "type", "output shape", "parameters");
    text += line;
    for (const LayerRow& row : layer_rows(model, height, width)) {
        const std::string& name = row.name;
        const int depth = name.empty() ? 0 : 1 + static_cast<int>(std::count(name.begin(), name.end(), '.'));
        const std::string label = std::string(static_cast<std::size_t>(2 * depth), ' ') + (name.empty() ? "(model)" : name);
        const std::string shape = row.output_shape.rank() == 0 ? "-" : row.output_shape.to_string();
        std::snprintf(line, sizeof line, "%-34s %-20s %-22s %12lld\n", label.c_str(), row.type.c_str(), shape.c_str(),
                      static_cast<long long>(row.parameters));
        text += line;
    }
    return text;
}

}  // namespace igcam::models
