// igcam-audit's comparison on tensors small enough to check by hand.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "tools/audit.h"

using namespace igcam;
using namespace igcam::tools;

namespace {

TensorFile file_with(const std::string& name, const Shape& shape, const std::vector<double>& values) {
    TensorFile f;
    f.path = "memory";
    f.format = "HDF5";
    f.arrays[name] = StoredArray{"float64", Tensor::from_values(shape, values, DType::F64)};
    return f;
}

}  // namespace

TEST_CASE("the worst element, its index and the relative error, by hand") {
    const TensorFile ours = file_with("a/maps/gradcam", Shape{1, 3}, {1.0, 2.0, 3.0});
    const TensorFile ref = file_with("a/maps/gradcam", Shape{1, 3}, {1.0, 2.25, 3.5});
    AuditResult r = audit(ours, ref, Tolerance{0.2, 0});
    REQUIRE(r.tensors.size() == 1);
    const TensorComparison& t = r.tensors[0];
    CHECK(t.max_abs == 0.5);
    CHECK(t.max_reference == 3.5);
    CHECK(t.relative == doctest::Approx(0.5 / 3.5));
    CHECK(t.worst_index == std::vector<int64_t>{0, 2});
    CHECK(t.ours_value == 3.0);
    CHECK(t.reference_value == 3.5);
    CHECK(t.verdict == Verdict::Pass);  // 0.5 <= 0.2 * 3.5
    CHECK(r.passes());
    r = audit(ours, ref, Tolerance{0.1, 0});  // 0.5 > 0.35
    CHECK(r.tensors[0].verdict == Verdict::Fail);
    CHECK_FALSE(r.passes());
    CHECK(audit(ours, ref, Tolerance{0.1, 0.16}).passes());  // 0.5 <= 0.16 + 0.35
}

TEST_CASE("NaN and infinities must sit at the same positions") {
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    const TensorFile ours = file_with("x", Shape{3}, {nan, inf, 1.0});
    CHECK(audit(ours, file_with("x", Shape{3}, {nan, inf, 1.0}), Tolerance{}).passes());
    const AuditResult r = audit(ours, file_with("x", Shape{3}, {0.0, -inf, 1.0}), Tolerance{1, 1});
    CHECK(r.tensors[0].nonfinite_mismatches == 2);
    CHECK(r.tensors[0].verdict == Verdict::Fail);
}

TEST_CASE("size-1 dimensions aside, shapes must agree; names in one file are listed") {
    TensorFile ours = file_with("m", Shape{1, 1, 2, 2}, {1, 2, 3, 4});
    ours.arrays["only_ours"] = StoredArray{"float32", Tensor::from_values(Shape{1}, {0.0}, DType::F64)};
    TensorFile ref = file_with("m", Shape{2, 2}, {1, 2, 3, 4});
    ref.arrays["only_ref"] = StoredArray{"float64", Tensor::from_values(Shape{1}, {0.0}, DType::F64)};
    AuditResult r = audit(ours, ref, Tolerance{});
    CHECK(r.compared == 1);
    CHECK(r.only_ours == 1);
    CHECK(r.only_reference == 1);
    CHECK(r.passes());
    ref.arrays["m"] = StoredArray{"float64", Tensor::from_values(Shape{4}, {1, 2, 3, 4}, DType::F64)};
    r = audit(ours, ref, Tolerance{});
    CHECK(r.tensors[0].verdict == Verdict::ShapeMismatch);
    CHECK_FALSE(r.passes());
}

TEST_CASE("the layer and each image's class must agree; nothing in common fails") {
    TensorFile ours = file_with("m", Shape{1}, {1});
    TensorFile ref = file_with("m", Shape{1}, {1});
    ours.attributes = {{"layer", "layer4"}, {"cat/class", "3"}, {"igcam_version", "0.1.0"}};
    ref.attributes = {{"layer", "layer4"}, {"cat/class", "3"}, {"reference", "torch"}};
    CHECK(audit(ours, ref, Tolerance{}).passes());
    ref.attributes["cat/class"] = std::to_string(4);  // (a literal here trips GCC 12's false -Wrestrict)
    const AuditResult r = audit(ours, ref, Tolerance{});
    CHECK_FALSE(r.passes());
    REQUIRE(r.attributes.size() == 2);
    CHECK_FALSE(audit(file_with("a", Shape{1}, {1}), file_with("b", Shape{1}, {1}), Tolerance{}).passes());
}
