// Storage: one owning, move-only buffer of bytes on one device. Tensors share a Storage
// through shared_ptr; the CPU buffer is 64-byte aligned so BLAS and vector loads are happy.
#pragma once

#include <cstddef>
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

    void* data() const { return data_; }
    std::size_t bytes() const { return bytes_; }
    Device device() const { return device_; }

private:
    Storage(void* data, std::size_t bytes, Device device)
        : data_(data), bytes_(bytes), device_(device) {}

    void* data_;
    std::size_t bytes_;
    Device device_;
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

}  // namespace igcam
