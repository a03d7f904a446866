// Staged outputs: one file under two spellings of its path is refused; the output directory
// a failed run created is removed again, and one that existed (or a kept one) is not.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "core/io/staged_file.h"

namespace fs = std::filesystem;
using namespace igcam;

namespace {
fs::path fresh_dir(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("igcam-staged-test-" + name);
    fs::remove_all(dir);
    return dir;
}
}  // namespace

TEST_CASE("staged files: one target under another spelling, or through a link, is refused") {
    const fs::path dir = fresh_dir("alias");
    fs::create_directories(dir / "real");
    fs::create_directory_symlink(dir / "real", dir / "link");
    io::StagedFiles staged;
    staged.add((dir / "real" / "report.json").string());
    CHECK_THROWS_WITH_AS(staged.add((dir / "real" / "sub" / ".." / "report.json").string()),
                         ((dir / "real" / "sub" / ".." / "report.json").string() +
                          ": two outputs of this run would be written there")
                             .c_str(),
                         ValueError);
    CHECK_THROWS_AS(staged.add((dir / "real" / "." / "report.json").string()), ValueError);
    CHECK_THROWS_AS(staged.add((dir / "link" / "report.json").string()), ValueError);
    const std::string other = (dir / "real" / "report2.json").string();
    CHECK(staged.add(other).path() == other);
    CHECK(staged.size() == 2);
    fs::remove_all(dir);
}

TEST_CASE("output directory: removed with its created parents unless kept; an existing one stays") {
    const fs::path dir = fresh_dir("outdir");
    {
        io::OutputDirectory out((dir / "a" / "b").string());
        CHECK(fs::is_directory(dir / "a" / "b"));
    }
    CHECK_FALSE(fs::exists(dir));  // dir itself was missing too: every level made is gone
    {
        io::OutputDirectory out((dir / "a").string());
        std::ofstream((dir / "a" / "kept.txt").string()) << "x";
        out.keep();
    }
    CHECK(fs::exists(dir / "a" / "kept.txt"));
    {
        io::OutputDirectory out((dir / "a").string());  // existed: never removed
    }
    CHECK(fs::is_directory(dir / "a"));
    {
        io::OutputDirectory out((dir / "a" / "c").string());
        std::ofstream((dir / "a" / "c" / "left.txt").string()) << "x";
    }
    CHECK(fs::exists(dir / "a" / "c" / "left.txt"));  // not empty: not removed
    std::ofstream((dir / "file").string()) << "x";
    CHECK_THROWS_AS(io::OutputDirectory((dir / "file").string()), IoError);
    fs::remove_all(dir);
}
