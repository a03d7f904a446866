#include "tests/test_util.h"

#include <cmath>
#include <sstream>

#include "core/ops.h"
#include "core/random.h"

namespace igcam::test {

double relative_error(const Tensor& a, const Tensor& ref) {
    const double scale = ops::max_abs(ref);
    const double diff = ops::max_abs_diff(a, ref);
    return scale > 0 ? diff / scale : diff;
}

void check_values(const Tensor& t, const std::vector<double>& expected, double atol) {
    const std::vector<double> got = t.to_vector();
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (std::abs(got[i] - expected[i]) > atol) {
            std::ostringstream text;
            text.precision(12);
            text << "element " << i << " of shape " << t.shape().to_string() << ": got " << got[i]
                 << ", expected " << expected[i];
            FAIL_CHECK(text.str());
            return;
        }
    }
}

void check_gradients(const std::string& what, const std::function<ag::Var(const std::vector<ag::Var>&)>& fn,
                     const std::vector<Tensor>& inputs, const ag::GradcheckOptions& options) {
    const ag::GradcheckResult r = ag::gradcheck(fn, inputs, options);
    INFO(what, (r.full_jacobian ? " [full Jacobian, " : " [random directions, "), r.comparisons,
         " comparisons, max error ", r.max_abs_error, "] ", r.first_failure);
    CHECK(r.passed);
    CHECK(r.comparisons > 0);
}

std::vector<int64_t> top1(const Tensor& logits) {
    std::vector<int64_t> best;
    const std::vector<double> v = logits.to_vector();
    const int64_t classes = logits.dim(1);
    for (int64_t n = 0; n < logits.dim(0); ++n) {
        int64_t arg = 0;
        for (int64_t k = 1; k < classes; ++k)
            if (v[n * classes + k] > v[n * classes + arg]) arg = k;
        best.push_back(arg);
    }
    return best;
}

Tensor away_from_zero(const Shape& shape, uint64_t seed, DType dtype) {
    Rng rng(seed);
    std::vector<double> values(static_cast<std::size_t>(shape.numel()));
    for (double& v : values) v = rng.uniform(0.1, 1.0) * (rng.uniform() < 0.5 ? -1.0 : 1.0);
    return Tensor::from_values(shape, values, dtype);
}

}  // namespace igcam::test
