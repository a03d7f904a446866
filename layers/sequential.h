// Sequential: children named "0", "1", ... run in order (torch.nn.Sequential); a
// Conv2d -> BatchNorm2d -> ReLU run among them may run fused (layers/fused.h).
#pragma once

#include "layers/module.h"

namespace igcam::nn {

class Sequential : public Module {
public:
    std::string type() const override { return "Sequential"; }
    // Appends a child named by its position.
    template <typename M>
    std::shared_ptr<M> append(std::shared_ptr<M> child) {
        return add_child(std::to_string(children().size()), std::move(child));
    }
    std::size_t size() const { return children().size(); }
    ag::Var forward_from(const std::string& name, const ag::Var& value, ForwardContext& ctx) const override;
    bool can_resume_from(const std::string& name) const override;

protected:
    ag::Var forward(const ag::Var& x, ForwardContext& ctx) const override;
};

}  // namespace igcam::nn
