// The summary: one line per method with each metric's aggregate over the rows and its 95 %
// bootstrap interval. The bootstrap resamples images (all rows of an image together, every
// method with the same draws), 2.5th and 97.5th percentiles with numpy's linear rule, from
// std::mt19937_64 seeded with `seed`, so a rerun prints the same numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eval/metric_registry.h"
#include "eval/row.h"

namespace igcam::eval {

struct MetricSummary {
    const MetricSpec* metric = nullptr;
    std::optional<double> value, low, high;  // scaled (metric->scale); null when no row defines it
    int64_t rows = 0;                        // rows that define the metric
    int64_t undefined = 0;                   // rows of its family where it is not defined (all-zero maps, Y = 0)
    int64_t classes = 0;                     // ClassMean: classes evaluated
};

struct MethodSummary {
    std::string method;
    int64_t images = 0;      // images with rows for this method
    std::vector<MetricSummary> metrics;
};

struct SummaryOptions {
    int64_t resamples = 1000;
    uint64_t seed = 0;
};

// rows: every row of the run, any order (failed rows are skipped); methods and metrics in
// the order they are reported.
std::vector<MethodSummary> summarise(const std::vector<Row>& rows, const std::vector<std::string>& methods,
                                     const std::vector<const MetricSpec*>& metrics, const SummaryOptions& options);

}  // namespace igcam::eval
