// Module: a named node of a network, with children and parameters, following torchvision's
// named_modules() / state_dict() naming exactly ("layer4.2.conv3", "features.29",
// "classifier.6.weight"), because that is how users name target layers and how weight files
// name tensors.
//
// A forward pass threads a ForwardContext through the tree. After every module, the
// context may record its output (activations to dump, shapes to list) or transform it
// (tap it as the leaf of an explanation, replace it for ablations).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "autograd/var.h"

namespace igcam::nn {

class Module;

class ForwardContext {
public:
    using Transform = std::function<ag::Var(const ag::Var&)>;

    // Keep the output of module `name` (retrievable with output()).
    void keep(const std::string& name) { keep_.insert({name, true}); }
    // Keep every module's output (for layer listings and dumps).
    void keep_all() { keep_all_ = true; }
    // Replace the output of module `name` by transform(output), e.g. ag::tap.
    void transform(const std::string& name, Transform t) { transforms_[name] = std::move(t); }

    // Called after each module's forward: applies the transform, records, returns the output.
    ag::Var after(const Module& module, ag::Var output);

    // True when the output of module `name` is kept or transformed: it must then exist as
    // such (an inference fusion may not skip over it).
    bool observes(const std::string& name) const {
        return keep_all_ || keep_.count(name) > 0 || transforms_.count(name) > 0;
    }
    bool has_output(const std::string& name) const { return outputs_.count(name) > 0; }
    // The kept output of module `name`; throws ValueError when it was not kept or never ran.
    const ag::Var& output(const std::string& name) const;
    // Names of kept outputs in the order the modules ran.
    const std::vector<std::string>& order() const { return order_; }

private:
    std::map<std::string, bool> keep_;
    bool keep_all_ = false;
    std::map<std::string, Transform> transforms_;
    std::map<std::string, ag::Var> outputs_;
    std::vector<std::string> order_;
};

// One named parameter or buffer of a module (weights, biases, batch-norm statistics).
struct Parameter {
    std::string name;  // local name: "weight", "bias", "running_mean", ...
    Shape shape;       // the shape the architecture requires
    Tensor value;      // undefined until loaded (weights are never allocated twice)
};

class Module {
public:
    virtual ~Module() = default;
    Module() = default;
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;

    // Runs forward and lets the context record or transform the output.
    ag::Var operator()(const ag::Var& x, ForwardContext& ctx) const { return ctx.after(*this, forward(x, ctx)); }

    // Continues a forward pass from the output of the descendant module `name`, whose output
    // is `value`: runs only what comes after it. Containers whose later steps do not depend
    // on earlier ones (Sequential, the ResNet/VGG spines) implement it, and say so through
    // can_resume_from; elsewhere it throws ValueError. Ablation-CAM uses it to rerun only the
    // head for each ablated channel (and a full forward where the model cannot resume).
    virtual ag::Var forward_from(const std::string& name, const ag::Var& value, ForwardContext& ctx) const;
    // Whether forward_from(name, ...) can run: `name` is a descendant on the spine (inside a
    // residual block, whose shortcut needs the block's input, it is not).
    virtual bool can_resume_from(const std::string& name) const;

    // The PyTorch class name ("Conv2d", "Bottleneck", ...).
    virtual std::string type() const = 0;
    // Full dotted name from the root ("" for the root itself).
    const std::string& name() const { return name_; }
    const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }
    std::vector<Parameter>& parameters() { return parameters_; }
    const std::vector<Parameter>& parameters() const { return parameters_; }

    // Names every module of the tree from this root (call once, after building).
    void assign_names(const std::string& prefix = "");
    // Every module in depth-first pre-order, as torchvision's named_modules().
    std::vector<const Module*> modules() const;
    // The module called `name`, or nullptr.
    const Module* find(const std::string& name) const;
    // Every parameter of the tree with its state_dict key ("layer1.0.conv1.weight").
    std::vector<std::pair<std::string, Parameter*>> named_parameters();
    int64_t parameter_count() const;
    // Moves every loaded parameter to `device` (a copy; the host copies are released, and so
    // is whatever the modules derived from them: release_derived()).
    void move_parameters(Device device);
    // Drops what this module keeps derived from its parameters (a convolution's reordered
    // weights); the next forward makes it again where it is needed.
    virtual void release_derived() const {}

protected:
    virtual ag::Var forward(const ag::Var& x, ForwardContext& ctx) const = 0;

    template <typename M>
    std::shared_ptr<M> add_child(const std::string& local_name, std::shared_ptr<M> child) {
        children_.emplace_back(local_name, child);
        return child;
    }
    // For forward_from: runs `child` from `name` (the child itself or one of its descendants),
    // recording the child's output in the context like operator() does.
    static ag::Var resume_child(const Module& child, const std::string& name, const ag::Var& value,
                                ForwardContext& ctx);
    // True when `name` is this child or lies below it.
    static bool contains(const Module& child, const std::string& name);
    // True when resume_child(child, name, ...) can run: `name` is the child, or the child
    // can resume from it.
    static bool can_resume_child(const Module& child, const std::string& name);

    // Declares a parameter; returns its index in parameters().
    std::size_t add_parameter(const std::string& local_name, const Shape& shape);
    // The parameter at `index` as a constant leaf (parameters never require grad here).
    // Throws ValueError when it was never loaded.
    ag::Var param(std::size_t index) const { return ag::Var(value(index)); }
    const Tensor& value(std::size_t index) const;

private:
    std::string name_;
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
    std::vector<Parameter> parameters_;
};

}  // namespace igcam::nn
