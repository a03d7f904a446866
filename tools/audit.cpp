#include "tools/audit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include "tools/number_text.h"

namespace igcam::tools {
namespace {

std::vector<int64_t> dims_of(const Tensor& t) {
    std::vector<int64_t> dims;
    for (int d = 0; d < t.rank(); ++d) dims.push_back(t.dim(d));
    return dims;
}

std::vector<int64_t> without_unit_dims(const std::vector<int64_t>& dims) {
    std::vector<int64_t> kept;
    for (int64_t d : dims)
        if (d != 1) kept.push_back(d);
    return kept;
}

std::vector<int64_t> unravel(int64_t flat, const std::vector<int64_t>& dims) {
    std::vector<int64_t> index(dims.size(), 0);
    for (std::size_t d = dims.size(); d-- > 0;) {
        index[d] = dims[d] > 0 ? flat % dims[d] : 0;
        flat = dims[d] > 0 ? flat / dims[d] : 0;
    }
    return index;
}

std::string shape_text(const std::vector<int64_t>& dims) {
    std::string text = "(";
    for (std::size_t d = 0; d < dims.size(); ++d) text.append(d ? ", " : "").append(std::to_string(dims[d]));
    return text.append(dims.size() == 1 ? ",)" : ")");
}

std::string index_text(const std::vector<int64_t>& index) {
    std::string text = "[";
    for (std::size_t d = 0; d < index.size(); ++d) text.append(d ? "," : "").append(std::to_string(index[d]));
    return text.append("]");
}

std::string number(double v, const char* format = "%.3g") { return number_text(v, format); }

// Both sides' values, element by element: the worst finite difference and where it is.
void compare_values(const Tensor& ours, const Tensor& reference, TensorComparison& row) {
    const double* a = ours.data<double>();
    const double* b = reference.data<double>();
    int64_t worst = -1;
    for (int64_t i = 0; i < ours.numel(); ++i) {
        const bool finite_a = std::isfinite(a[i]), finite_b = std::isfinite(b[i]);
        if (finite_b) row.max_reference = std::max(row.max_reference, std::fabs(b[i]));
        if (!finite_a || !finite_b) {
            const bool same = (std::isnan(a[i]) && std::isnan(b[i])) || a[i] == b[i];
            if (!same) ++row.nonfinite_mismatches;
            continue;
        }
        const double delta = std::fabs(a[i] - b[i]);
        if (worst < 0 || delta > row.max_abs) {
            row.max_abs = delta;
            worst = i;
        }
    }
    if (worst >= 0) {
        row.worst_index = unravel(worst, row.ours_shape);
        row.ours_value = a[worst];
        row.reference_value = b[worst];
    }
    row.relative = row.max_reference > 0 ? row.max_abs / row.max_reference
                   : row.max_abs > 0     ? std::numeric_limits<double>::infinity()
                                         : 0.0;
}

// The attributes of one file that an audit compares: the layer and every image's class.
bool compared_attribute(const std::string& key) {
    return key == "layer" || (key.size() > 6 && key.compare(key.size() - 6, 6, "/class") == 0);
}

}  // namespace

const char* to_string(Verdict v) {
    switch (v) {
        case Verdict::Pass: return "pass";
        case Verdict::Fail: return "FAIL";
        case Verdict::ShapeMismatch: return "FAIL (shape)";
        case Verdict::OnlyOurs: return "only in ours";
        case Verdict::OnlyReference: return "only in reference";
    }
    return "?";
}

bool AuditResult::passes() const {
    if (compared == 0 || failed > 0) return false;
    return std::all_of(attributes.begin(), attributes.end(), [](const AttributeComparison& a) { return a.equal; });
}

AuditResult audit(const TensorFile& ours, const TensorFile& reference, const Tolerance& tolerance) {
    AuditResult result;
    result.tolerance = tolerance;
    std::set<std::string> names;
    for (const auto& [name, array] : ours.arrays) names.insert(name);
    for (const auto& [name, array] : reference.arrays) names.insert(name);
    for (const std::string& name : names) {
        TensorComparison row;
        row.name = name;
        const auto a = ours.arrays.find(name);
        const auto b = reference.arrays.find(name);
        if (a != ours.arrays.end()) {
            row.ours_shape = dims_of(a->second.values);
            row.ours_dtype = a->second.dtype;
        }
        if (b != reference.arrays.end()) {
            row.reference_shape = dims_of(b->second.values);
            row.reference_dtype = b->second.dtype;
        }
        if (b == reference.arrays.end()) {
            row.verdict = Verdict::OnlyOurs;
            ++result.only_ours;
        } else if (a == ours.arrays.end()) {
            row.verdict = Verdict::OnlyReference;
            ++result.only_reference;
        } else {
            ++result.compared;
            if (without_unit_dims(row.ours_shape) != without_unit_dims(row.reference_shape)) {
                row.verdict = Verdict::ShapeMismatch;
            } else {
                compare_values(a->second.values, b->second.values, row);
                const bool close = row.max_abs <= tolerance.atol + tolerance.rtol * row.max_reference;
                row.verdict = close && row.nonfinite_mismatches == 0 ? Verdict::Pass : Verdict::Fail;
            }
            if (row.verdict == Verdict::Pass) ++result.passed;
            else ++result.failed;
        }
        result.tensors.push_back(std::move(row));
    }
    for (const auto& [key, value] : ours.attributes) {
        const auto other = reference.attributes.find(key);
        if (!compared_attribute(key) || other == reference.attributes.end()) continue;
        result.attributes.push_back({key, value, other->second, value == other->second});
    }
    return result;
}

void print_audit(const AuditResult& result, const TensorFile& ours, const TensorFile& reference, std::ostream& out) {
    auto source = [](const TensorFile& f) {
        std::string text = f.path + " (" + f.format;
        for (const char* key : {"reference", "igcam_version", "dtype", "layer"}) {
            const auto it = f.attributes.find(key);
            if (it == f.attributes.end()) continue;
            text.append(", ").append(std::string(key) == "igcam_version" ? "igcam " : std::string(key) == "reference" ? "" : std::string(key) + " ").append(it->second);
        }
        return text + ")";
    };
    out << "ours:      " << source(ours) << "\nreference: " << source(reference) << "\n"
        << "pass: max|d| <= " << number(result.tolerance.atol) << " + " << number(result.tolerance.rtol)
        << " * max|ref|\n\n";

    std::size_t width = 6;
    for (const TensorComparison& row : result.tensors) width = std::max(width, row.name.size());
    char line[512];
    std::snprintf(line, sizeof line, "%-*s  %-18s %-9s %10s %10s %10s  %-14s %13s %13s  %s\n", static_cast<int>(width),
                  "tensor", "shape", "dtypes", "max|d|", "max|ref|", "rel", "worst at", "ours", "reference", "result");
    out << line;
    for (const TensorComparison& row : result.tensors) {
        const bool both = row.verdict != Verdict::OnlyOurs && row.verdict != Verdict::OnlyReference;
        const bool values = both && row.verdict != Verdict::ShapeMismatch;
        std::string shape = shape_text(row.verdict == Verdict::OnlyReference ? row.reference_shape : row.ours_shape);
        if (row.verdict == Verdict::ShapeMismatch) shape += " vs " + shape_text(row.reference_shape);
        auto short_dtype = [](const std::string& d) { return d == "float64" ? "f64" : d == "float32" ? "f32" : d; };
        const std::string dtypes = both ? std::string(short_dtype(row.ours_dtype)) + "/" + short_dtype(row.reference_dtype)
                                        : short_dtype(row.verdict == Verdict::OnlyOurs ? row.ours_dtype : row.reference_dtype);
        std::string verdict = to_string(row.verdict);
        if (row.nonfinite_mismatches > 0) verdict += " (" + std::to_string(row.nonfinite_mismatches) + " NaN/inf differ)";
        std::snprintf(line, sizeof line, "%-*s  %-18s %-9s %10s %10s %10s  %-14s %13s %13s  %s\n", static_cast<int>(width),
                      row.name.c_str(), shape.c_str(), dtypes.c_str(), values ? number(row.max_abs).c_str() : "",
                      values ? number(row.max_reference).c_str() : "", values ? number(row.relative).c_str() : "",
                      values ? index_text(row.worst_index).c_str() : "",
                      values ? number(row.ours_value, "%.6g").c_str() : "",
                      values ? number(row.reference_value, "%.6g").c_str() : "", verdict.c_str());
        out << line;
    }
    for (const AttributeComparison& a : result.attributes)
        if (!a.equal) out << "FAIL attribute " << a.name << ": ours " << a.ours << ", reference " << a.reference << "\n";
    for (const std::string& s : ours.skipped) out << "not compared (ours holds no floats): " << s << "\n";
    for (const std::string& s : reference.skipped) out << "not compared (reference holds no floats): " << s << "\n";
    out << "\n" << result.compared << " tensors compared: " << result.passed << " pass, " << result.failed << " fail";
    if (result.only_ours + result.only_reference > 0)
        out << "; " << result.only_ours << " only in ours, " << result.only_reference << " only in the reference";
    out << "\n" << (result.passes() ? "AUDIT PASSED" : result.compared == 0 ? "AUDIT FAILED: no tensor name is in both files"
                                                                         : "AUDIT FAILED") << "\n";
}

nlohmann::json audit_json(const AuditResult& result, const TensorFile& ours, const TensorFile& reference) {
    using nlohmann::json;
    // JSON has no infinity or NaN: a relative error without a reference scale is null.
    auto finite_or_null = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    json tensors = json::array();
    for (const TensorComparison& row : result.tensors) {
        json entry{{"name", row.name}, {"result", to_string(row.verdict)}, {"pass", row.verdict == Verdict::Pass}};
        if (!row.ours_shape.empty() || !row.ours_dtype.empty()) entry["ours"] = {{"shape", row.ours_shape}, {"dtype", row.ours_dtype}};
        if (!row.reference_dtype.empty()) entry["reference"] = {{"shape", row.reference_shape}, {"dtype", row.reference_dtype}};
        if (row.verdict == Verdict::Pass || row.verdict == Verdict::Fail) {
            entry["max_abs"] = finite_or_null(row.max_abs);
            entry["max_reference"] = finite_or_null(row.max_reference);
            entry["relative"] = finite_or_null(row.relative);
            entry["worst_index"] = row.worst_index;
            entry["ours_value"] = finite_or_null(row.ours_value);
            entry["reference_value"] = finite_or_null(row.reference_value);
            entry["nonfinite_mismatches"] = row.nonfinite_mismatches;
        }
        tensors.push_back(std::move(entry));
    }
    json attributes = json::array();
    for (const AttributeComparison& a : result.attributes)
        attributes.push_back({{"name", a.name}, {"ours", a.ours}, {"reference", a.reference}, {"equal", a.equal}});
    return json{{"ours", {{"path", ours.path}, {"format", ours.format}, {"attributes", ours.attributes}, {"skipped", ours.skipped}}},
                {"reference", {{"path", reference.path}, {"format", reference.format}, {"attributes", reference.attributes},
                               {"skipped", reference.skipped}}},
                {"rtol", result.tolerance.rtol},
                {"atol", result.tolerance.atol},
                {"rule", "max|ours - ref| <= atol + rtol * max|ref|, NaN and infinities at the same positions"},
                {"tensors", tensors},
                {"attributes", attributes},
                {"compared", result.compared},
                {"passed", result.passed},
                {"failed", result.failed},
                {"only_ours", result.only_ours},
                {"only_reference", result.only_reference},
                {"pass", result.passes()}};
}

}  // namespace igcam::tools
