// The evaluator's summary as files and as the table it prints: OUT/summary.json (every
// number, the settings, and the time per row), OUT/summary.csv (one line per method),
// OUT/summary.md (the paper-shaped table: mean [95 % interval] per method and metric).
// summary.csv and summary.md hold no timings, so an interrupted and resumed run writes them
// byte for byte as an uninterrupted one; summary.json's "timing" is the only part that varies
// (and is left out when the rows hold no timings: igcam-eval --no-timings).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/summary.h"

namespace igcam::tools {

std::string summary_markdown(const std::vector<eval::MethodSummary>& summary, const nlohmann::json& settings);
std::string summary_csv(const std::vector<eval::MethodSummary>& summary);
nlohmann::json summary_json(const std::vector<eval::MethodSummary>& summary, const std::vector<eval::Row>& rows,
                            const nlohmann::json& settings);

// Writes the three files, each whole or not at all.
void write_summary_files(const std::string& out_dir, const std::vector<eval::MethodSummary>& summary,
                         const std::vector<eval::Row>& rows, const nlohmann::json& settings);
void print_summary_table(std::ostream& out, const std::vector<eval::MethodSummary>& summary);

}  // namespace igcam::tools
