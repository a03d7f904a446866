#include "layers/module.h"

#include "core/error.h"
#include "core/ops.h"

namespace igcam::nn {

ag::Var ForwardContext::after(const Module& module, ag::Var output) {
    const std::string& name = module.name();
    auto t = transforms_.find(name);
    if (t != transforms_.end()) output = t->second(output);
    if (output.defined() && output.name().empty()) output.set_name(name);
    if (keep_all_ || keep_.count(name)) {
        if (!outputs_.count(name)) order_.push_back(name);
        outputs_[name] = output;
    }
    return output;
}

const ag::Var& ForwardContext::output(const std::string& name) const {
    auto found = outputs_.find(name);
    IGCAM_CHECK(found != outputs_.end(), ValueError, "no recorded output for layer '", name, "'");
    return found->second;
}

ag::Var Module::forward_from(const std::string& name, const ag::Var&, ForwardContext&) const {
    detail::throw_error<ValueError>("cannot continue a forward pass from '", name, "' inside ", type(), " '",
                                    name_, "'");
}

bool Module::can_resume_from(const std::string&) const { return false; }

bool Module::can_resume_child(const Module& child, const std::string& name) {
    return name == child.name() || child.can_resume_from(name);
}

bool Module::contains(const Module& child, const std::string& name) {
    const std::string& own = child.name();
    return name == own || (name.size() > own.size() && name.compare(0, own.size(), own) == 0 && name[own.size()] == '.');
}

ag::Var Module::resume_child(const Module& child, const std::string& name, const ag::Var& value,
                             ForwardContext& ctx) {
    return ctx.after(child, name == child.name() ? value : child.forward_from(name, value, ctx));
}

void Module::assign_names(const std::string& prefix) {
    name_ = prefix;
    for (auto& [local, child] : children_) child->assign_names(prefix.empty() ? local : prefix + "." + local);
}

std::vector<const Module*> Module::modules() const {
    std::vector<const Module*> out{this};
    for (const auto& [local, child] : children_) {
        (void)local;
        const std::vector<const Module*> below = child->modules();
        out.insert(out.end(), below.begin(), below.end());
    }
    return out;
}

const Module* Module::find(const std::string& name) const {
    for (const Module* m : modules())
        if (m->name() == name) return m;
    return nullptr;
}

std::vector<std::pair<std::string, Parameter*>> Module::named_parameters() {
    std::vector<std::pair<std::string, Parameter*>> out;
    for (Parameter& p : parameters_) out.emplace_back(name_.empty() ? p.name : name_ + "." + p.name, &p);
    for (auto& [local, child] : children_) {
        (void)local;
        auto below = child->named_parameters();
        out.insert(out.end(), below.begin(), below.end());
    }
    return out;
}

int64_t Module::parameter_count() const {
    int64_t count = 0;
    for (const Parameter& p : parameters_) count += p.shape.numel();
    for (const auto& [local, child] : children_) {
        (void)local;
        count += child->parameter_count();
    }
    return count;
}

void Module::move_parameters(Device device) {
    for (auto& [key, p] : named_parameters()) {
        (void)key;
        if (p->value.defined()) p->value = p->value.to(device);
    }
    for (const Module* m : modules()) m->release_derived();
}

std::size_t Module::add_parameter(const std::string& local_name, const Shape& shape) {
    parameters_.push_back({local_name, shape, Tensor()});
    return parameters_.size() - 1;
}

const Tensor& Module::value(std::size_t index) const {
    const Parameter& p = parameters_.at(index);
    IGCAM_CHECK(p.value.defined(), ValueError, "parameter '", name_.empty() ? p.name : name_ + "." + p.name,
                "' was never loaded");
    return p.value;
}

}  // namespace igcam::nn
