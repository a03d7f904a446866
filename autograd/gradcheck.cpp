#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "core/random.h"

namespace igcam::ag {

namespace {

std::vector<Var> leaves(const std::vector<Tensor>& inputs) {
    std::vector<Var> vars;
    for (const Tensor& t : inputs) vars.emplace_back(t, true);
    return vars;
}

// fn evaluated without recording, as a flat vector.
std::vector<double> evaluate(const std::function<Var(const std::vector<Var>&)>& fn,
                             const std::vector<Tensor>& inputs) {
    NoGradGuard no_grad;
    std::vector<Var> vars;
    for (const Tensor& t : inputs) vars.emplace_back(t, false);
    return fn(vars).value().to_vector();
}

// inputs with input k replaced by inputs[k] + step * direction (direction: k's shape).
std::vector<Tensor> shifted(const std::vector<Tensor>& inputs, std::size_t k,
                            const std::vector<double>& direction, double step) {
    std::vector<Tensor> out = inputs;
    std::vector<double> values = inputs[k].to_vector();
    for (std::size_t i = 0; i < values.size(); ++i) values[i] += step * direction[i];
    out[k] = Tensor::from_values(inputs[k].shape(), values, DType::F64);
    return out;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

class Recorder {
public:
    Recorder(GradcheckResult& result, const GradcheckOptions& options) : r_(result), o_(options) {}
    void compare(double analytic, double numeric, const std::string& where) {
        ++r_.comparisons;
        const double error = std::abs(analytic - numeric);
        r_.max_abs_error = std::max(r_.max_abs_error, error);
        if (error > o_.atol + o_.rtol * std::abs(numeric) && r_.passed) {
            r_.passed = false;
            std::ostringstream text;
            text.precision(10);
            text << where << ": analytic " << analytic << " vs numeric " << numeric << " (error " << error
                 << ")";
            r_.first_failure = text.str();
        }
    }

private:
    GradcheckResult& r_;
    const GradcheckOptions& o_;
};

}  // namespace

GradcheckResult gradcheck(const std::function<Var(const std::vector<Var>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
    for (const Tensor& t : inputs)
        IGCAM_CHECK(t.defined() && t.dtype() == DType::F64, DTypeError,
                    "gradcheck: every input must be a defined f64 tensor");
    GradcheckResult result;
    Recorder recorder(result, options);
    const std::vector<Var> vars = leaves(inputs);
    const Var out = fn(vars);
    const int64_t out_numel = out.value().numel();
    int64_t in_numel = 0;
    for (const Tensor& t : inputs) in_numel += t.numel();
    const double two_eps = 2 * options.eps;

    if (in_numel * out_numel <= options.full_jacobian_limit) {
        result.full_jacobian = true;
        // analytic[o][k] = d out_o / d inputs_k (flat), one backward per output element.
        std::vector<std::vector<std::vector<double>>> analytic(static_cast<std::size_t>(out_numel));
        for (int64_t o = 0; o < out_numel; ++o) {
            std::vector<double> seed(static_cast<std::size_t>(out_numel), 0.0);
            seed[static_cast<std::size_t>(o)] = 1.0;
            zero_grads(out);
            backward(out, nullptr, Tensor::from_values(out.shape(), seed, DType::F64));
            for (const Var& v : vars)
                analytic[o].push_back(v.grad().defined() ? v.grad().to_vector()
                                                         : std::vector<double>(v.value().numel(), 0.0));
        }
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            for (int64_t i = 0; i < inputs[k].numel(); ++i) {
                std::vector<double> e(static_cast<std::size_t>(inputs[k].numel()), 0.0);
                e[static_cast<std::size_t>(i)] = 1.0;
                const std::vector<double> plus = evaluate(fn, shifted(inputs, k, e, options.eps));
                const std::vector<double> minus = evaluate(fn, shifted(inputs, k, e, -options.eps));
                for (int64_t o = 0; o < out_numel; ++o) {
                    const double numeric = (plus[o] - minus[o]) / two_eps;
                    recorder.compare(analytic[o][k][static_cast<std::size_t>(i)], numeric,
                                     "d out[" + std::to_string(o) + "] / d input" + std::to_string(k) +
                                         "[" + std::to_string(i) + "]");
                }
            }
        }
        return result;
    }

    // v^T J u, per input, for random directions.
    Rng rng(options.seed);
    for (int d = 0; d < options.directions; ++d) {
        std::vector<double> v(static_cast<std::size_t>(out_numel));
        for (double& x : v) x = rng.normal();
        zero_grads(out);
        backward(out, nullptr, Tensor::from_values(out.shape(), v, DType::F64));
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            std::vector<double> u(static_cast<std::size_t>(inputs[k].numel()));
            for (double& x : u) x = rng.normal();
            const Tensor& g = vars[k].grad();
            const double analytic = g.defined() ? dot(g.to_vector(), u) : 0.0;
            const std::vector<double> plus = evaluate(fn, shifted(inputs, k, u, options.eps));
            const std::vector<double> minus = evaluate(fn, shifted(inputs, k, u, -options.eps));
            double numeric = 0;
            for (int64_t o = 0; o < out_numel; ++o) numeric += v[o] * (plus[o] - minus[o]) / two_eps;
            recorder.compare(analytic, numeric,
                             "v^T J u for input" + std::to_string(k) + ", direction " + std::to_string(d));
        }
    }
    return result;
}

}  // namespace igcam::ag
