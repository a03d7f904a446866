#include "autograd/var.h"

#include "autograd/grad_mode.h"
#include "core/error.h"

namespace igcam::ag {

namespace {
const Tensor kNoTensor;

VarImpl& checked(const std::shared_ptr<VarImpl>& impl) {
    IGCAM_CHECK(impl != nullptr, ValueError, "autograd: use of an undefined Var");
    return *impl;
}
}  // namespace

Var::Var(Tensor value, bool requires_grad) : impl_(std::make_shared<VarImpl>()) {
    IGCAM_CHECK(value.defined(), ValueError, "autograd: a Var needs a defined value");
    impl_->value = std::move(value);
    impl_->requires_grad = requires_grad;
}

const Tensor& Var::value() const { return checked(impl_).value; }
const Tensor& Var::grad() const { return impl_ ? impl_->grad : kNoTensor; }
bool Var::requires_grad() const { return impl_ && impl_->requires_grad; }
bool Var::is_leaf() const { return checked(impl_).producer == nullptr; }
std::string Var::op() const { return is_leaf() ? "leaf" : impl_->producer->op; }

Var& Var::set_requires_grad(bool requires_grad) {
    IGCAM_CHECK(is_leaf(), ValueError, "autograd: set_requires_grad on the output of ", op(),
                "; only leaves can be marked (use tap() to cut the graph at an intermediate)");
    impl_->requires_grad = requires_grad;
    return *this;
}

Var& Var::retain_grad() {
    checked(impl_).retains_grad = true;
    return *this;
}

void Var::zero_grad() { checked(impl_).grad = Tensor(); }

Var& Var::set_name(std::string name) {
    checked(impl_).name = std::move(name);
    return *this;
}

const std::string& Var::name() const { return checked(impl_).name; }

Var detach(const Var& x) {
    Var out(x.value());
    out.set_name(x.name());
    return out;
}

Var tap(const Var& x) {
    Var out = detach(x);
    out.set_requires_grad(true);
    return out;
}

Var make_result(Tensor value, const char* op, const std::vector<Var>& inputs, BackwardFn backward) {
    Var out(std::move(value));
    if (!grad_enabled()) return out;
    bool any = false;
    for (const Var& v : inputs) any = any || v.requires_grad();
    if (!any) return out;
    auto node = std::make_shared<Node>();
    node->op = op;
    node->backward = std::move(backward);
    for (const Var& v : inputs) node->inputs.push_back(v.impl());
    out.impl()->producer = std::move(node);
    out.impl()->requires_grad = true;
    return out;
}

}  // namespace igcam::ag
