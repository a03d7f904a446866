// Device memory for core/: the caching allocator and host/device copies. Free of CUDA
// headers so core/storage.cpp and core/tensor.cpp can call it. Every call names the device
// index; the calls run on that device's stream (cuda/context.h) and copies to the host wait
// for it.
#pragma once

#include <cstddef>
#include <string>

namespace igcam::cuda {

// Device memory of `bytes` on `device`, from the cache when a freed block of the same
// rounded size is available, else from cudaMalloc (after emptying the cache if the first
// cudaMalloc fails). Throws OutOfMemoryError naming the bytes asked for and the bytes free.
// IGCAM_CUDA_CACHING=0 in the environment turns the cache off (every block goes straight
// back to cudaFree), which is what compute-sanitizer needs to see every access.
void* allocate(std::size_t bytes, int device);
// Returns a block from allocate(); it is reused only by later work on the same stream, so
// kernels already queued that read it finish first.
void release(void* pointer, std::size_t bytes, int device) noexcept;
// Hands every cached block of `device` back to the driver; returns the bytes handed back.
std::size_t empty_cache(int device);
// The same on every device that has cached blocks; returns the bytes handed back. For the
// pipeline's out-of-memory retry: cuBLAS and cuDNN allocate beside this cache.
std::size_t empty_all_caches();

// Bytes of device memory the allocator holds for tensors now and at most since the last
// reset_peak_memory (cached blocks not counted).
std::size_t memory_in_use(int device);
std::size_t peak_memory(int device);
void reset_peak_memory(int device);

void copy_host_to_device(void* device_dst, const void* host_src, std::size_t bytes, int device);
void copy_device_to_host(void* host_dst, const void* device_src, std::size_t bytes, int device);
void copy_device_to_device(void* dst, const void* src, std::size_t bytes, int device);
// Sets every byte of [pointer, pointer + bytes) to `value`.
void fill_bytes(void* pointer, int value, std::size_t bytes, int device);
// Waits for everything queued on the device's stream.
void synchronize(int device);

// Free device memory plus the blocks the cache holds.
std::size_t available_memory(int device);

// "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB)" for reports.
std::string device_name(int device);

}  // namespace igcam::cuda

namespace igcam::cuda {

// A block of device memory owned for one scope (scratch space, workspaces).
class DeviceBuffer {
public:
    DeviceBuffer(int device, std::size_t bytes)
        : device_(device), bytes_(bytes), pointer_(bytes > 0 ? allocate(bytes, device) : nullptr) {}
    ~DeviceBuffer() { release(pointer_, bytes_, device_); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;

    void* get() const { return pointer_; }
    template <typename U>
    U* as() const { return static_cast<U*>(pointer_); }
    std::size_t bytes() const { return bytes_; }

private:
    int device_;
    std::size_t bytes_;
    void* pointer_;
};

}  // namespace igcam::cuda
