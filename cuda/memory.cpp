#include "cuda/memory.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"
#include "cuda/check.h"
#include "cuda/context.h"

namespace igcam::cuda {

namespace {

// Blocks are rounded so that tensors of nearly equal size share cached blocks: to 512 bytes
// below 1 MiB, to 2 MiB above.
std::size_t rounded_size(std::size_t bytes) {
    constexpr std::size_t small = 512, large = 2u << 20, threshold = 1u << 20;
    if (bytes == 0) return small;
    const std::size_t unit = bytes < threshold ? small : large;
    return (bytes + unit - 1) / unit * unit;
}

bool caching_enabled() {
    static const bool enabled = [] {
        const char* env = std::getenv("IGCAM_CUDA_CACHING");
        return env == nullptr || std::string(env) != "0";
    }();
    return enabled;
}

struct DeviceCache {
    std::multimap<std::size_t, void*> free_blocks;  // rounded size -> block
    std::size_t in_use = 0, peak = 0;
};

std::mutex cache_mutex;
std::map<int, DeviceCache> caches;

// Returns the bytes handed back.
std::size_t free_cached(DeviceCache& cache) {
    std::size_t bytes = 0;
    for (auto& [size, pointer] : cache.free_blocks) {
        cudaFree(pointer);
        bytes += size;
    }
    cache.free_blocks.clear();
    return bytes;
}

}  // namespace

void* allocate(std::size_t bytes, int device) {
    Context& ctx = context(device);
    const std::size_t size = rounded_size(bytes);
    std::lock_guard<std::mutex> lock(cache_mutex);
    DeviceCache& cache = caches[device];
    void* pointer = nullptr;
    auto hit = cache.free_blocks.find(size);
    if (hit != cache.free_blocks.end()) {
        pointer = hit->second;
        cache.free_blocks.erase(hit);
    } else {
        cudaError_t status = cudaMalloc(&pointer, size);
        if (status == cudaErrorMemoryAllocation && !cache.free_blocks.empty()) {
            cudaGetLastError();  // clear the sticky-free error state before retrying
            IGCAM_CUDA_CHECK(cudaStreamSynchronize(ctx.stream()));
            free_cached(cache);
            status = cudaMalloc(&pointer, size);
        }
        if (status != cudaSuccess) {
            cudaGetLastError();
            std::size_t free_bytes = 0, total_bytes = 0;
            cudaMemGetInfo(&free_bytes, &total_bytes);
            IGCAM_CHECK(status != cudaErrorMemoryAllocation, OutOfMemoryError, "out of memory on cuda:",
                        device, ": could not allocate ", bytes, " bytes (", free_bytes, " of ",
                        total_bytes, " bytes free)");
            IGCAM_CUDA_CHECK(status);
        }
    }
    cache.in_use += size;
    if (cache.in_use > cache.peak) cache.peak = cache.in_use;
    return pointer;
}

void release(void* pointer, std::size_t bytes, int device) noexcept {
    if (pointer == nullptr) return;
    const std::size_t size = rounded_size(bytes);
    std::lock_guard<std::mutex> lock(cache_mutex);
    DeviceCache& cache = caches[device];
    cache.in_use -= size;
    if (caching_enabled()) {
        cache.free_blocks.emplace(size, pointer);
    } else {
        // cudaFree waits for the device, so queued kernels reading the block finish first.
        cudaSetDevice(device);
        cudaFree(pointer);
    }
}

std::size_t empty_cache(int device) {
    Context& ctx = context(device);
    IGCAM_CUDA_CHECK(cudaStreamSynchronize(ctx.stream()));
    std::lock_guard<std::mutex> lock(cache_mutex);
    return free_cached(caches[device]);
}

std::size_t empty_all_caches() {
    std::vector<int> devices;
    {
        std::lock_guard<std::mutex> lock(cache_mutex);
        for (const auto& [device, cache] : caches)
            if (!cache.free_blocks.empty()) devices.push_back(device);
    }
    std::size_t released = 0;
    for (const int device : devices) released += empty_cache(device);
    return released;
}

std::size_t memory_in_use(int device) {
    std::lock_guard<std::mutex> lock(cache_mutex);
    return caches[device].in_use;
}

std::size_t peak_memory(int device) {
    std::lock_guard<std::mutex> lock(cache_mutex);
    return caches[device].peak;
}

void reset_peak_memory(int device) {
    std::lock_guard<std::mutex> lock(cache_mutex);
    DeviceCache& cache = caches[device];
    cache.peak = cache.in_use;
}

void copy_host_to_device(void* device_dst, const void* host_src, std::size_t bytes, int device) {
    Context& ctx = context(device);
    // Pageable host memory: the copy is staged by the driver and has returned once the
    // source may be reused.
    IGCAM_CUDA_CHECK(cudaMemcpyAsync(device_dst, host_src, bytes, cudaMemcpyHostToDevice, ctx.stream()));
    IGCAM_CUDA_CHECK(cudaStreamSynchronize(ctx.stream()));
}

void copy_device_to_host(void* host_dst, const void* device_src, std::size_t bytes, int device) {
    Context& ctx = context(device);
    IGCAM_CUDA_CHECK(cudaMemcpyAsync(host_dst, device_src, bytes, cudaMemcpyDeviceToHost, ctx.stream()));
    IGCAM_CUDA_CHECK(cudaStreamSynchronize(ctx.stream()));
}

void copy_device_to_device(void* dst, const void* src, std::size_t bytes, int device) {
    Context& ctx = context(device);
    IGCAM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, ctx.stream()));
}

void fill_bytes(void* pointer, int value, std::size_t bytes, int device) {
    Context& ctx = context(device);
    IGCAM_CUDA_CHECK(cudaMemsetAsync(pointer, value, bytes, ctx.stream()));
}

void synchronize(int device) {
    Context& ctx = context(device);
    IGCAM_CUDA_CHECK(cudaStreamSynchronize(ctx.stream()));
}

std::size_t available_memory(int device) {
    context(device);
    std::size_t free_bytes = 0, total_bytes = 0;
    IGCAM_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    std::lock_guard<std::mutex> lock(cache_mutex);
    std::size_t cached = 0;
    for (const auto& [size, pointer] : caches[device].free_blocks) cached += size;
    return free_bytes + cached;
}

std::string device_name(int device) {
    context(device);
    cudaDeviceProp prop{};
    IGCAM_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    return detail::concat(prop.name, " (sm_", prop.major, prop.minor, ", ",
                          static_cast<double>(prop.totalGlobalMem) / (1u << 30), " GiB)");
}

}  // namespace igcam::cuda
