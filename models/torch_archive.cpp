#include "models/torch_archive.h"

#include <minizip/unzip.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <new>
#include <optional>
#include <set>

#include "core/error.h"
#include "models/keras_layout.h"
#include "models/state_dict.h"
#include "models/torch_pickle.h"

namespace igcam::models {

namespace {

constexpr uint64_t kMaxPickleBytes = 16ull << 20;  // a torchvision ResNet-152 state dict pickles to 115 kB
constexpr uint64_t kMaxMemberBytes = 16ull << 30;
constexpr uint64_t kFreeExpansionBytes = 64ull << 20;
constexpr uint64_t kMaxExpansion = 100;

struct Member {
    unz64_file_pos position{};
    uint64_t compressed = 0, uncompressed = 0;
};

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

// A path that would land outside a directory it was extracted into.
bool escapes(const std::string& name) {
    if (name.empty() || name[0] == '/' || name.find('\\') != std::string::npos) return true;
    std::size_t start = 0;
    while (start <= name.size()) {
        const std::size_t end = std::min(name.find('/', start), name.size());
        if (name.compare(start, end - start, "..") == 0 && end - start == 2) return true;
        start = end + 1;
    }
    return false;
}

struct Storage {
    std::size_t element_bytes = 0;
    std::optional<ElementType> element;  // set for the floating types igcam reads
};

Storage storage_info(const std::string& type) {
    static const std::map<std::string, Storage> table = {
        {"FloatStorage", {4, ElementType::F32}}, {"DoubleStorage", {8, ElementType::F64}},
        {"HalfStorage", {2, ElementType::F16}},  {"BFloat16Storage", {2, ElementType::BF16}},
        {"LongStorage", {8, {}}},                {"IntStorage", {4, {}}},
        {"ShortStorage", {2, {}}},               {"CharStorage", {1, {}}},
        {"ByteStorage", {1, {}}},                {"BoolStorage", {1, {}}},
    };
    return table.at(type);  // the unpickler admits these names only
}

class TorchArchive final : public TensorSource {
public:
    explicit TorchArchive(const std::string& path) : path_(path) {
        {
            std::ifstream probe(path, std::ios::binary | std::ios::ate);
            file_size_ = static_cast<uint64_t>(std::max<std::streamoff>(probe.tellg(), 0));
        }
        IGCAM_CHECK(ends_with_directory_record(path), FormatError, path,
                    ": is a truncated zip archive (its end-of-central-directory record is missing or cut)");
        zip_ = unzOpen64(path.c_str());
        IGCAM_CHECK(zip_ != nullptr, FormatError, path,
                    ": is a zip archive that cannot be opened (truncated or corrupt central directory)");
        try {
            list_members();
            read_catalogue();
        } catch (...) {
            unzClose(zip_);
            throw;
        }
    }
    ~TorchArchive() override { unzClose(zip_); }
    TorchArchive(const TorchArchive&) = delete;
    TorchArchive& operator=(const TorchArchive&) = delete;

    const std::string& path() const override { return path_; }
    std::string where(const std::string& key) const override { return key; }
    const std::map<std::string, StoredTensor>& tensors() const override { return catalogue_; }
    std::string readable_types() const override { return "float32, float64, float16 or bfloat16"; }

    Tensor read(const std::string& key, DType dtype) const override {
        const pickle::Value& t = *views_.at(key);
        const pickle::Value& storage = *t.items[0];
        // Tensors that share a storage are usually saved next to each other: the last storage
        // read is kept. Inflating is bounded by twice the distinct storages' bytes, so views
        // of one large storage cannot make a small file cost hours.
        if (cached_key_ != storage.text) {
            const std::string member = prefix_ + "data/" + storage.text;
            inflated_ += members_.at(member).uncompressed;
            IGCAM_CHECK(inflated_ <= 2 * distinct_storage_bytes_ + (64ull << 20), FormatError, path_,
                        ": tensors share storages in a way that would unpack ", inflated_, " bytes for ",
                        distinct_storage_bytes_, " bytes of storages");
            cached_ = member_bytes(member);
            cached_key_ = storage.text;
        }
        return decode_elements(reinterpret_cast<const unsigned char*>(cached_.data()),
                               *storage_info(storage.storage_type).element, t.sizes, t.strides, t.integer, dtype);
    }

private:
    void list_members() {
        int status = unzGoToFirstFile(zip_);
        IGCAM_CHECK(status == UNZ_OK, FormatError, path_, ": is an empty or corrupt zip archive");
        while (status == UNZ_OK) {
            unz_file_info64 info{};
            char name[1025] = {};
            IGCAM_CHECK(unzGetCurrentFileInfo64(zip_, &info, name, sizeof name - 1, nullptr, 0, nullptr, 0) == UNZ_OK,
                        FormatError, path_, ": a zip directory entry cannot be read");
            const std::string member(name);
            IGCAM_CHECK(member.size() == info.size_filename, FormatError, path_, ": the zip member name ",
                        quoted_value(member), " is longer than 1024 bytes or holds a NUL");
            IGCAM_CHECK(!escapes(member), FormatError, path_, ": the zip member ", quoted_value(member),
                        " has a path outside the archive; refused");
            IGCAM_CHECK(info.uncompressed_size <= kMaxMemberBytes &&
                            (info.compression_method == 0 || info.uncompressed_size <= kFreeExpansionBytes ||
                             info.uncompressed_size / std::max<uint64_t>(info.compressed_size, 1) <= kMaxExpansion),
                        FormatError, path_, ": the zip member ", quoted_value(member), " would expand from ",
                        info.compressed_size, " to ", info.uncompressed_size, " bytes (a zip bomb?); refused");
            IGCAM_CHECK(info.compressed_size <= file_size_ &&
                            (info.compression_method != 0 || info.compressed_size == info.uncompressed_size),
                        FormatError, path_, ": the zip member ", quoted_value(member), " declares ",
                        info.compressed_size, " stored and ", info.uncompressed_size,
                        " unpacked bytes, which the file (", file_size_, " bytes) cannot hold");
            Member m;
            IGCAM_CHECK(unzGetFilePos64(zip_, &m.position) == UNZ_OK, FormatError, path_,
                        ": a zip directory entry cannot be read");
            m.compressed = info.compressed_size;
            m.uncompressed = info.uncompressed_size;
            IGCAM_CHECK(members_.emplace(member, m).second, FormatError, path_, ": the zip member ",
                        quoted_value(member), " appears twice");
            status = unzGoToNextFile(zip_);
        }
        IGCAM_CHECK(status == UNZ_END_OF_LIST_OF_FILE, FormatError, path_,
                    ": the zip central directory is truncated or corrupt");
    }

    // The whole member, its length and CRC checked.
    std::string member_bytes(const std::string& name) const {
        const auto found = members_.find(name);
        IGCAM_CHECK(found != members_.end(), FormatError, path_, ": the zip member ", quoted_value(name),
                    " is missing");
        unz64_file_pos position = found->second.position;
        IGCAM_CHECK(unzGoToFilePos64(zip_, &position) == UNZ_OK && unzOpenCurrentFile(zip_) == UNZ_OK, FormatError,
                    path_, ": the zip member ", quoted_value(name), " cannot be opened (corrupt or encrypted)");
        std::string bytes;
        try {
            bytes.resize(static_cast<std::size_t>(found->second.uncompressed));
        } catch (const std::bad_alloc&) {
            unzCloseCurrentFile(zip_);
            detail::throw_error<OutOfMemoryError>(path_, ": cannot allocate ", found->second.uncompressed,
                                                  " bytes for the zip member ", quoted_value(name));
        }
        std::size_t done = 0;
        int got = 1;
        while (done < bytes.size() && got > 0) {
            const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(bytes.size() - done, 1u << 30));
            got = unzReadCurrentFile(zip_, bytes.data() + done, chunk);
            if (got > 0) done += static_cast<std::size_t>(got);
        }
        char extra;
        const int more = got < 0 ? got : unzReadCurrentFile(zip_, &extra, 1);
        const int closed = unzCloseCurrentFile(zip_);
        IGCAM_CHECK(got >= 0 && more >= 0, FormatError, path_, ": the zip member ", quoted_value(name),
                    " is truncated or corrupt");
        IGCAM_CHECK(done == bytes.size() && more == 0, FormatError, path_, ": the zip member ", quoted_value(name),
                    " holds ", done == bytes.size() ? "more" : "fewer", " bytes than its directory entry says (",
                    bytes.size(), ")");
        IGCAM_CHECK(closed == UNZ_OK, FormatError, path_, ": the zip member ", quoted_value(name),
                    " fails its CRC check (corrupt)");
        return bytes;
    }

    void read_catalogue() {
        std::string pickle_name;
        for (const auto& [name, m] : members_) {
            (void)m;
            const std::size_t slash = name.find('/');
            if (slash != std::string::npos && name.compare(slash, std::string::npos, "/data.pkl") == 0) {
                IGCAM_CHECK(pickle_name.empty(), FormatError, path_, ": the zip archive holds two data.pkl members (",
                            quoted_value(pickle_name), " and ", quoted_value(name), ")");
                pickle_name = name;
            }
        }
        if (pickle_name.empty()) {
            if (members_.count("model.weights.h5")) keras::refuse_keras_archive(path_);
            detail::throw_error<FormatError>(path_, ": is a zip archive without <name>/data.pkl, so neither a "
                                                    "torch.save file nor a .keras archive");
        }
        prefix_ = pickle_name.substr(0, pickle_name.size() - std::string("data.pkl").size());
        if (members_.count(prefix_ + "byteorder")) {
            IGCAM_CHECK(members_.at(prefix_ + "byteorder").uncompressed <= 16, FormatError, path_,
                        ": the archive's byteorder member is longer than 16 bytes");
            const std::string order = member_bytes(prefix_ + "byteorder");
            IGCAM_CHECK(order == "little", FormatError, path_, ": the archive's byteorder is ", quoted_value(order),
                        "; only little-endian files are read");
        }
        IGCAM_CHECK(members_.at(pickle_name).uncompressed <= kMaxPickleBytes, FormatError, path_, ": ", pickle_name,
                    " is larger than ", kMaxPickleBytes, " bytes; a state dict's pickle is far smaller");
        document_ = pickle::load(member_bytes(pickle_name), path_ + ": " + pickle_name);

        const pickle::Value* dict = document_.root;
        IGCAM_CHECK(dict->kind == pickle::Value::Kind::Dict, FormatError, path_,
                    ": data.pkl does not hold a dict of tensors (a state dict)");
        // {"state_dict": {...}} or {"model": {...}}, as checkpoints are; a few levels at most
        // (the memo can make a dict hold itself).
        for (int level = 0, descended = 1; descended && level < 4; ++level) {
            descended = 0;
            for (const auto& [k, v] : dict->entries)
                if (k->kind == pickle::Value::Kind::String && (k->text == "state_dict" || k->text == "model") &&
                    v->kind == pickle::Value::Kind::Dict) {
                    dict = v;
                    descended = 1;
                    break;
                }
        }
        for (const auto& [k, v] : dict->entries) {
            IGCAM_CHECK(k->kind == pickle::Value::Kind::String, FormatError, path_,
                        ": data.pkl: a state dict key is not a string");
            std::string key = k->text;
            if (key.rfind("module.", 0) == 0) key.erase(0, 7);  // saved from nn.DataParallel
            IGCAM_CHECK(v->kind == pickle::Value::Kind::Tensor, FormatError, path_, ": data.pkl: the value of ",
                        quoted_value(key), " is not a tensor");
            add_tensor(key, v);
        }
    }

    void add_tensor(const std::string& key, const pickle::Value* v) {
        const pickle::Value& storage = *v->items[0];
        const Storage info = storage_info(storage.storage_type);
        const std::string member = prefix_ + "data/" + storage.text;
        const auto found = members_.find(member);
        IGCAM_CHECK(found != members_.end(), FormatError, path_, ": ", quoted_value(key), ": its storage member ",
                    quoted_value(member), " is missing");
        const uint64_t numel = static_cast<uint64_t>(storage.integer);
        IGCAM_CHECK(numel <= kMaxMemberBytes && found->second.uncompressed == numel * info.element_bytes, FormatError,
                    path_, ": ", quoted_value(key), ": storage ", quoted_value(member), " holds ",
                    found->second.uncompressed, " bytes, but its ", storage.storage_type, " declares ", numel,
                    " elements");
        // Overflow-free: every product is checked by division before it is formed.
        uint64_t count = 1;
        for (int64_t size : v->sizes) {
            const uint64_t n = static_cast<uint64_t>(size);
            IGCAM_CHECK(n == 0 || count <= kMaxMemberBytes / n, FormatError, path_, ": ", quoted_value(key),
                        ": more elements than any storage can hold");
            count *= n;
        }
        IGCAM_CHECK(count <= numel, FormatError, path_, ": ", quoted_value(key), ": a view of ", count,
                    " elements of a storage of ", numel, " (a state dict's tensors do not overlap themselves)");
        if (count > 0) {
            uint64_t last = static_cast<uint64_t>(v->integer);  // the highest element the view touches
            bool inside = last < numel;
            for (std::size_t d = 0; inside && d < v->sizes.size(); ++d) {
                const uint64_t steps = static_cast<uint64_t>(v->sizes[d]) - 1;
                const uint64_t stride = static_cast<uint64_t>(v->strides[d]);
                if (steps == 0 || stride == 0) continue;
                inside = steps <= (numel - 1 - last) / stride;
                if (inside) last += steps * stride;
            }
            IGCAM_CHECK(inside, FormatError, path_, ": ", quoted_value(key),
                        ": the tensor reaches past the end of its storage of ", numel, " elements");
        }
        if (is_step_counter_key(key) && !info.element && count == 1) return;  // BN step counter: not a weight
        StoredTensor t;
        t.dims = v->sizes;
        t.scalar = t.dims.empty();
        t.type_name = storage.storage_type;
        t.readable = info.element.has_value();
        IGCAM_CHECK(catalogue_.emplace(key, std::move(t)).second, FormatError, path_, ": the key ",
                    quoted_value(key), " appears twice (with and without 'module.')");
        views_[key] = v;
        if (used_storages_.insert(storage.text).second) distinct_storage_bytes_ += found->second.uncompressed;
    }

    std::string path_;
    uint64_t file_size_ = 0;
    unzFile zip_ = nullptr;
    std::map<std::string, Member> members_;
    std::string prefix_;  // "<name>/"
    pickle::Document document_;
    std::map<std::string, StoredTensor> catalogue_;
    std::map<std::string, const pickle::Value*> views_;
    std::set<std::string> used_storages_;
    uint64_t distinct_storage_bytes_ = 0;
    mutable std::string cached_key_, cached_;
    mutable uint64_t inflated_ = 0;
};

}  // namespace

Model load_torch_archive(const std::string& path, DType dtype) {
    const TorchArchive archive(path);
    return model_from_state_dict(archive, "torch.save", dtype);
}

}  // namespace igcam::models
