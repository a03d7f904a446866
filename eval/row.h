// One evaluated (image, class, method): what igcam-eval writes as a line of rows.jsonl and
// what the summary aggregates.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace igcam::eval {

struct Row {
    int64_t image_index = 0;  // position in the dataset (the summary's order)
    std::string image;        // the sample's id
    bool failed = false;      // the image could not be evaluated: `error` says why
    bool skipped = false;     // with failed: nothing to evaluate (no object to localise), not an error
    std::string error;
    // Defined when not failed:
    int64_t class_index = -1;
    std::string class_name;
    std::string method;
    bool localisation = false;   // the class is present: EBPG, Bbox, pointing apply
    bool fidelity = false;       // the class is the fidelity target: Drop, ... apply
    bool difficult_only = false; // every box of the class is difficult (pointing skips it)
    std::map<std::string, std::optional<double>> metrics;  // name -> value; null: undefined here
    double score = 0;            // Y: s(x)[c] (fidelity rows)
    double masked_score = 0;     // O (fidelity rows)
    double map_ms = 0, metrics_ms = 0;
    bool timed = true;           // false: the milliseconds are not recorded (igcam-eval --no-timings)
};

}  // namespace igcam::eval
