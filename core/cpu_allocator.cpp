// The CPU allocator behind Storage (declared in core/storage.h). Small buffers come from
// aligned_alloc. Large ones (256 KiB and more) are mapped from the kernel, kept when freed
// and handed out again for their size class or for a request of up to half their size: a
// batched pass (IG-CAM's 50 steps, Score-CAM's masks) allocates and frees the same few
// sizes hundreds of times, and a block given back to the kernel costs a page fault for
// every 4 KiB first touched when mapped again. Without the cache a batch-50 ResNet-50
// IG-CAM spent 40 % of its time in the kernel (2.5 million faults). Serving smaller
// requests from larger kept blocks keeps a run whose shapes vary (batches of 16 images,
// a last one of 4, 1-row passes) from holding a set of blocks per shape: igcam-run on 20
// ResNet-50 images took 675 MB at peak with exact classes only, 522 MB so (1 image: 448 MB).
//
// IGCAM_CPU_CACHE_MIB caps the bytes kept while unused (default 4096; 0 turns the cache
// off). Memory that is in use is never limited here.
#include <sys/mman.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/storage.h"

namespace igcam {

namespace {

constexpr std::size_t kAlignment = 64;
constexpr std::size_t kLargeBytes = std::size_t{256} << 10;  // from here on, cached

// Sizes are rounded up to one of 8 classes per power of two (at most 12.5 % unused), so a
// freed block serves any later request of its class.
std::size_t size_class(std::size_t bytes) {
    std::size_t power = kLargeBytes;
    while (power * 2 <= bytes) power *= 2;
    const std::size_t step = power / 8;
    return (bytes + step - 1) / step * step;
}

// Null when the memory is not there.
void* try_aligned(std::size_t bytes) noexcept {
    // aligned_alloc wants a multiple of the alignment; a zero-byte tensor still gets a
    // valid (one-line) buffer so data() is never null.
    const std::size_t rounded = ((bytes + kAlignment - 1) / kAlignment) * kAlignment;
    return std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
}

// Large blocks come straight from the kernel (mmap), so a freed one goes back at once:
// glibc serves blocks this size from its heap once its mmap threshold has grown, and keeps
// freed heap memory, so a run over images of many shapes grew its resident memory with
// every new shape. Page-aligned, which is more than kAlignment. Null when refused.
void* map_block(std::size_t bytes) noexcept {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
}

void unmap_block(void* pointer, std::size_t bytes) noexcept { munmap(pointer, bytes); }

void check_allocated(const void* pointer, std::size_t bytes) {
    IGCAM_CHECK(pointer != nullptr, OutOfMemoryError, "out of memory: could not allocate ", bytes,
                " bytes on the CPU");
}

std::size_t cache_limit_bytes() {
    std::size_t mib = 4096;
    if (const char* env = std::getenv("IGCAM_CPU_CACHE_MIB")) {
        const long long value = std::atoll(env);
        IGCAM_CHECK(value >= 0 && std::to_string(value) == env, ValueError,
                    "IGCAM_CPU_CACHE_MIB must be a whole number of MiB (0 turns the cache off), got '", env, "'");
        mib = static_cast<std::size_t>(value);
    }
    return mib << 20;
}

class LargeBlocks {
public:
    void* take(std::size_t bytes) {
        static const std::size_t limit = cache_limit_bytes();  // throws here, never in give_back
        const std::size_t size = size_class(bytes);
        std::lock_guard<std::mutex> lock(mutex_);
        limit_ = limit;
        // A kept block of this class, or else of the smallest larger class up to twice the
        // size: a run whose shapes vary (a last, smaller batch; 1-row and 16-row passes)
        // reuses what is already resident instead of mapping more beside it.
        std::size_t block_size = size;
        void* pointer = nullptr;
        for (auto it = free_.lower_bound(size); it != free_.end() && it->first <= 2 * size; ++it) {
            if (it->second.empty()) continue;
            block_size = it->first;
            pointer = it->second.back();
            it->second.pop_back();
            cached_bytes_ -= block_size;
            break;
        }
        if (pointer == nullptr) {
            pointer = map_block(size);
            if (pointer == nullptr) {  // the blocks kept for other sizes may be what is missing
                release_cached();
                pointer = map_block(size);
            }
            check_allocated(pointer, bytes);
        }
        try {
            live_[pointer] = block_size;
        } catch (...) {
            unmap_block(pointer, block_size);
            throw;
        }
        return pointer;
    }

    // False when `pointer` is not a large block (the caller frees it).
    bool give_back(void* pointer) noexcept {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = live_.find(pointer);
        if (it == live_.end()) return false;
        const std::size_t size = it->second;
        live_.erase(it);
        if (cached_bytes_ + size > limit_) {
            unmap_block(pointer, size);
            return true;
        }
        try {
            free_[size].push_back(pointer);
            cached_bytes_ += size;
        } catch (...) {  // no memory for the list itself: just free the block
            unmap_block(pointer, size);
        }
        return true;
    }

    void release() noexcept {
        std::lock_guard<std::mutex> lock(mutex_);
        release_cached();
    }

private:
    void release_cached() noexcept {
        for (auto& [size, blocks] : free_)
            for (void* block : blocks) unmap_block(block, size);
        free_.clear();
        cached_bytes_ = 0;
    }

    std::mutex mutex_;
    std::map<std::size_t, std::vector<void*>> free_;             // size class -> unused blocks
    std::unordered_map<void*, std::size_t> live_;                // large blocks in use
    std::size_t cached_bytes_ = 0, limit_ = 0;
};

// Never destroyed: tensors held in static objects may be freed after main returns.
LargeBlocks& large_blocks() {
    static LargeBlocks* instance = new LargeBlocks();
    return *instance;
}

}  // namespace

void* cpu_allocate(std::size_t bytes) {
    if (bytes >= kLargeBytes) return large_blocks().take(bytes);
    void* pointer = try_aligned(bytes);
    check_allocated(pointer, bytes);
    return pointer;
}

void cpu_free(void* pointer) noexcept {
    if (pointer != nullptr && !large_blocks().give_back(pointer)) std::free(pointer);
}

void cpu_release_cached() noexcept { large_blocks().release(); }

}  // namespace igcam
