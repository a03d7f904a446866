#include "models/safetensors_file.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"

namespace igcam::models {

namespace {

using nlohmann::json;

struct DTypeInfo {
    std::size_t size;
    std::optional<ElementType> element;  // set for the floating types igcam reads
};

// Every dtype the safetensors specification names, with its size in bytes.
const std::map<std::string, DTypeInfo>& dtypes() {
    static const std::map<std::string, DTypeInfo> table = {
        {"F64", {8, ElementType::F64}}, {"F32", {4, ElementType::F32}}, {"F16", {2, ElementType::F16}},
        {"BF16", {2, ElementType::BF16}}, {"I64", {8, {}}}, {"U64", {8, {}}}, {"I32", {4, {}}}, {"U32", {4, {}}},
        {"I16", {2, {}}}, {"U16", {2, {}}}, {"I8", {1, {}}}, {"U8", {1, {}}}, {"BOOL", {1, {}}},
        {"F8_E4M3", {1, {}}}, {"F8_E5M2", {1, {}}},
    };
    return table;
}

// The header, parsed so that a name given twice is an error (nlohmann keeps the last).
json parse_header(const std::string& path, const char* text, std::size_t length) {
    std::set<std::string> names;
    std::string duplicate;
    const json::parser_callback_t check = [&](int depth, json::parse_event_t event, json& parsed) {
        // The deepest a valid header goes is a shape list inside an entry inside the header.
        IGCAM_CHECK(depth <= 3, FormatError, path, ": the safetensors header nests deeper than a valid one");
        if (event == json::parse_event_t::key && depth == 1 && !names.insert(parsed.get<std::string>()).second &&
            duplicate.empty())
            duplicate = parsed.get<std::string>();
        return true;
    };
    // nlohmann's parser stops at a NUL byte, which would hide whatever follows it.
    IGCAM_CHECK(std::memchr(text, '\0', length) == nullptr, FormatError, path,
                ": the safetensors header holds a NUL byte (its length runs into the data?)");
    json header;
    try {
        header = json::parse(text, text + length, check);
    } catch (const json::parse_error& e) {
        // Not e.what(): it echoes the bytes it read, which need not be text.
        detail::throw_error<FormatError>(path, ": the safetensors header is not valid JSON (a syntax error at byte ",
                                         e.byte, " of the header)");
    } catch (const json::exception&) {
        detail::throw_error<FormatError>(path, ": the safetensors header is not valid JSON");
    }
    IGCAM_CHECK(duplicate.empty(), FormatError, path, ": the safetensors header names the tensor ",
                quoted_value(duplicate), " twice");
    IGCAM_CHECK(header.is_object(), FormatError, path, ": the safetensors header is not a JSON object");
    return header;
}

uint64_t offset_value(const std::string& where, const json& v) {
    IGCAM_CHECK(v.is_number_unsigned(), FormatError, where, ": data_offsets must be two non-negative integers");
    return v.get<uint64_t>();
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path), file_(path) {
    map_ = file_.data();
    size_ = file_.size();
    IGCAM_CHECK(size_ >= 8, FormatError, path, ": truncated safetensors file (", size_,
                " bytes; the header length alone takes 8)");
    uint64_t n = 0;
    std::memcpy(&n, map_, 8);
    IGCAM_CHECK(n <= kMaxHeaderBytes, FormatError, path, ": the safetensors header length ", n,
                " exceeds the limit of ", kMaxHeaderBytes, " bytes");
    IGCAM_CHECK(n <= size_ - 8, FormatError, path, ": the safetensors header length ", n,
                " runs past the end of the file (", size_, " bytes)");
    IGCAM_CHECK(n >= 2 && map_[8] == '{', FormatError, path, ": the safetensors header does not start with '{'");
    data_start_ = 8 + static_cast<std::size_t>(n);
    const std::size_t data_bytes = size_ - data_start_;
    const json header = parse_header(path, reinterpret_cast<const char*>(map_ + 8), static_cast<std::size_t>(n));

    struct Range {
        uint64_t begin, end;
        std::string name;
    };
    std::vector<Range> ranges;
    for (const auto& [name, entry] : header.items()) {
        const std::string where = path + ": " + quoted_value(name);
        if (name == "__metadata__") {
            IGCAM_CHECK(entry.is_object(), FormatError, where, ": must be an object of strings");
            for (const auto& [k, v] : entry.items()) {
                IGCAM_CHECK(v.is_string(), FormatError, where, ": the value of ", quoted_value(k),
                            " is not a string");
            }
            continue;
        }
        IGCAM_CHECK(entry.is_object(), FormatError, where, ": is not an object");
        for (const auto& [field, value] : entry.items()) {
            (void)value;
            IGCAM_CHECK(field == "dtype" || field == "shape" || field == "data_offsets", FormatError, where,
                        ": unknown field ", quoted_value(field), " (expected dtype, shape and data_offsets)");
        }
        IGCAM_CHECK(entry.contains("dtype") && entry["dtype"].is_string(), FormatError, where,
                    ": dtype is missing or not a string");
        const std::string type = entry["dtype"].get<std::string>();
        const auto known = dtypes().find(type);
        IGCAM_CHECK(known != dtypes().end(), FormatError, where, ": unknown dtype ", quoted_value(type));
        IGCAM_CHECK(entry.contains("shape") && entry["shape"].is_array() && entry["shape"].size() <= 16,
                    FormatError, where, ": shape is missing or not a list of at most 16 integers");
        StoredTensor t;
        uint64_t numel = 1;
        for (const json& d : entry["shape"]) {
            IGCAM_CHECK(d.is_number_unsigned(), FormatError, where, ": shape must hold non-negative integers");
            const uint64_t dim = d.get<uint64_t>();
            IGCAM_CHECK(dim <= data_bytes && (dim == 0 || numel <= data_bytes / dim), FormatError, where,
                        ": shape ", entry["shape"].dump(), " holds more elements than the file has bytes");
            numel *= dim;
            t.dims.push_back(static_cast<int64_t>(dim));
        }
        t.scalar = t.dims.empty();
        IGCAM_CHECK(entry.contains("data_offsets") && entry["data_offsets"].is_array() &&
                        entry["data_offsets"].size() == 2,
                    FormatError, where, ": data_offsets is missing or not [begin, end]");
        const uint64_t begin = offset_value(where, entry["data_offsets"][0]);
        const uint64_t end = offset_value(where, entry["data_offsets"][1]);
        IGCAM_CHECK(begin <= end && end <= data_bytes, FormatError, where, ": data_offsets [", begin, ", ", end,
                    "] lie outside the data (", data_bytes, " bytes)");
        IGCAM_CHECK(end - begin == numel * known->second.size, FormatError, where, ": data_offsets span ",
                    end - begin, " bytes, but ", type, " of shape ", entry["shape"].dump(), " takes ",
                    numel * known->second.size);
        ranges.push_back({begin, end, name});
        t.type_name = type;
        t.readable = known->second.element.has_value();
        const bool counter = is_step_counter_key(name) && (type == "I64" || type == "I32") && numel == 1;
        if (counter) continue;  // PyTorch's BN step counter: not a weight
        if (t.readable) located_[name] = {*known->second.element, static_cast<std::size_t>(begin)};
        catalogue_[name] = std::move(t);
    }
    std::sort(ranges.begin(), ranges.end(),
              [](const Range& a, const Range& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
    uint64_t at = 0;
    for (const Range& r : ranges) {
        IGCAM_CHECK(r.begin >= at, FormatError, path, ": ", quoted_value(r.name),
                    ": data_offsets overlap the previous tensor's bytes");
        IGCAM_CHECK(r.begin == at, FormatError, path, ": ", quoted_value(r.name), ": ", r.begin - at,
                    " bytes before its data_offsets belong to no tensor");
        at = r.end;
    }
    IGCAM_CHECK(at == data_bytes, FormatError, path, ": ", data_bytes - at,
                " bytes at the end of the file belong to no tensor");
}

SafetensorsFile::~SafetensorsFile() = default;

Tensor SafetensorsFile::read(const std::string& key, DType dtype) const {
    const auto found = located_.find(key);
    IGCAM_CHECK(found != located_.end(), FormatError, path_, ": ", key, " is not a readable tensor");
    return decode_elements(map_ + data_start_ + found->second.begin, found->second.type, catalogue_.at(key).dims, {},
                           0, dtype);
}

}  // namespace igcam::models
