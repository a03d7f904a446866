// Var: a node of the reverse-mode graph. It holds a value (Tensor), an optional gradient,
// and the Node that produced it (none for leaves). Copies are shallow handles to the same
// node, as in micrograd/flashlight.
//
// Recording happens only where some input requires grad and grad mode is on (see
// grad_mode.h): a forward pass with nothing requiring grad keeps no graph at all.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace igcam::ag {

struct VarImpl;

// Computes the gradients of a node's inputs from the gradient of its output (same shape
// as the output). Returns one tensor per input; entries for inputs whose `needs_grad` is
// false may be left undefined. Assigns (never accumulates): the engine sums.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output,
                                                     const std::vector<bool>& needs_grad)>;

struct Node {
    std::string op;                                 // "conv2d", "relu", ...
    std::vector<std::shared_ptr<VarImpl>> inputs;   // every input, in the op's order
    BackwardFn backward;
};

struct VarImpl {
    Tensor value;
    Tensor grad;                     // undefined until a backward pass reaches this var
    bool requires_grad = false;
    bool retains_grad = false;       // keep the gradient of an intermediate after backward
    std::shared_ptr<Node> producer;  // null for leaves
    std::string name;                // optional label shown in traces ("layer4.2.conv3")
};

class Var {
public:
    Var() = default;
    // A leaf holding `value`.
    explicit Var(Tensor value, bool requires_grad = false);

    bool defined() const { return impl_ != nullptr; }
    const Tensor& value() const;
    const Shape& shape() const { return value().shape(); }
    // The accumulated gradient; undefined when none was computed (or retained).
    const Tensor& grad() const;
    bool requires_grad() const;
    bool is_leaf() const;
    // The op that produced this var, or "leaf".
    std::string op() const;

    // Marks a leaf as requiring grad (throws ValueError on a non-leaf).
    Var& set_requires_grad(bool requires_grad);
    // Keeps this intermediate's gradient after backward (leaves always keep theirs).
    Var& retain_grad();
    // Forgets the stored gradient.
    void zero_grad();
    Var& set_name(std::string name);
    const std::string& name() const;

    const std::shared_ptr<VarImpl>& impl() const { return impl_; }
    explicit Var(std::shared_ptr<VarImpl> impl) : impl_(std::move(impl)) {}

private:
    std::shared_ptr<VarImpl> impl_;
};

// A new leaf sharing x's value with no history: nothing flows below it.
Var detach(const Var& x);
// "Tap": detach(x) marked as requiring grad. Marking a target layer's output this way makes
// backward run from the score down to that layer and stop there: nothing below it (and no
// parameter, unless it requires grad itself) is visited.
Var tap(const Var& x);

// Creates the output var of an op: records a Node when grad mode is on and some input
// requires grad, otherwise returns a plain leaf. Used by every differentiable function.
Var make_result(Tensor value, const char* op, const std::vector<Var>& inputs, BackwardFn backward);

}  // namespace igcam::ag
