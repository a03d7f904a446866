#include "models/torch_archive.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "core/error.h"
#include "models/state_dict.h"
#include "models/torch_pickle.h"

namespace igcam::models {

namespace {

constexpr uint64_t kMaxPickleBytes = 16ull << 20;  // a torchvision ResNet-152 state dict pickles to 115 kB
constexpr uint64_t kMaxStorageElements = 16ull << 30;

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

// The name of the archive's <name>/data.pkl member; empty when it has none. FormatError
// when it has two.
std::string pickle_member(const ZipArchive& zip) {
    std::string found;
    for (const auto& [name, m] : zip.members()) {
        (void)m;
        const std::size_t slash = name.find('/');
        if (slash != std::string::npos && name.compare(slash, std::string::npos, "/data.pkl") == 0) {
            IGCAM_CHECK(found.empty(), FormatError, zip.path(), ": the zip archive holds two data.pkl members (",
                        quoted_value(found), " and ", quoted_value(name), ")");
            found = name;
        }
    }
    return found;
}

class TorchArchive final : public TensorSource {
public:
    explicit TorchArchive(const ZipArchive& zip) : zip_(zip), path_(zip.path()) { read_catalogue(); }

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
            inflated_ += zip_.size(member);
            IGCAM_CHECK(inflated_ <= 2 * distinct_storage_bytes_ + (64ull << 20), FormatError, path_,
                        ": tensors share storages in a way that would unpack ", inflated_, " bytes for ",
                        distinct_storage_bytes_, " bytes of storages");
            cached_ = zip_.read(member);
            cached_key_ = storage.text;
        }
        return decode_elements(reinterpret_cast<const unsigned char*>(cached_.data()),
                               *storage_info(storage.storage_type).element, t.sizes, t.strides, t.integer, dtype);
    }

private:
    void read_catalogue() {
        const std::string pickle_name = pickle_member(zip_);
        prefix_ = pickle_name.substr(0, pickle_name.size() - std::string("data.pkl").size());
        if (zip_.has(prefix_ + "byteorder")) {
            IGCAM_CHECK(zip_.size(prefix_ + "byteorder") <= 16, FormatError, path_,
                        ": the archive's byteorder member is longer than 16 bytes");
            const std::string order = zip_.read(prefix_ + "byteorder");
            IGCAM_CHECK(order == "little", FormatError, path_, ": the archive's byteorder is ", quoted_value(order),
                        "; only little-endian files are read");
        }
        IGCAM_CHECK(zip_.size(pickle_name) <= kMaxPickleBytes, FormatError, path_, ": ", pickle_name,
                    " is larger than ", kMaxPickleBytes, " bytes; a state dict's pickle is far smaller");
        document_ = pickle::load(zip_.read(pickle_name), path_ + ": " + pickle_name);

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
        IGCAM_CHECK(zip_.has(member), FormatError, path_, ": ", quoted_value(key), ": its storage member ",
                    quoted_value(member), " is missing");
        const uint64_t stored = zip_.size(member);
        const uint64_t numel = static_cast<uint64_t>(storage.integer);
        IGCAM_CHECK(numel <= kMaxStorageElements && stored == numel * info.element_bytes, FormatError, path_, ": ",
                    quoted_value(key), ": storage ", quoted_value(member), " holds ", stored, " bytes, but its ",
                    storage.storage_type, " declares ", numel, " elements");
        // Overflow-free: every product is checked by division before it is formed.
        uint64_t count = 1;
        for (int64_t size : v->sizes) {
            const uint64_t n = static_cast<uint64_t>(size);
            IGCAM_CHECK(n == 0 || count <= kMaxStorageElements / n, FormatError, path_, ": ", quoted_value(key),
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
        if (used_storages_.insert(storage.text).second) distinct_storage_bytes_ += stored;
    }

    const ZipArchive& zip_;
    std::string path_;
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

bool is_torch_archive(const ZipArchive& zip) { return !pickle_member(zip).empty(); }

Model load_torch_archive(const ZipArchive& zip, DType dtype) {
    const TorchArchive archive(zip);
    return model_from_state_dict(archive, "torch.save", dtype);
}

}  // namespace igcam::models
