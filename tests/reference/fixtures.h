// Reading the fixtures that the reference scripts (tests/reference/*.py) write at test time:
// ctest passes their folder in IGCAM_REFERENCE_DIR, and each folder has a JSON manifest.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace igcam::test {

inline std::string reference_dir() {
    const char* dir = std::getenv("IGCAM_REFERENCE_DIR");
    REQUIRE_MESSAGE(dir != nullptr, "IGCAM_REFERENCE_DIR is not set (run this test through ctest)");
    return dir;
}

// dir/name parsed as JSON; fails the test when the fixture step did not write it.
inline nlohmann::json read_manifest(const std::string& dir, const std::string& name) {
    std::ifstream file(dir + "/" + name);
    REQUIRE_MESSAGE(file.good(), "missing " << dir << "/" << name << ": the fixture step did not run");
    return nlohmann::json::parse(file);
}

}  // namespace igcam::test
