// WeightCache: a layer's weights as a backend prepared them for its own kernels (oneDNN's
// blocked layout, with a batch norm's scale folded in), kept by the layer that owns the
// weights from one call to the next.
//
// Every entry is keyed by what it was made from: the weights tensor's storage (its id, its
// offset in it and its version, core/storage.h) and the scale. A backend uses an entry only
// while all of them still match, so a write through mutable_data(), or a new tensor put in
// the weights' place, makes it prepare them again; the entries made from older values are
// dropped then. Reading the weights changes nothing. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/tensor.h"

namespace igcam {

class WeightCache {
public:
    // What an entry was made from.
    struct Source {
        uint64_t storage_id = 0, version = 0;
        std::size_t offset_bytes = 0;
        std::vector<float> scale;  // per output channel; empty: not scaled

        // The weights as they are now, scaled by `scale`.
        static Source of(const Tensor& weights, std::vector<float> scale = {});
        bool operator==(const Source& other) const = default;
    };

    WeightCache() = default;
    WeightCache(const WeightCache&) = delete;
    WeightCache& operator=(const WeightCache&) = delete;

    // The values `owner` (a backend's tag) made from `source` that satisfy match(values),
    // or null. Values is the backend's own type; match tells its variants apart (the layout
    // each primitive wants).
    template <typename Values, typename Match>
    std::shared_ptr<const Values> find(const void* owner, const Source& source, Match&& match) const {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const Entry& e : entries_)
            if (e.owner == owner && e.source == source && match(*static_cast<const Values*>(e.values.get())))
                return std::static_pointer_cast<const Values>(e.values);
        return nullptr;
    }
    // Adds `values`, made by `owner` from `source`. Entries made from other values of the
    // weights (another storage, offset or an older version) are dropped; of the rest the
    // oldest goes once kMaxEntries are held.
    void insert(const void* owner, Source source, std::shared_ptr<const void> values);

    // Whether some entry was made from `weights` as they are now (for tests and reports).
    bool holds_current(const Tensor& weights) const;
    std::size_t size() const;
    void clear();

    // A layer runs with at most a few variants at once: folded with its batch norm (inference
    // fusion) or not (a recorded pass), at one or two batch sizes.
    static constexpr std::size_t kMaxEntries = 4;

private:
    struct Entry {
        const void* owner;
        Source source;
        std::shared_ptr<const void> values;
    };
    mutable std::mutex mutex_;
    std::vector<Entry> entries_;  // oldest first
};

}  // namespace igcam
