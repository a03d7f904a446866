#include "layers/sequential.h"

#include "core/error.h"

namespace igcam::nn {

ag::Var Sequential::forward(const ag::Var& x, ForwardContext& ctx) const {
    ag::Var y = x;
    for (const auto& [local, child] : children()) {
        (void)local;
        y = (*child)(y, ctx);
    }
    return y;
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
