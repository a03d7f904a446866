#include "tools/eval_rows.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "core/io/staged_file.h"
#include "tools/usage_error.h"

namespace igcam::tools {

using json = nlohmann::json;

namespace {
const char* const kVersion = "1";
}

json row_to_json(const eval::Row& r, int64_t rows_of_image) {
    json j = {{"index", r.image_index}, {"image", r.image}};
    if (r.failed) {
        j["failed"] = true;
        j["error"] = r.error;
        if (r.skipped) j["skipped"] = true;
    } else {
        json metrics = json::object();
        for (const auto& [name, value] : r.metrics) metrics[name] = value ? json(*value) : json(nullptr);
        j.update({{"class", r.class_name},       {"class_index", r.class_index},   {"method", r.method},
                  {"localisation", r.localisation}, {"fidelity", r.fidelity},    {"difficult_only", r.difficult_only},
                  {"metrics", metrics},          {"score", r.score},               {"masked_score", r.masked_score}});
        if (r.timed) j.update({{"map_ms", r.map_ms}, {"metrics_ms", r.metrics_ms}});
    }
    j["rows_of_image"] = rows_of_image;
    return j;
}

eval::Row row_from_json(const json& j, const std::string& where) {
    try {
        eval::Row r;
        r.image_index = j.at("index").get<int64_t>();
        r.image = j.at("image").get<std::string>();
        if (j.value("failed", false)) {
            r.failed = true;
            r.error = j.at("error").get<std::string>();
            r.skipped = j.value("skipped", false);
            return r;
        }
        r.class_name = j.at("class").get<std::string>();
        r.class_index = j.at("class_index").get<int64_t>();
        r.method = j.at("method").get<std::string>();
        r.localisation = j.at("localisation").get<bool>();
        r.fidelity = j.at("fidelity").get<bool>();
        r.difficult_only = j.at("difficult_only").get<bool>();
        for (const auto& [name, value] : j.at("metrics").items())
            r.metrics[name] = value.is_null() ? std::nullopt : std::optional<double>(value.get<double>());
        r.score = j.at("score").get<double>();
        r.masked_score = j.at("masked_score").get<double>();
        r.timed = j.contains("map_ms");
        if (r.timed) {
            r.map_ms = j.at("map_ms").get<double>();
            r.metrics_ms = j.at("metrics_ms").get<double>();
        }
        return r;
    } catch (const json::exception& e) {
        detail::throw_error<FormatError>(where, ": not a row igcam-eval wrote (", e.what(), ")");
    }
}

namespace {

struct Parsed {
    json header;
    std::vector<eval::Row> rows;
    std::set<int64_t> images;
    std::streamoff good_end = 0;  // the end of the last complete image
    std::streamoff size = 0;
};

// Reads the file; `tolerant`: a bad or unterminated last line, and an incomplete last
// image, end the contents instead of failing.
Parsed parse_rows_file(const std::string& path, bool tolerant) {
    std::ifstream in(path, std::ios::binary);
    IGCAM_CHECK(in, IoError, path, ": cannot read the rows file");
    Parsed p;
    std::map<int64_t, std::pair<int64_t, int64_t>> counts;  // image -> (rows seen, rows_of_image)
    std::vector<eval::Row> pending;
    int64_t pending_image = -1;
    std::string line;
    int64_t number = 0;
    std::streamoff offset = 0;
    while (std::getline(in, line)) {
        ++number;
        const bool terminated = !in.eof();
        const std::streamoff next = offset + static_cast<std::streamoff>(line.size()) + (terminated ? 1 : 0);
        const std::string where = path + ":" + std::to_string(number);
        json j;
        bool bad = !terminated;
        if (!bad) {
            j = json::parse(line, nullptr, false);
            bad = j.is_discarded() || !j.is_object();
        }
        if (bad) {
            IGCAM_CHECK(tolerant && in.peek() == std::char_traits<char>::eof(), FormatError, where,
                        ": not a complete JSON line (the rows file is damaged)");
            break;
        }
        if (number == 1) {
            IGCAM_CHECK(j.contains("igcam_eval"), FormatError, path, ": not a rows file igcam-eval wrote (no header)");
            p.header = j["igcam_eval"];
            p.good_end = next;
            offset = next;
            continue;
        }
        eval::Row row = row_from_json(j, where);
        const int64_t of_image = j.value("rows_of_image", int64_t{0});
        IGCAM_CHECK(of_image >= 1, FormatError, where, ": not a row igcam-eval wrote (no rows_of_image)");
        if (row.image_index != pending_image) {
            IGCAM_CHECK(pending.empty(), FormatError, where, ": image ", pending_image,
                        " has fewer rows than it announces");
            IGCAM_CHECK(p.images.count(row.image_index) == 0, FormatError, where, ": image ", row.image_index,
                        " appears twice");
            pending_image = row.image_index;
        }
        pending.push_back(std::move(row));
        offset = next;
        if (static_cast<int64_t>(pending.size()) == of_image) {
            p.images.insert(pending_image);
            for (eval::Row& r : pending) p.rows.push_back(std::move(r));
            pending.clear();
            pending_image = -1;
            p.good_end = next;
        }
    }
    IGCAM_CHECK(number >= 1 && !p.header.is_null(), FormatError, path, ": an empty rows file");
    IGCAM_CHECK(tolerant || pending.empty(), FormatError, path, ": the last image's rows are incomplete");
    p.size = static_cast<std::streamoff>(std::filesystem::file_size(path));
    return p;
}

}  // namespace

RowFileContents resume_rows(const std::string& path, const json& settings) {
    Parsed p = parse_rows_file(path, true);
    const json& old = p.header.value("settings", json::object());
    if (old != settings) {
        std::string differ;
        for (const auto& [key, value] : settings.items())
            if (!old.contains(key) || old[key] != value) differ += (differ.empty() ? "" : ", ") + key;
        for (const auto& [key, value] : old.items())
            if (!settings.contains(key)) differ += (differ.empty() ? "" : ", ") + key;
        throw UsageError(path + ": --resume needs the settings of the run that wrote it; these differ: " + differ);
    }
    RowFileContents c;
    c.cut_bytes = p.size - p.good_end;
    if (c.cut_bytes > 0) std::filesystem::resize_file(path, static_cast<std::uintmax_t>(p.good_end));
    c.rows = std::move(p.rows);
    c.images = std::move(p.images);
    return c;
}

std::vector<eval::Row> read_rows(const std::string& path) { return parse_rows_file(path, false).rows; }

RowWriter::RowWriter(const std::string& path, const json& settings, bool append)
    : path_(path), out_(path, append ? std::ios::app | std::ios::binary : std::ios::trunc | std::ios::binary) {
    IGCAM_CHECK(out_, IoError, path, ": cannot write the rows file");
    if (!append) {
        out_ << json{{"igcam_eval", {{"version", kVersion}, {"settings", settings}}}}.dump() << "\n";
        out_.flush();
    }
}

std::string RowWriter::lines(const std::vector<eval::Row>& rows) {
    std::string text;
    for (const eval::Row& r : rows) text.append(row_to_json(r, static_cast<int64_t>(rows.size())).dump()).push_back('\n');
    return text;
}

void RowWriter::append(const std::string& lines) {
    out_ << lines;
    out_.flush();
    IGCAM_CHECK(out_, IoError, path_, ": cannot write the rows file (disk full?)");
}

void order_rows_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    IGCAM_CHECK(in, IoError, path, ": cannot read the rows file");
    std::string header, line;
    std::getline(in, header);
    // Each image's lines (consecutive in the file), keyed by its index.
    std::vector<std::pair<int64_t, std::string>> images;
    int64_t last = -1;
    bool ordered = true;
    while (std::getline(in, line)) {
        const int64_t index = json::parse(line).at("index").get<int64_t>();
        if (images.empty() || index != last) {
            ordered = ordered && (images.empty() || index > last);
            images.emplace_back(index, std::string());
            last = index;
        }
        images.back().second.append(line).push_back('\n');
    }
    in.close();
    if (ordered) return;
    std::stable_sort(images.begin(), images.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string text = header + "\n";
    for (const auto& [index, lines] : images) text += lines;
    io::StagedFile file(path);
    io::write_text_file(file, text);
    file.commit();
}

}  // namespace igcam::tools
