// Storage: one owning, move-only buffer of bytes on one device. Tensors share a Storage
// through shared_ptr; the CPU buffer is 64-byte aligned so BLAS and vector loads are happy.
//
// Reads and writes are told apart: data() reads, mutable_data() writes and counts a new
// version. Whatever a backend derives from the values (a layer's reordered weights, see
// core/weight_cache.h) records the storage's id and version it was made from and is used
// only while both still match, so a write can never leave a stale copy in use.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/device.h"

namespace igcam {

class Storage {
public:
    // Allocates `bytes` (uninitialised) on `device`. Throws OutOfMemoryError naming the
    // size when the allocation fails, DeviceError for a device this build cannot use.
    static std::shared_ptr<Storage> allocate(std::size_t bytes, Device device);

    ~Storage();
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;

    // The bytes, for reading.
    const void* data() const { return data_; }
    // The bytes, for writing: counts a new version first. A pointer from here must not be
    // kept and written through after something was derived from the values again, and a
    // write must not race with a backend deriving from them (nothing in igcam writes a
    // layer's weights while a forward pass runs).
    void* mutable_data() {
        version_.fetch_add(1, std::memory_order_acq_rel);
        return data_;
    }
    std::size_t bytes() const { return bytes_; }
    Device device() const { return device_; }

    // Unique among all storages of the process (never reused, unlike addresses).
    uint64_t id() const { return id_; }
    // How many times mutable_data() was called.
    uint64_t version() const { return version_.load(std::memory_order_acquire); }

private:
    Storage(void* data, std::size_t bytes, Device device);

    void* data_;
    std::size_t bytes_;
    Device device_;
    uint64_t id_;
    std::atomic<uint64_t> version_{0};
};

// Process-wide switches for tests and audits.
// A budget on the bytes of live tensor storage on `device` (0 removes it). An allocation
// past it throws OutOfMemoryError exactly as a real shortage does, so fallbacks (smaller
// chunks) can be exercised on any machine.
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
