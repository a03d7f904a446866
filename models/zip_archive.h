// A zip archive read defensively with minizip (Debian's libminizip-dev): the container of
// torch.save files (models/torch_archive.h) and of Keras 3's .keras files
// (models/keras_archive.h).
//
// Limits, each a FormatError naming the file: the end-of-central-directory record is whole
// (a truncated file is refused, not half read); member paths stay inside the archive (no
// absolute paths, no "..", no backslashes) and appear once; a compressed member may not
// expand past 100 times its size once above 64 MiB, and no member past 16 GiB (a zip bomb is
// refused from its directory entry, before anything is inflated); a member's declared sizes
// fit in the file. Reading a member checks its length and CRC.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace igcam::models {

class ZipArchive {
public:
    struct Member {
        uint64_t compressed = 0, uncompressed = 0;
        uint64_t position = 0, directory_index = 0;  // minizip's unz64_file_pos
        bool stored = false;  // neither compressed nor encrypted: its bytes lie in the file as they are
        uint32_t crc = 0;     // CRC-32 of the unpacked bytes, from the directory
    };

    // Opens and lists `path`; throws FormatError as above (and for an empty archive).
    explicit ZipArchive(const std::string& path);
    ~ZipArchive();
    ZipArchive(const ZipArchive&) = delete;
    ZipArchive& operator=(const ZipArchive&) = delete;

    const std::string& path() const { return path_; }
    const std::map<std::string, Member>& members() const { return members_; }
    bool has(const std::string& name) const { return members_.count(name) > 0; }
    // The size of member `name` once unpacked (FormatError when it is missing).
    uint64_t size(const std::string& name) const;
    // The whole member, its length and CRC checked. FormatError when it is missing, corrupt,
    // encrypted or truncated; OutOfMemoryError when its bytes cannot be allocated.
    std::string read(const std::string& name) const;
    // The whole member without a copy where the archive allows: a stored (uncompressed,
    // unencrypted) member is read in place from a read-only mapping of the file, after its
    // CRC-32 is checked; a compressed one is unpacked with read(). `owner` keeps the bytes
    // alive. Throws as read() does.
    struct Bytes {
        const unsigned char* data = nullptr;
        std::size_t size = 0;
        std::shared_ptr<const void> owner;
    };
    Bytes bytes(const std::string& name) const;
    // The archive's comment (at most 65535 bytes; empty when it has none).
    std::string comment() const;

private:
    void list_members();
    // Member `name`, made minizip's current file and opened for reading.
    const Member& open_member(const std::string& name) const;
    // Where a stored member's bytes start in the file (nullopt for a compressed or encrypted
    // one); FormatError when they would run past the end of the file.
    std::optional<uint64_t> stored_offset(const std::string& name) const;

    std::string path_;
    uint64_t file_size_ = 0;
    void* zip_ = nullptr;  // unzFile
    std::map<std::string, Member> members_;
};

// True for a member name that would land outside a directory it was extracted into.
bool zip_path_escapes(const std::string& name);

}  // namespace igcam::models
