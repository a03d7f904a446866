#include "core/device.h"

#include <cctype>

#include "core/dtype.h"
#include "core/error.h"

namespace igcam {

std::string Device::to_string() const {
    return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
}

Device Device::parse(const std::string& text) {
    if (text == "cpu") return cpu();
    if (text == "cuda") return cuda(0);
    const std::string prefix = "cuda:";
    if (text.rfind(prefix, 0) == 0 && text.size() > prefix.size() && text.size() <= prefix.size() + 3) {
        int index = 0;
        for (std::size_t i = prefix.size(); i < text.size(); ++i) {
            IGCAM_CHECK(std::isdigit(static_cast<unsigned char>(text[i])), ValueError,
                        "unknown device '", text, "' (expected cpu, cuda or cuda:N)");
            index = index * 10 + (text[i] - '0');
        }
        return cuda(index);
    }
    detail::throw_error<ValueError>("unknown device '", text, "' (expected cpu, cuda or cuda:N)");
}

DType parse_dtype(const std::string& text) {
    if (text == "f32" || text == "float32") return DType::F32;
    if (text == "f64" || text == "float64") return DType::F64;
    detail::throw_error<ValueError>("unknown dtype '", text, "' (expected f32 or f64)");
}

}  // namespace igcam
