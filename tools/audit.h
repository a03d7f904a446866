// igcam-audit's comparison: every tensor present in both files, element by element, in
// float64 whatever the stored dtypes.
//
// A tensor passes when max |ours - ref| <= atol + rtol * max |ref| and both hold NaN and
// infinities at the same positions (the worst error measured against the reference's own
// scale, so that the many zeros of a ReLU'd map do not make a relative test meaningless).
// Shapes that agree once their size-1 dimensions are dropped ((7, 7) and (1, 1, 7, 7)) are
// compared; others are reported as a mismatch, which fails.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/tensor_file.h"

namespace igcam::tools {

enum class Verdict { Pass, Fail, ShapeMismatch, OnlyOurs, OnlyReference };
const char* to_string(Verdict v);

struct Tolerance {
    double rtol = 1e-5;
    double atol = 0;
};

struct TensorComparison {
    std::string name;
    Verdict verdict = Verdict::Pass;
    std::vector<int64_t> ours_shape, reference_shape;
    std::string ours_dtype, reference_dtype;
    double max_abs = 0;        // max |ours - ref| over the elements finite in both
    double max_reference = 0;  // max |ref| over its finite elements
    double relative = 0;       // max_abs / max_reference (0 when both are 0, inf when only ref is)
    std::vector<int64_t> worst_index;  // where max_abs is, in ours' shape
    double ours_value = 0, reference_value = 0;
    int64_t nonfinite_mismatches = 0;  // positions where exactly one side is NaN, or the infinities differ
};

// An attribute both files carry (the layer, each image's class) that must agree.
struct AttributeComparison {
    std::string name, ours, reference;
    bool equal = true;
};

struct AuditResult {
    Tolerance tolerance;
    std::vector<TensorComparison> tensors;     // by name
    std::vector<AttributeComparison> attributes;
    int64_t compared = 0, passed = 0, failed = 0;
    int64_t only_ours = 0, only_reference = 0;
    bool passes() const;  // something compared, every tensor and attribute agreeing
};

AuditResult audit(const TensorFile& ours, const TensorFile& reference, const Tolerance& tolerance);

// The table: name, shape, dtypes, max |Δ|, max |Δ| / max |ref|, the worst element's index and
// values, the verdict; then attribute disagreements and the summary line.
void print_audit(const AuditResult& result, const TensorFile& ours, const TensorFile& reference, std::ostream& out);
nlohmann::json audit_json(const AuditResult& result, const TensorFile& ours, const TensorFile& reference);

}  // namespace igcam::tools
