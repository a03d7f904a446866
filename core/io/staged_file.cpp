#include "core/io/staged_file.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace igcam::io {

StagedFile::StagedFile(std::string path) : path_(std::move(path)), temporary_(path_ + ".partial") {}

StagedFile::~StagedFile() {
    if (!committed_) std::remove(temporary_.c_str());  // nothing to do when it was never written
}

void StagedFile::commit() {
    IGCAM_CHECK(!committed_, ValueError, path_, ": the staged file was already committed");
    committed_ = true;
    if (std::rename(temporary_.c_str(), path_.c_str()) != 0) {
        std::remove(temporary_.c_str());
        detail::throw_error<IoError>(path_, ": cannot move the finished file into place");
    }
}

void write_text_file(const StagedFile& file, const std::string& text) {
    std::ofstream out(file.temporary(), std::ios::binary | std::ios::trunc);
    IGCAM_CHECK(out.good(), IoError, file.path(), ": cannot open for writing");
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    IGCAM_CHECK(out.good(), IoError, file.path(), ": write failed");
}

StagedFile& StagedFiles::add(const std::string& path) {
    std::error_code error;
    std::filesystem::path target = std::filesystem::weakly_canonical(std::filesystem::absolute(path, error), error);
    if (error) target = std::filesystem::absolute(path).lexically_normal();
    IGCAM_CHECK(targets_.insert(target.string()).second, ValueError, path,
                ": two outputs of this run would be written there");
    return files_.emplace_back(path);
}

OutputDirectory::OutputDirectory(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code error;
    for (fs::path p = fs::absolute(path, error).lexically_normal(); !p.empty() && !fs::exists(p, error);
         p = p.parent_path()) {
        created_.insert(created_.begin(), p);
        if (p == p.parent_path()) break;
    }
    fs::create_directories(path, error);
    IGCAM_CHECK(!error && fs::is_directory(path, error), IoError, path, ": cannot create the output directory");
}

OutputDirectory::~OutputDirectory() { remove(); }

void OutputDirectory::remove() {
    if (kept_) return;
    std::error_code error;
    for (auto p = created_.rbegin(); p != created_.rend(); ++p) std::filesystem::remove(*p, error);  // empty ones only
    created_.clear();
}

void StagedFiles::discard() {
    files_.clear();  // each removes its temporary
    targets_.clear();
}

void StagedFiles::commit_all() {
    namespace fs = std::filesystem;
    for (const StagedFile& f : files_) {
        std::error_code error;
        IGCAM_CHECK(fs::is_regular_file(f.temporary(), error), IoError, f.path(), ": the file was never written");
        IGCAM_CHECK(!fs::is_directory(f.path(), error), IoError, f.path(),
                    ": is a directory; the finished file cannot be moved into place");
    }
    for (StagedFile& f : files_) f.commit();
}

}  // namespace igcam::io
