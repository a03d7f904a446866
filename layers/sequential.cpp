#include "layers/sequential.h"

#include "core/error.h"
#include "layers/fused.h"

namespace igcam::nn {

ag::Var Sequential::forward(const ag::Var& x, ForwardContext& ctx) const {
    std::vector<const Module*> modules;
    for (const auto& [local, child] : children()) {
        (void)local;
        modules.push_back(child.get());
    }
    return run_in_order(modules, x, ctx);
}

bool Sequential::can_resume_from(const std::string& name) const {
    for (const auto& [local, child] : children()) {
        (void)local;
        if (contains(*child, name)) return can_resume_child(*child, name);
    }
    return false;
}

ag::Var Sequential::forward_from(const std::string& name, const ag::Var& value, ForwardContext& ctx) const {
    ag::Var y;
    bool resumed = false;
    for (const auto& [local, child] : children()) {
        (void)local;
        if (resumed) y = (*child)(y, ctx);
        else if (contains(*child, name)) {
            y = resume_child(*child, name, value, ctx);
            resumed = true;
        }
    }
    IGCAM_CHECK(resumed, ValueError, "'", name, "' is not inside '", this->name(), "'");
    return y;
}

}  // namespace igcam::nn
