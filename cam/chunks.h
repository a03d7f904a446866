// The one loop every batched computation of the pipeline runs in: rows [0, total) (images of
// a batch, IG-CAM's (image, step) rows, Score-CAM's masked inputs, Ablation-CAM's ablations)
// in chunks of at most size() rows. A chunk that runs out of memory first hands the GPU
// allocator's cached blocks back to the driver (cuBLAS and cuDNN allocate their own memory,
// and a full cache can be what they ran out of), and where that released anything the chunk
// is retried once at the same size; otherwise, or when that fails too, it is retried at half
// its size, down to one row, and later chunks keep the smaller size; the pipeline keeps a loop
// per method for all the images of one input size, so every later batch of that size starts
// from the size that fitted.
//
// A chunk is computed in full before anything is kept: compute(begin, end) must not change
// anything a retry would see (it returns its result), and keep(result, begin, end) takes it.
// Results do not depend on the chunking: each row is computed independently.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "core/backend.h"
#include "core/error.h"

namespace igcam::cam {

class ChunkLoop {
public:
    // size >= 1 rows per chunk (ValueError otherwise). `release` hands cached memory back
    // after an out-of-memory and returns the bytes it freed (tests give their own).
    explicit ChunkLoop(int64_t size, std::function<std::size_t()> release = release_cached_memory)
        : size_(size), release_(std::move(release)) {
        IGCAM_CHECK(size >= 1, ValueError, "a batch must hold at least one row, got ", size);
    }

    template <typename Compute, typename Keep>
    void run(int64_t total, Compute&& compute, Keep&& keep) {
        for (int64_t begin = 0; begin < total;) {
            const int64_t end = std::min(total, begin + size_);
            std::optional<decltype(compute(begin, end))> result;
            try {
                result.emplace(compute(begin, end));
            } catch (const OutOfMemoryError&) {
                // One retry at the same size per shortage, where releasing freed something:
                // the failed chunk's own blocks are cached again, so every release frees some.
                if (release_() > 0 && !retried_same_size_) {
                    retried_same_size_ = true;
                    retries_.push_back(end - begin);
                    continue;
                }
                if (end - begin == 1) throw;
                size_ = (end - begin) / 2;
                retries_.push_back(size_);
                continue;
            }
            retried_same_size_ = false;
            ++passes_;
            rows_ += end - begin;
            keep(std::move(*result), begin, end);
            begin = end;
        }
    }

    int64_t size() const { return size_; }
    // Chunks computed, and the rows they held.
    int64_t passes() const { return passes_; }
    int64_t rows() const { return rows_; }
    // After each chunk that ran out of memory: the size tried next.
    const std::vector<int64_t>& retries() const { return retries_; }

private:
    int64_t size_;
    std::function<std::size_t()> release_;
    bool retried_same_size_ = false;
    int64_t passes_ = 0, rows_ = 0;
    std::vector<int64_t> retries_;
};

// Rows [first_row, first_row + count) of an image-major sequence of (image, item) rows
// (item: an IG-CAM step, a Score-CAM mask, an ablated channel) that belong to `image`,
// starting at its item `first_item`.
struct RowSegment {
    int64_t image, first_row, first_item, count;
};

// The segments of rows [begin, end) when every image has `per_image` rows.
inline std::vector<RowSegment> segments_of(int64_t begin, int64_t end, int64_t per_image) {
    std::vector<RowSegment> out;
    for (int64_t i = begin; i < end;) {
        const int64_t image = i / per_image, stop = std::min(end, (image + 1) * per_image);
        out.push_back({image, i, i % per_image, stop - i});
        i = stop;
    }
    return out;
}

}  // namespace igcam::cam
