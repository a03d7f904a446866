#include "models/zip_archive.h"

#include <minizip/unzip.h>
#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <new>

#include "core/error.h"
#include "core/io/mapped_file.h"

namespace igcam::models {

namespace {

constexpr uint64_t kMaxMemberBytes = 16ull << 30;
constexpr uint64_t kFreeExpansionBytes = 64ull << 20;
constexpr uint64_t kMaxExpansion = 100;

// True when the file ends with a whole end-of-central-directory record (and its comment):
// minizip also accepts a cut record when a zip64 one precedes it, but a file that lost its
// last bytes is truncated and refused.
bool ends_with_directory_record(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    const std::streamoff size = in.tellg();
    if (!in || size < 22) return false;
    const std::streamoff tail = std::min<std::streamoff>(size, 22 + 65535);
    std::string end(static_cast<std::size_t>(tail), '\0');
    in.seekg(size - tail);
    if (!in.read(end.data(), tail)) return false;
    for (std::streamoff i = tail - 22; i >= 0; --i) {
        const auto at = static_cast<std::size_t>(i);
        if (end.compare(at, 4, "PK\x05\x06") != 0) continue;
        const auto comment = static_cast<std::size_t>(static_cast<unsigned char>(end[at + 20]) |
                                                      (static_cast<unsigned char>(end[at + 21]) << 8));
        return at + 22 + comment == end.size();
    }
    return false;
}

unzFile handle(void* zip) { return static_cast<unzFile>(zip); }

}  // namespace

bool zip_path_escapes(const std::string& name) {
    if (name.empty() || name[0] == '/' || name.find('\\') != std::string::npos) return true;
    std::size_t start = 0;
    while (start <= name.size()) {
        const std::size_t end = std::min(name.find('/', start), name.size());
        if (name.compare(start, end - start, "..") == 0 && end - start == 2) return true;
        start = end + 1;
    }
    return false;
}

ZipArchive::ZipArchive(const std::string& path) : path_(path) {
    {
        std::ifstream probe(path, std::ios::binary | std::ios::ate);
        IGCAM_CHECK(probe, IoError, path, ": cannot open for reading");
        file_size_ = static_cast<uint64_t>(std::max<std::streamoff>(probe.tellg(), 0));
    }
    IGCAM_CHECK(ends_with_directory_record(path), FormatError, path,
                ": is a truncated zip archive (its end-of-central-directory record is missing or cut)");
    zip_ = unzOpen64(path.c_str());
    IGCAM_CHECK(zip_ != nullptr, FormatError, path,
                ": is a zip archive that cannot be opened (truncated or corrupt central directory)");
    try {
        list_members();
    } catch (...) {
        unzClose(handle(zip_));
        throw;
    }
}

ZipArchive::~ZipArchive() { unzClose(handle(zip_)); }

void ZipArchive::list_members() {
    unzFile zip = handle(zip_);
    int status = unzGoToFirstFile(zip);
    IGCAM_CHECK(status == UNZ_OK, FormatError, path_, ": is an empty or corrupt zip archive");
    while (status == UNZ_OK) {
        unz_file_info64 info{};
        char name[1025] = {};
        IGCAM_CHECK(unzGetCurrentFileInfo64(zip, &info, name, sizeof name - 1, nullptr, 0, nullptr, 0) == UNZ_OK,
                    FormatError, path_, ": a zip directory entry cannot be read");
        const std::string member(name);
        IGCAM_CHECK(member.size() == info.size_filename, FormatError, path_, ": the zip member name ",
                    quoted_value(member), " is longer than 1024 bytes or holds a NUL");
        IGCAM_CHECK(!zip_path_escapes(member), FormatError, path_, ": the zip member ", quoted_value(member),
                    " has a path outside the archive; refused");
        IGCAM_CHECK(info.uncompressed_size <= kMaxMemberBytes &&
                        (info.compression_method == 0 || info.uncompressed_size <= kFreeExpansionBytes ||
                         info.uncompressed_size / std::max<uint64_t>(info.compressed_size, 1) <= kMaxExpansion),
                    FormatError, path_, ": the zip member ", quoted_value(member), " would expand from ",
                    info.compressed_size, " to ", info.uncompressed_size, " bytes (a zip bomb?); refused");
        IGCAM_CHECK(info.compressed_size <= file_size_ &&
                        (info.compression_method != 0 || info.compressed_size == info.uncompressed_size),
                    FormatError, path_, ": the zip member ", quoted_value(member), " declares ", info.compressed_size,
                    " stored and ", info.uncompressed_size, " unpacked bytes, which the file (", file_size_,
                    " bytes) cannot hold");
        unz64_file_pos position{};
        IGCAM_CHECK(unzGetFilePos64(zip, &position) == UNZ_OK, FormatError, path_,
                    ": a zip directory entry cannot be read");
        const bool encrypted = (info.flag & 1) != 0;
        const Member m{info.compressed_size, info.uncompressed_size, position.pos_in_zip_directory, position.num_of_file,
                       info.compression_method == 0 && !encrypted, static_cast<uint32_t>(info.crc)};
        IGCAM_CHECK(members_.emplace(member, m).second, FormatError, path_, ": the zip member ", quoted_value(member),
                    " appears twice");
        status = unzGoToNextFile(zip);
    }
    IGCAM_CHECK(status == UNZ_END_OF_LIST_OF_FILE, FormatError, path_,
                ": the zip central directory is truncated or corrupt");
}

uint64_t ZipArchive::size(const std::string& name) const {
    const auto found = members_.find(name);
    IGCAM_CHECK(found != members_.end(), FormatError, path_, ": the zip member ", quoted_value(name), " is missing");
    return found->second.uncompressed;
}

const ZipArchive::Member& ZipArchive::open_member(const std::string& name) const {
    unzFile zip = handle(zip_);
    const auto found = members_.find(name);
    IGCAM_CHECK(found != members_.end(), FormatError, path_, ": the zip member ", quoted_value(name), " is missing");
    unz64_file_pos position{found->second.position, found->second.directory_index};
    IGCAM_CHECK(unzGoToFilePos64(zip, &position) == UNZ_OK && unzOpenCurrentFile(zip) == UNZ_OK, FormatError, path_,
                ": the zip member ", quoted_value(name), " cannot be opened (corrupt or encrypted)");
    return found->second;
}

std::string ZipArchive::read(const std::string& name) const {
    unzFile zip = handle(zip_);
    const Member& member = open_member(name);
    std::string bytes;
    try {
        bytes.resize(static_cast<std::size_t>(member.uncompressed));
    } catch (const std::bad_alloc&) {
        unzCloseCurrentFile(zip);
        detail::throw_error<OutOfMemoryError>(path_, ": cannot allocate ", member.uncompressed,
                                              " bytes for the zip member ", quoted_value(name));
    }
    std::size_t done = 0;
    int got = 1;
    while (done < bytes.size() && got > 0) {
        const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(bytes.size() - done, 1u << 30));
        got = unzReadCurrentFile(zip, bytes.data() + done, chunk);
        if (got > 0) done += static_cast<std::size_t>(got);
    }
    char extra;
    const int more = got < 0 ? got : unzReadCurrentFile(zip, &extra, 1);
    const int closed = unzCloseCurrentFile(zip);
    IGCAM_CHECK(got >= 0 && more >= 0, FormatError, path_, ": the zip member ", quoted_value(name),
                " is truncated or corrupt");
    IGCAM_CHECK(done == bytes.size() && more == 0, FormatError, path_, ": the zip member ", quoted_value(name), " holds ",
                done == bytes.size() ? "more" : "fewer", " bytes than its directory entry says (", bytes.size(), ")");
    IGCAM_CHECK(closed == UNZ_OK, FormatError, path_, ": the zip member ", quoted_value(name),
                " fails its CRC check (corrupt)");
    return bytes;
}

std::optional<uint64_t> ZipArchive::stored_offset(const std::string& name) const {
    const auto found = members_.find(name);
    if (found != members_.end() && !found->second.stored) return std::nullopt;
    unzFile zip = handle(zip_);
    const Member& member = open_member(name);
    const uint64_t offset = unzGetCurrentFileZStreamPos64(zip);  // after the local header
    unzCloseCurrentFile(zip);
    IGCAM_CHECK(offset <= file_size_ && member.uncompressed <= file_size_ - offset, FormatError, path_,
                ": the zip member ", quoted_value(name), " runs past the end of the file");
    return offset;
}

ZipArchive::Bytes ZipArchive::bytes(const std::string& name) const {
    if (const std::optional<uint64_t> offset = stored_offset(name)) {
        const uint64_t size = members_.at(name).uncompressed;
        auto mapped = std::make_shared<io::MappedFile>(path_);
        IGCAM_CHECK(*offset + size <= mapped->size(), FormatError, path_, ": the file changed while it was read");
        const unsigned char* data = mapped->data() + *offset;
        uLong crc = crc32(0L, Z_NULL, 0);
        for (uint64_t done = 0; done < size;) {  // zlib's crc32 takes at most 4 GiB at once
            const auto chunk = static_cast<uInt>(std::min<uint64_t>(size - done, 1u << 30));
            crc = crc32(crc, data + done, chunk);
            done += chunk;
        }
        IGCAM_CHECK(static_cast<uint32_t>(crc) == members_.at(name).crc, FormatError, path_, ": the zip member ",
                    quoted_value(name), " fails its CRC check (corrupt)");
        return Bytes{data, static_cast<std::size_t>(size), std::move(mapped)};
    }
    auto unpacked = std::make_shared<std::string>(read(name));
    const auto* data = reinterpret_cast<const unsigned char*>(unpacked->data());
    return Bytes{data, unpacked->size(), std::move(unpacked)};
}

std::string ZipArchive::comment() const {
    unz_global_info64 info{};
    IGCAM_CHECK(unzGetGlobalInfo64(handle(zip_), &info) == UNZ_OK, FormatError, path_, ": unreadable zip directory");
    std::string text(info.size_comment, '\0');
    if (text.empty()) return text;
    const int read = unzGetGlobalComment(handle(zip_), text.data(), static_cast<uLong>(text.size()) + 1);
    IGCAM_CHECK(read >= 0, FormatError, path_, ": unreadable zip comment");
    text.resize(static_cast<std::size_t>(read));
    return text;
}

}  // namespace igcam::models
