#include "autograd/engine.h"

#include <atomic>
#include <cstdio>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/ops.h"

namespace igcam::ag {

namespace {

// Post-order DFS over the vars that require grad; reversing it gives an order in which
// every var comes before the inputs of its producer.
std::vector<VarImpl*> topological_order(VarImpl* root) {
    std::vector<VarImpl*> order;
    std::unordered_set<VarImpl*> visited{root};
    std::vector<std::pair<VarImpl*, std::size_t>> stack{{root, 0}};
    while (!stack.empty()) {
        auto& [var, next] = stack.back();
        const Node* node = var->producer.get();
        if (node != nullptr && next < node->inputs.size()) {
            VarImpl* input = node->inputs[next++].get();
            if (input != nullptr && input->requires_grad && visited.insert(input).second)
                stack.emplace_back(input, 0);
            continue;
        }
        order.push_back(var);
        stack.pop_back();
    }
    return {order.rbegin(), order.rend()};
}

void check_gradient(const Tensor& grad, const VarImpl& target, const std::string& what) {
    IGCAM_CHECK(grad.defined(), ValueError, "autograd: ", what, " is missing");
    IGCAM_CHECK(grad.shape() == target.value.shape(), ShapeError, "autograd: ", what, " has shape ",
                grad.shape().to_string(), " but the value has shape ", target.value.shape().to_string());
    IGCAM_CHECK(grad.dtype() == target.value.dtype(), DTypeError, "autograd: ", what, " is ",
                dtype_name(grad.dtype()), " but the value is ", dtype_name(target.value.dtype()));
    IGCAM_CHECK(grad.device() == target.value.device(), DeviceError, "autograd: ", what, " is on ",
                grad.device().to_string(), " but the value is on ", target.value.device().to_string());
}

// The single place gradients are summed.
void accumulate(Tensor& total, const Tensor& contribution) {
    total = total.defined() ? ops::add(total, contribution) : contribution;
}

TraceEntry trace_entry(const VarImpl& var, const Tensor& grad, int64_t batch_rows) {
    const ops::TensorStats s = ops::tensor_stats(grad);
    TraceEntry e{var.producer ? var.producer->op : "leaf", var.name, grad.shape(), s.l2, s.min, s.max,
                 s.zero_fraction, {}};
    if (batch_rows > 0 && grad.rank() >= 1 && grad.dim(0) == batch_rows)
        for (int64_t i = 0; i < batch_rows; ++i) e.rows.push_back(ops::tensor_stats(grad.slice_batch(i, i + 1)));
    return e;
}

std::atomic<int64_t> backward_passes{0}, traced_passes{0};

}  // namespace

void backward(const Var& root, GradientTrace* trace, const Tensor& seed) {
    IGCAM_CHECK(root.defined(), ValueError, "backward: the root Var is undefined");
    IGCAM_CHECK(root.requires_grad(), ValueError,
                "backward: the root does not require grad (no input was marked with "
                "requires_grad or tap(), or it was computed under NoGradGuard)");
    Tensor first = seed;
    if (!first.defined()) {
        IGCAM_CHECK(root.value().numel() == 1, ShapeError, "backward: the root has shape ",
                    root.shape().to_string(), "; pass a seed gradient of that shape");
        first = Tensor::full(root.shape(), 1.0, root.value().dtype(), root.value().device());
    }
    check_gradient(first, *root.impl(), "the seed gradient");

    backward_passes.fetch_add(1, std::memory_order_relaxed);
    if (trace != nullptr) {
        traced_passes.fetch_add(1, std::memory_order_relaxed);
        trace->entries.clear();
    }
    const std::vector<VarImpl*> order = topological_order(root.impl().get());
    std::unordered_map<VarImpl*, Tensor> pending;
    pending[root.impl().get()] = first;
    for (VarImpl* var : order) {
        auto found = pending.find(var);
        IGCAM_CHECK(found != pending.end(), ValueError, "autograd: no gradient reached a var of op ",
                    var->producer ? var->producer->op : "leaf");
        const Tensor grad = std::move(found->second);
        pending.erase(found);
        if (trace != nullptr) trace->entries.push_back(trace_entry(*var, grad, trace->batch_rows));
        if (var->producer == nullptr || var->retains_grad) accumulate(var->grad, grad);

        const Node* node = var->producer.get();
        if (node == nullptr) continue;
        std::vector<bool> needs(node->inputs.size());
        for (std::size_t i = 0; i < needs.size(); ++i)
            needs[i] = node->inputs[i] != nullptr && node->inputs[i]->requires_grad;
        const std::vector<Tensor> input_grads = node->backward(grad, needs);
        IGCAM_CHECK(input_grads.size() == needs.size(), ValueError, "autograd: backward of ", node->op,
                    " returned ", input_grads.size(), " gradients for ", needs.size(), " inputs");
        for (std::size_t i = 0; i < needs.size(); ++i) {
            if (!needs[i]) continue;
            check_gradient(input_grads[i], *node->inputs[i],
                           "the gradient of input " + std::to_string(i) + " of " + node->op);
            accumulate(pending[node->inputs[i].get()], input_grads[i]);
        }
    }
}

EngineCounts engine_counts() {
    return EngineCounts{backward_passes.load(std::memory_order_relaxed), traced_passes.load(std::memory_order_relaxed)};
}

GradientTrace GradientTrace::row(int64_t row) const {
    GradientTrace one;
    for (const TraceEntry& e : entries) {
        if (e.rows.empty()) {
            one.entries.push_back(TraceEntry{e.op, e.name, e.shape, e.l2, e.min, e.max, e.zero_fraction, {}});
            continue;
        }
        IGCAM_CHECK(row >= 0 && row < static_cast<int64_t>(e.rows.size()), ValueError, "GradientTrace::row: row ", row,
                    " of a trace over ", e.rows.size(), " rows");
        std::vector<int64_t> dims = e.shape.dims();
        dims[0] = 1;
        const ops::TensorStats& s = e.rows[static_cast<std::size_t>(row)];
        one.entries.push_back(TraceEntry{e.op, e.name, Shape(dims), s.l2, s.min, s.max, s.zero_fraction, {}});
    }
    return one;
}

void zero_grads(const Var& root) {
    IGCAM_CHECK(root.defined(), ValueError, "zero_grads: the root Var is undefined");
    std::unordered_set<VarImpl*> visited{root.impl().get()};
    std::vector<VarImpl*> stack{root.impl().get()};
    while (!stack.empty()) {
        VarImpl* var = stack.back();
        stack.pop_back();
        var->grad = Tensor();
        if (!var->producer) continue;
        for (const auto& input : var->producer->inputs)
            if (input && visited.insert(input.get()).second) stack.push_back(input.get());
    }
}

int GradientTrace::find_op(const std::string& op) const {
    for (std::size_t i = 0; i < entries.size(); ++i)
        if (entries[i].op == op) return static_cast<int>(i);
    return -1;
}

int GradientTrace::find_name(const std::string& name) const {
    for (std::size_t i = 0; i < entries.size(); ++i)
        if (entries[i].name == name) return static_cast<int>(i);
    return -1;
}

std::string GradientTrace::to_string() const {
    std::string text;
    char line[256];
    std::snprintf(line, sizeof line, "%3s  %-20s %-22s %-20s %12s %12s %12s %7s\n", "#", "op", "name",
                  "shape", "grad L2", "grad min", "grad max", "zeros");
    text += line;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const TraceEntry& e = entries[i];
        std::snprintf(line, sizeof line, "%3zu  %-20s %-22s %-20s %12.5g %12.5g %12.5g %6.1f%%\n", i,
                      e.op.c_str(), e.name.empty() ? "-" : e.name.c_str(), e.shape.to_string().c_str(),
                      e.l2, e.min, e.max, 100.0 * e.zero_fraction);
        text += line;
    }
    return text;
}

}  // namespace igcam::ag
