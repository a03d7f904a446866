#include "core/weight_cache.h"

#include <algorithm>

namespace igcam {

WeightCache::Source WeightCache::Source::of(const Tensor& weights, std::vector<float> scale) {
    IGCAM_CHECK(weights.defined(), ValueError, "WeightCache: the weights are undefined");
    return Source{weights.storage()->id(), weights.storage()->version(), weights.offset_bytes(), std::move(scale)};
}

void WeightCache::insert(const void* owner, Source source, std::shared_ptr<const void> values) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::erase_if(entries_, [&](const Entry& e) {
        return e.source.storage_id != source.storage_id || e.source.offset_bytes != source.offset_bytes ||
               e.source.version != source.version;
    });
    if (entries_.size() >= kMaxEntries) entries_.erase(entries_.begin());
    entries_.push_back(Entry{owner, std::move(source), std::move(values)});
}

bool WeightCache::holds_current(const Tensor& weights) const {
    const Source now = Source::of(weights);
    std::lock_guard<std::mutex> lock(mutex_);
    return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
        return e.source.storage_id == now.storage_id && e.source.offset_bytes == now.offset_bytes &&
               e.source.version == now.version;
    });
}

std::size_t WeightCache::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
}

void WeightCache::clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.clear();
}

}  // namespace igcam
