// The metric registry: every metric igcam-eval computes, in one table (metric_registry.cpp).
// The evaluator's flags and help, the rows and the summary read it.
#pragma once

#include <string>
#include <vector>

namespace igcam::eval {

enum class Family {
    Localisation,  // against the boxes of a class present in the image, in the image's pixels
    Fidelity,      // against the model's confidence on masked inputs, in the model input's frame
};

enum class Aggregate {
    Mean,       // the mean over the rows where the metric is defined
    ClassMean,  // per class hits / (hits + misses), then the mean over the classes evaluated
};

struct MetricSpec {
    std::string name;         // as given to --metrics, and the key in rows and summaries
    std::string title;        // the summary table's column ("EBPG %", "Drop %")
    Family family;
    Aggregate aggregate;
    bool higher_is_better;
    bool by_default;          // run without --metrics (deletion and insertion cost --steps forwards)
    double scale;             // summary value = scale * aggregate (100 for fractions shown in %)
    std::string description;  // one line for --help
};

const std::vector<MetricSpec>& metric_registry();
const MetricSpec& find_metric(const std::string& name);  // ValueError listing the names
// "ebpg,drop", "default" or "all"; each metric once, in registry order. ValueError for an
// unknown name or a list that names none.
std::vector<const MetricSpec*> parse_metric_list(const std::string& list);

}  // namespace igcam::eval
