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
    for (const StagedFile& f : files_)
        IGCAM_CHECK(f.path() != path, ValueError, path, ": two outputs of this run would be written there");
    return files_.emplace_back(path);
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
