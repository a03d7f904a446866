#include "tools/eval_summary_files.h"

#include <cstdio>
#include <filesystem>
#include <map>

#include "core/io/staged_file.h"

namespace igcam::tools {

using json = nlohmann::json;

namespace {

// Percentages with 2 decimals, areas under curves with 4.
std::string format_value(const eval::MetricSummary& m, const std::optional<double>& v) {
    if (!v) return "n/a";
    char text[64];
    std::snprintf(text, sizeof text, m.metric->scale == 100 || m.metric->name == "drop" || m.metric->name == "increase"
                                         ? "%.2f" : "%.4f", *v);
    return text;
}

std::string cell(const eval::MetricSummary& m) {
    if (!m.value) return "n/a";
    std::string text = format_value(m, m.value);
    if (m.low && m.high) text += " [" + format_value(m, m.low) + ", " + format_value(m, m.high) + "]";
    return text;
}

std::string full(const std::optional<double>& v) {
    if (!v) return "";
    char text[64];
    std::snprintf(text, sizeof text, "%.6f", *v);
    return text;
}

}  // namespace

std::string summary_markdown(const std::vector<eval::MethodSummary>& summary, const json& settings) {
    std::string md = "| Method | Images |";
    std::string rule = "|---|---:|";
    if (!summary.empty())
        for (const eval::MetricSummary& m : summary.front().metrics) {
            md.append(" ").append(m.metric->title).append(m.metric->higher_is_better ? " ↑ |" : " ↓ |");
            rule += "---:|";
        }
    md += "\n" + rule + "\n";
    for (const eval::MethodSummary& s : summary) {
        md.append("| ").append(s.method).append(" | ").append(std::to_string(s.images)).append(" |");
        for (const eval::MetricSummary& m : s.metrics) md.append(" ").append(cell(m)).append(" |");
        md += "\n";
    }
    md += "\nMean [95 % bootstrap interval over images]; score " + settings.value("score", std::string()) +
          ", masks in " + settings.value("mask_space", std::string()) + " space, targets " +
          settings.value("target", std::string()) + ", Bbox ties " + settings.value("ties", std::string()) + ".\n";
    return md;
}

std::string summary_csv(const std::vector<eval::MethodSummary>& summary) {
    std::string csv = "method,images";
    if (!summary.empty())
        for (const eval::MetricSummary& m : summary.front().metrics)
            for (const char* suffix : {"", "_low", "_high", "_rows"}) csv.append(",").append(m.metric->name).append(suffix);
    csv += "\n";
    for (const eval::MethodSummary& s : summary) {
        csv += s.method + "," + std::to_string(s.images);
        for (const eval::MetricSummary& m : s.metrics)
            csv.append(",").append(full(m.value)).append(",").append(full(m.low)).append(",").append(full(m.high))
                .append(",").append(std::to_string(m.rows));
        csv += "\n";
    }
    return csv;
}

json summary_json(const std::vector<eval::MethodSummary>& summary, const std::vector<eval::Row>& rows,
                  const json& settings) {
    auto number = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
    json methods = json::array();
    for (const eval::MethodSummary& s : summary) {
        json metrics = json::object();
        for (const eval::MetricSummary& m : s.metrics) {
            metrics[m.metric->name] = {{"value", number(m.value)}, {"low", number(m.low)},   {"high", number(m.high)},
                                       {"rows", m.rows},           {"undefined", m.undefined}};
            if (m.metric->aggregate == eval::Aggregate::ClassMean) metrics[m.metric->name]["classes"] = m.classes;
        }
        methods.push_back({{"method", s.method}, {"images", s.images}, {"metrics", metrics}});
    }
    std::map<std::string, std::pair<double, int64_t>> map_ms, metric_ms;
    int64_t failed = 0, skipped = 0;
    for (const eval::Row& r : rows) {
        if (r.failed) {
            (r.skipped ? skipped : failed) += 1;
            continue;
        }
        if (!r.timed) continue;
        map_ms[r.method].first += r.map_ms, map_ms[r.method].second += 1;
        metric_ms[r.method].first += r.metrics_ms, metric_ms[r.method].second += 1;
    }
    json timing = json::object();
    for (const auto& [method, total] : map_ms)
        timing[method] = {{"map_ms_per_row", total.first / static_cast<double>(total.second)},
                          {"metrics_ms_per_row", metric_ms[method].first / static_cast<double>(metric_ms[method].second)}};
    json out = {{"settings", settings}, {"methods", methods}, {"failed_images", failed}, {"skipped_images", skipped},
                {"bootstrap", "95 % percentile interval over images, numpy's linear rule"}};
    // Without timings (--no-timings) the file is the same, byte for byte, run to run.
    if (!timing.empty()) out["timing"] = timing;
    return out;
}

void write_summary_files(const std::string& out_dir, const std::vector<eval::MethodSummary>& summary,
                         const std::vector<eval::Row>& rows, const json& settings) {
    const std::filesystem::path dir(out_dir);
    io::StagedFiles staged;
    io::write_text_file(staged.add((dir / "summary.json").string()), summary_json(summary, rows, settings).dump(1) + "\n");
    io::write_text_file(staged.add((dir / "summary.csv").string()), summary_csv(summary));
    io::write_text_file(staged.add((dir / "summary.md").string()), summary_markdown(summary, settings));
    staged.commit_all();
}

void print_summary_table(std::ostream& out, const std::vector<eval::MethodSummary>& summary) {
    for (const eval::MethodSummary& s : summary) {
        out << s.method << " (" << s.images << " images)\n";
        for (const eval::MetricSummary& m : s.metrics)
            out << "  " << m.metric->title << ": " << cell(m) << "  (" << m.rows << " rows"
                << (m.undefined > 0 ? ", " + std::to_string(m.undefined) + " undefined" : "") << ")\n";
    }
}

}  // namespace igcam::tools
