#include "eval/metric_registry.h"

#include <algorithm>
#include <sstream>

#include "core/error.h"

namespace igcam::eval {

const std::vector<MetricSpec>& metric_registry() {
    static const std::vector<MetricSpec> registry = {
        {"ebpg", "EBPG %", Family::Localisation, Aggregate::Mean, true, true, 100,
         "energy-based pointing game: the share of the map's energy inside the class's boxes"},
        {"bbox", "Bbox %", Family::Localisation, Aggregate::Mean, true, true, 100,
         "of the n highest pixels (n = the boxes' area), the share inside the boxes (--ties)"},
        {"pointing", "Pointing %", Family::Localisation, Aggregate::ClassMean, true, true, 100,
         "the map's maximum within --tolerance pixels of a box (TorchRay's rules; per-class mean)"},
        {"drop", "Drop %", Family::Fidelity, Aggregate::Mean, false, true, 1,
         "Average Drop: 100 max(0, Y - O) / Y, O the score of the input masked by the map"},
        {"increase", "Increase %", Family::Fidelity, Aggregate::Mean, true, true, 1,
         "Increase in Confidence: 100 when O > Y"},
        {"deletion", "Deletion AUC", Family::Fidelity, Aggregate::Mean, false, false, 1,
         "area under the score as the map's pixels are removed, most salient first (RISE)"},
        {"insertion", "Insertion AUC", Family::Fidelity, Aggregate::Mean, true, false, 1,
         "area under the score as the map's pixels are revealed on a blurred image (RISE)"},
    };
    return registry;
}

const MetricSpec& find_metric(const std::string& name) {
    for (const MetricSpec& m : metric_registry())
        if (m.name == name) return m;
    std::ostringstream names;
    for (const MetricSpec& m : metric_registry()) names << (&m == &metric_registry().front() ? "" : ", ") << m.name;
    detail::throw_error<ValueError>("unknown metric '", name, "' (", names.str(), ", default or all)");
}

std::vector<const MetricSpec*> parse_metric_list(const std::string& list) {
    std::vector<bool> chosen(metric_registry().size(), false);
    std::stringstream in(list);
    for (std::string name; std::getline(in, name, ',');) {
        if (name.empty()) continue;
        for (std::size_t i = 0; i < metric_registry().size(); ++i) {
            const MetricSpec& m = metric_registry()[i];
            if (name == "all" || (name == "default" && m.by_default)) chosen[i] = true;
        }
        if (name != "all" && name != "default")
            chosen[static_cast<std::size_t>(&find_metric(name) - metric_registry().data())] = true;
    }
    std::vector<const MetricSpec*> out;
    for (std::size_t i = 0; i < chosen.size(); ++i)
        if (chosen[i]) out.push_back(&metric_registry()[i]);
    IGCAM_CHECK(!out.empty(), ValueError, "--metrics names no metric");
    return out;
}

}  // namespace igcam::eval
