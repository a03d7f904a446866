// The backward engine: one topological sort, then one pass from the seed to the leaves.
// It is the only place where gradients are summed (a var reached along several paths -- a
// diamond, a reused node, a residual add -- gets the sum of what each path sends).
//
// Documented behaviour of repeated calls: the graph is kept, so backward() may run again
// on the same root; each call ADDS into the .grad of leaves and retained vars (PyTorch's
// accumulation). Call zero_grads(root) (or Var::zero_grad) between calls to start fresh.
#pragma once

#include <string>
#include <vector>

#include "autograd/var.h"

namespace igcam::ag {

// One visited var: the op that produced it (or "leaf"), its label, its shape, and
// statistics of the gradient that arrived at it in this pass.
struct TraceEntry {
    std::string op;
    std::string name;
    Shape shape;
    double l2 = 0, min = 0, max = 0, zero_fraction = 0;
};

// The vars visited by one backward pass, from the seed to the leaves.
struct GradientTrace {
    std::vector<TraceEntry> entries;
    // Index of the first entry with this op (or name), or -1.
    int find_op(const std::string& op) const;
    int find_name(const std::string& name) const;
    // A fixed-width table: index, op, name, shape, L2 norm, min, max, fraction of zeros.
    std::string to_string() const;
};

// Runs reverse-mode differentiation from `root`. `seed` is dL/droot (same shape, dtype and
// device as root's value); it may be omitted when root holds one element (seed 1).
// Throws ValueError when root does not require grad, ShapeError on a mismatched seed or
// on a backward function returning a gradient of the wrong shape.
GradientTrace backward(const Var& root, const Tensor& seed = Tensor());

// Clears the gradient of every var reachable from root (root included).
void zero_grads(const Var& root);

}  // namespace igcam::ag
