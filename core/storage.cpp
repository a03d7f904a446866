#include "core/storage.h"

#include <cstring>
#include <map>
#include <mutex>

#include "core/error.h"
#ifdef IGCAM_WITH_CUDA
#include "cuda/memory.h"
#endif

namespace igcam {

namespace {

struct Budget {
    std::size_t live = 0, peak = 0, limit = 0;
};
std::mutex budget_mutex;
std::map<std::pair<int, int>, Budget> budgets;  // (kind, index) -> budget
bool poison = false;
std::atomic<uint64_t> next_storage_id{1};

Budget& budget_of(Device device) {
    return budgets[{static_cast<int>(device.kind), device.index}];
}

// Counts `bytes` against the device's budget; throws when a limit is set and exceeded.
void reserve(Device device, std::size_t bytes) {
    std::lock_guard<std::mutex> lock(budget_mutex);
    Budget& b = budget_of(device);
    IGCAM_CHECK(b.limit == 0 || b.live + bytes <= b.limit, OutOfMemoryError, "out of memory on ",
                device.to_string(), ": could not allocate ", bytes, " bytes (memory limit ", b.limit,
                " bytes, ", b.live, " in use)");
    b.live += bytes;
    if (b.live > b.peak) b.peak = b.live;
}

void unreserve(Device device, std::size_t bytes) noexcept {
    std::lock_guard<std::mutex> lock(budget_mutex);
    budget_of(device).live -= bytes;
}
}  // namespace

void set_memory_limit(Device device, std::size_t bytes) {
    std::lock_guard<std::mutex> lock(budget_mutex);
    budget_of(device).limit = bytes;
}

std::size_t live_storage_bytes(Device device) {
    std::lock_guard<std::mutex> lock(budget_mutex);
    return budget_of(device).live;
}

std::size_t peak_storage_bytes(Device device) {
    std::lock_guard<std::mutex> lock(budget_mutex);
    return budget_of(device).peak;
}

void reset_peak_storage(Device device) {
    std::lock_guard<std::mutex> lock(budget_mutex);
    Budget& b = budget_of(device);
    b.peak = b.live;
}

void set_poison_new_storage(bool enabled) { poison = enabled; }

std::shared_ptr<Storage> Storage::allocate(std::size_t bytes, Device device) {
#ifndef IGCAM_WITH_CUDA
    IGCAM_CHECK(device.is_cpu(), DeviceError, "cannot allocate on ", device.to_string(),
                ": this build has no CUDA backend");
#endif
    reserve(device, bytes);
    void* data = nullptr;
    try {
#ifdef IGCAM_WITH_CUDA
        data = device.is_cpu() ? cpu_allocate(bytes) : cuda::allocate(bytes, device.index);
        if (poison && device.is_cuda()) cuda::fill_bytes(data, 0xFF, bytes, device.index);
#else
        data = cpu_allocate(bytes);
#endif
    } catch (...) {
        unreserve(device, bytes);
        throw;
    }
    if (poison && device.is_cpu()) std::memset(data, 0xFF, bytes);
    return std::shared_ptr<Storage>(new Storage(data, bytes, device));
}

Storage::Storage(void* data, std::size_t bytes, Device device)
    : data_(data), bytes_(bytes), device_(device), id_(next_storage_id.fetch_add(1, std::memory_order_relaxed)) {}

Storage::~Storage() {
    unreserve(device_, bytes_);
#ifdef IGCAM_WITH_CUDA
    if (device_.is_cuda()) {
        cuda::release(data_, bytes_, device_.index);
        return;
    }
#endif
    cpu_free(data_);
}

}  // namespace igcam
