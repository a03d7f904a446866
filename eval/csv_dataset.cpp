// The CSV form: image,class,xmin,ymin,xmax,ymax[,difficult], one box a line, 0-based
// half-open pixel coordinates; an optional header line starting with "image,". Fields are
// plain (no quoting): image paths with commas are not supported, and say so.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "eval/class_lookup.h"
#include "eval/dataset.h"

namespace igcam::eval {

namespace {

std::vector<std::string> split_fields(const std::string& line) {
    std::vector<std::string> fields;
    std::string field;
    std::istringstream in(line);
    while (std::getline(in, field, ',')) {
        const auto b = field.find_first_not_of(" \t\r");
        fields.push_back(b == std::string::npos ? "" : field.substr(b, field.find_last_not_of(" \t\r") - b + 1));
    }
    if (!line.empty() && line.back() == ',') fields.emplace_back();
    return fields;
}

bool parse_integer(const std::string& text, int64_t& value) {
    if (text.empty()) return false;
    std::size_t used = 0;
    try {
        value = std::stoll(text, &used);
    } catch (const std::exception&) {
        return false;
    }
    return used == text.size();
}

// One line's object, or the problem with it.
std::string parse_object(const std::vector<std::string>& f, const std::vector<std::string>& class_names, Object& o) {
    int64_t index = -1;
    if (parse_integer(f[1], index)) {
        if (index < 0 || index >= static_cast<int64_t>(class_names.size()))
            return "class " + f[1] + " is out of range (the model has " + std::to_string(class_names.size()) +
                   " classes)";
    } else {
        const std::optional<int64_t> found = find_class(f[1], class_names, {});
        if (!found) return "class '" + f[1] + "' is not one the model knows";
        index = *found;
    }
    o.class_index = index;
    o.class_name = class_names[static_cast<std::size_t>(index)];
    int64_t c[4];
    static const char* names[4] = {"xmin", "ymin", "xmax", "ymax"};
    for (int i = 0; i < 4; ++i)
        if (!parse_integer(f[static_cast<std::size_t>(2 + i)], c[i]))
            return std::string(names[i]) + " is '" + f[static_cast<std::size_t>(2 + i)] + "', not an integer";
    const std::string coords = " (xmin " + f[2] + ", ymin " + f[3] + ", xmax " + f[4] + ", ymax " + f[5] + ")";
    if (c[0] < 0 || c[1] < 0) return "the box starts before pixel 0 (CSV boxes are 0-based)" + coords;
    if (c[2] <= c[0] || c[3] <= c[1])
        return "the box is inverted or empty (CSV boxes are half-open: xmax > xmin, ymax > ymin)" + coords;
    o.box = Box{c[0], c[1], c[2], c[3]};
    if (f.size() == 7) {
        if (f[6] != "0" && f[6] != "1") return "difficult is '" + f[6] + "', not 0 or 1";
        o.difficult = f[6] == "1";
    }
    return "";
}

}  // namespace

std::vector<Sample> read_csv_dataset(const std::string& path, const std::vector<std::string>& class_names) {
    std::ifstream in(path);
    IGCAM_CHECK(in, IoError, path, ": cannot read the CSV file");
    const std::filesystem::path dir = std::filesystem::path(path).parent_path();
    std::vector<Sample> samples;
    std::map<std::string, std::size_t> by_image;
    int64_t number = 0;
    for (std::string line; std::getline(in, line);) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        const std::vector<std::string> f = split_fields(line);
        if (number == 1 && !f.empty() && f[0] == "image") continue;  // the header
        const std::string where = path + ":" + std::to_string(number);
        const std::string image = f.empty() ? "" : f[0];
        IGCAM_CHECK(!image.empty(), FormatError, where, ": the line has no image name");
        auto [it, added] = by_image.try_emplace(image, samples.size());
        if (added) {
            Sample s;
            s.id = image;
            s.image = (dir / image).string();
            s.annotation = where;
            samples.push_back(std::move(s));
        }
        Sample& s = samples[it->second];
        if (!s.error.empty()) continue;
        std::string problem;
        Object o;
        if (f.size() != 6 && f.size() != 7)
            problem = "expected 6 or 7 fields (image,class,xmin,ymin,xmax,ymax[,difficult]), found " +
                      std::to_string(f.size());
        else
            problem = parse_object(f, class_names, o);
        if (!problem.empty()) {
            s.objects.clear();
            s.error = where + ": " + problem;
            continue;
        }
        s.objects.push_back(o);
    }
    IGCAM_CHECK(!samples.empty(), FormatError, path, ": the CSV lists no boxes");
    return samples;
}

}  // namespace igcam::eval
