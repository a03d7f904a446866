// Storage: one owning, move-only buffer of bytes on one device. Tensors share a Storage
// through shared_ptr; the CPU buffer is 64-byte aligned so BLAS and vector loads are happy.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>

#include "core/device.h"

namespace igcam {

class Storage {
public:
    // Allocates `bytes` (uninitialised) on `device`. Throws OutOfMemoryError naming the
    // size when the allocation fails, DeviceError for a device this build cannot use.
    static std::shared_ptr<Storage> allocate(std::size_t bytes, Device device);

    // The same values in a backend's own layout (oneDNN's channel-blocked one), so that
    // the next op of that backend reads them without a reorder. Two kinds:
    // - pending: the plain values are not written yet; write_plain writes them (bytes()
    //   of row-major values) from `values` on the first data() call;
    // - derived: the plain values exist and `values` was made from them (write_plain is
    //   null), a cache.
    // Either way data() drops the alternate: it is not kept in step with later writes.
    // So a pointer from data() must not be kept across another op and written through
    // later: a backend may have made its copy in between. Nothing in igcam does that.
    struct Alternate {
        std::shared_ptr<void> values;  // the backend's object, of the type `owner` names
        const void* owner = nullptr;   // a tag address of the backend that made `values`
        std::function<void(void* plain)> write_plain;
    };

    // A CPU storage whose values exist only as the pending `alternate` until data() is
    // first called, which allocates the plain buffer then (and counts it against the
    // budget then: the alternate's own buffer is a storage of its own, counted already).
    static std::shared_ptr<Storage> deferred(std::size_t bytes, Alternate alternate);

    ~Storage();
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;

    // The plain (row-major) values; written from a pending alternate first. Drops the
    // alternate, since the caller may write through the pointer.
    void* data() const {
        if (has_alternate_.load(std::memory_order_acquire)) drop_alternate();
        return data_;
    }
    std::size_t bytes() const { return bytes_; }
    Device device() const { return device_; }

    // Whether some alternate is attached now (for tests).
    bool holds_alternate() const { return has_alternate_.load(std::memory_order_acquire); }
    // The alternate `owner` attached, or null (none, or another owner's). Leaves the
    // plain values as they are.
    std::shared_ptr<void> alternate(const void* owner) const;
    // Attaches a derived alternate (write_plain null), replacing any other: only after the
    // plain values were read through data().
    void set_derived(std::shared_ptr<void> values, const void* owner);

private:
    Storage(void* data, std::size_t bytes, Device device)
        : data_(data), bytes_(bytes), device_(device) {}
    void drop_alternate() const;

    // Mutable: a const Storage still writes its pending values on first read.
    mutable void* data_;
    std::size_t bytes_;
    Device device_;
    mutable std::mutex alternate_mutex_;
    mutable Alternate alternate_;
    mutable std::atomic<bool> has_alternate_{false};
};

// Process-wide switches for tests and audits.
// A budget on the bytes of live tensor storage on `device` (0 removes it). An allocation
// past it throws OutOfMemoryError exactly as a real shortage does, so fallbacks (IG-CAM's
// smaller chunks) can be exercised on any machine.
void set_memory_limit(Device device, std::size_t bytes);
// Bytes of tensor storage alive on `device` now, and at most since reset_peak_storage.
std::size_t live_storage_bytes(Device device);
std::size_t peak_storage_bytes(Device device);
void reset_peak_storage(Device device);
// When on, every new storage is filled with 0xFF bytes (NaN in f32 and f64), so an op that
// leaves part of its output unwritten is caught by the comparison that follows.
void set_poison_new_storage(bool enabled);

// The CPU allocator (core/cpu_allocator.cpp): 64-byte aligned, never returns null (throws
// OutOfMemoryError); large blocks are kept for reuse when freed.
void* cpu_allocate(std::size_t bytes);
void cpu_free(void* pointer) noexcept;
// Gives the kept, unused large blocks back to the system (memory measurements start here).
void cpu_release_cached() noexcept;

}  // namespace igcam
