// gradcheck: compares the engine's gradients with float64 central differences.
// Small problems compare the full Jacobian (one backward per output element, one pair of
// forwards per input element); larger ones compare v^T J u for random directions u, v.
// An entry passes when |analytic - numeric| <= atol + rtol * |numeric|.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/var.h"

namespace igcam::ag {

struct GradcheckOptions {
    double eps = 1e-6;
    double atol = 1e-5;
    double rtol = 1e-3;
    // Use the full Jacobian when (input elements) * (output elements) is at most this.
    int64_t full_jacobian_limit = 20000;
    // Random directions per input for larger problems.
    int directions = 6;
    uint64_t seed = 1234;
};

struct GradcheckResult {
    bool passed = true;
    bool full_jacobian = false;
    int64_t comparisons = 0;
    double max_abs_error = 0;  // max |analytic - numeric|
    std::string first_failure;  // empty when passed
};

// `fn` maps the inputs (all f64, all requiring grad) to an output Var of any shape.
GradcheckResult gradcheck(const std::function<Var(const std::vector<Var>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace igcam::ag
