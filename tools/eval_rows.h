// OUT/rows.jsonl: the evaluator's rows, one JSON object a line, flushed image by image so an
// interrupted run loses at most the image it was writing.
//
// Line 1 is the header, {"igcam_eval": {"version", "settings"}}: the settings that change
// the numbers, which --resume must find unchanged. Every other line is one row (eval/row.h)
// with "rows_of_image", the number of rows its image has: the rows of an image are written
// together, so an image whose rows are not all there (the run died while writing it) is cut
// off and recomputed on resume, and a last line without its newline is never trusted.
#pragma once

#include <cstdint>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/row.h"

namespace igcam::tools {

nlohmann::json row_to_json(const eval::Row& row, int64_t rows_of_image);
// Throws FormatError naming `where` for an object that is not a row.
eval::Row row_from_json(const nlohmann::json& j, const std::string& where);

struct RowFileContents {
    std::vector<eval::Row> rows;       // the complete images' rows, in file order
    std::set<int64_t> images;          // their image indices
    int64_t cut_bytes = 0;             // bytes of an incomplete last image removed
};

// Reads an existing rows file for --resume: checks its header's settings against
// `settings` (UsageError naming the settings that differ), truncates the file after its
// last complete image, and returns what it holds. FormatError for a file that is not one
// igcam-eval wrote (a malformed line before the end).
RowFileContents resume_rows(const std::string& path, const nlohmann::json& settings);
// Reads a complete rows file (the summary's input).
std::vector<eval::Row> read_rows(const std::string& path);

// Rewrites a complete rows file with its images in dataset order (each image's lines kept
// as they are), when they are not in that order already; the header stays first.
void order_rows_file(const std::string& path);

class RowWriter {
public:
    // Appends to `path`; a new file gets the header first.
    RowWriter(const std::string& path, const nlohmann::json& settings, bool append);
    // One image's rows as the file's lines (what an MPI rank sends rank 0).
    static std::string lines(const std::vector<eval::Row>& rows);
    // Appends one image's lines, then flushes.
    void append(const std::string& lines);

private:
    std::string path_;
    std::ofstream out_;
};

}  // namespace igcam::tools
