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

std::string list_layers(const Model& model, int64_t height, int64_t width) {
    ag::NoGradGuard no_grad;
    nn::ForwardContext ctx;
    ctx.keep_all();
    const ag::Var logits = model.forward(ag::Var(Tensor::zeros(Shape{1, 3, height, width}, model.dtype, model.device)), ctx);
    std::string text;
    char line[256];
    std::snprintf(line, sizeof line, "%-34s %-20s %-22s %12s\n", "layer", "type", "output shape", "parameters");
    text += line;
    for (const nn::Module* m : model.net->modules()) {
        const std::string& name = m->name();
        const int depth = name.empty() ? 0 : 1 + static_cast<int>(std::count(name.begin(), name.end(), '.'));
        const std::string label = std::string(static_cast<std::size_t>(2 * depth), ' ') + (name.empty() ? "(model)" : name);
        const std::string shape = name.empty() ? logits.shape().to_string()
                                               : ctx.has_output(name) ? ctx.output(name).shape().to_string() : "-";
        std::snprintf(line, sizeof line, "%-34s %-20s %-22s %12lld\n", label.c_str(), m->type().c_str(), shape.c_str(),
                      static_cast<long long>(m->parameter_count()));
        text += line;
    }
    return text;
}

}  // namespace igcam::models
