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
#include "core/ops.h"

namespace igcam::ag {

// One visited var: the op that produced it (or "leaf"), its label, its shape, and
// statistics of the gradient that arrived at it in this pass.
struct TraceEntry {
    std::string op;
    std::string name;
    Shape shape;
    double l2 = 0, min = 0, max = 0, zero_fraction = 0;
    // For a pass over a batch (GradientTrace::batch_rows): the same statistics row by row,
    // when the gradient has one row per image; empty otherwise (the summed score).
    std::vector<ops::TensorStats> rows;
};

// The vars visited by one backward pass, from the seed to the leaves.
struct GradientTrace {
    // Set before the pass: when > 0, gradients whose first dimension is batch_rows are also
    // summarised row by row. Rows of a batch never mix in igcam's networks (no op couples
    // images), so row i is exactly the trace image i would have alone.
    int64_t batch_rows = 0;
    std::vector<TraceEntry> entries;
    // Image `row`'s trace out of a batched one: its row statistics and a leading 1 in each
    // shape where the entry has rows; the entry as it is where it has none.
    GradientTrace row(int64_t row) const;
    // Index of the first entry with this op (or name), or -1.
    int find_op(const std::string& op) const;
    int find_name(const std::string& name) const;
    // A fixed-width table: index, op, name, shape, L2 norm, min, max, fraction of zeros.
    std::string to_string() const;
};

// Runs reverse-mode differentiation from `root`. `seed` is dL/droot (same shape, dtype and
// device as root's value); it may be omitted when root holds one element (seed 1). With a
// `trace`, every visited var's gradient is summarised into it (which costs a statistics pass
// over each gradient, and a device sync per var on a GPU); without one nothing is.
// Throws ValueError when root does not require grad, ShapeError on a mismatched seed or
// on a backward function returning a gradient of the wrong shape.
void backward(const Var& root, GradientTrace* trace = nullptr, const Tensor& seed = Tensor());

// How many backward passes this process ran, and how many of them recorded a trace: for
// tests that assert what was not computed (they count calls; nothing is timed).
struct EngineCounts {
    int64_t backward_passes = 0, traced_passes = 0;
};
EngineCounts engine_counts();

// Clears the gradient of every var reachable from root (root included).
void zero_grads(const Var& root);

}  // namespace igcam::ag
