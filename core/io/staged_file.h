// Files that appear whole or not at all. Every file igcam writes (.npy, .png, .json, .h5)
// goes through StagedFile: the bytes go to a temporary beside the target (PATH.partial) and
// commit() renames it into place, so a reader never sees half a file and a failure leaves
// nothing behind (the destructor removes an uncommitted temporary).
//
// StagedFiles does the same for the many files of one run: each is written to its temporary
// as the run goes, and commit_all() moves them into place only when the whole run has
// succeeded, so a run that fails half way leaves none of them.
#pragma once

#include <deque>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace igcam::io {

class StagedFile {
public:
    explicit StagedFile(std::string path);
    ~StagedFile();  // removes the temporary unless committed
    StagedFile(const StagedFile&) = delete;
    StagedFile& operator=(const StagedFile&) = delete;

    // Where the file goes; errors name this path.
    const std::string& path() const { return path_; }
    // Where to write the bytes.
    const std::string& temporary() const { return temporary_; }
    // Renames the temporary to path(). Throws IoError ("PATH: cannot move the finished file
    // into place") when it cannot; the temporary is removed then.
    void commit();

private:
    std::string path_, temporary_;
    bool committed_ = false;
};

// Writes `text` into `file`'s temporary (the caller commits), or to `path` at once.
void write_text_file(const StagedFile& file, const std::string& text);

class StagedFiles {
public:
    // A file to be written at `path` when the run succeeds: write it into the returned
    // StagedFile's temporary (the reference stays valid while this object lives). Throws
    // ValueError when the run already stages that file, under any spelling of its path
    // (paths are compared made absolute and normalised, symbolic links resolved).
    StagedFile& add(const std::string& path);
    std::size_t size() const { return files_.size(); }
    // Moves every staged file into place, in the order they were added. Every temporary
    // must exist and no target may be a directory (IoError naming it, before anything is
    // moved); a rename that still fails (the disk went away) leaves the files before it in
    // place and removes the rest.
    void commit_all();
    // The staged files, in the order they were added.
    const std::deque<StagedFile>& files() const { return files_; }
    // Removes every uncommitted temporary now and forgets every file (a run that stops).
    void discard();

private:
    std::deque<StagedFile> files_;
    std::set<std::string> targets_;  // the staged paths, normalised
};

// A run's output directory: created at construction when missing (with its missing
// parents; IoError when it cannot be), and removed again at destruction, with the parents
// it needed, unless keep() was called. Only empty directories are removed, so a failed run
// leaves no empty folder behind and never removes anything it did not make. Declare it
// before the StagedFiles whose temporaries it holds, so they are gone first.
class OutputDirectory {
public:
    explicit OutputDirectory(const std::string& path);
    ~OutputDirectory();
    OutputDirectory(const OutputDirectory&) = delete;
    OutputDirectory& operator=(const OutputDirectory&) = delete;
    void keep() { kept_ = true; }
    // What the destructor does, now (a run that stops); then nothing more.
    void remove();

private:
    std::vector<std::filesystem::path> created_;  // outermost first
    bool kept_ = false;
};

}  // namespace igcam::io
