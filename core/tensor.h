// Tensor: a contiguous row-major array (NCHW for images) of f32 or f64 on one device.
// Copies are shallow (they share storage); clone() copies the data. reshape() and
// slice_batch() return views sharing storage. Math lives in core/ops.h, not here.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"
#include "core/storage.h"

namespace igcam {

class Tensor {
public:
    // An undefined tensor (no storage); defined() is false. Used for "no gradient".
    Tensor() = default;

    static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
    static Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
    static Tensor full(const Shape& shape, double value, DType dtype = DType::F32,
                       Device device = Device::cpu());
    // Copies `values` (row-major; size must equal shape.numel()) into a new tensor on `device`.
    static Tensor from_values(const Shape& shape, const std::vector<double>& values,
                              DType dtype = DType::F32, Device device = Device::cpu());
    static Tensor from_values(const Shape& shape, std::initializer_list<double> values,
                              DType dtype = DType::F32);
    static Tensor scalar(double value, DType dtype = DType::F32);

    bool defined() const { return storage_ != nullptr; }
    const Shape& shape() const { return shape_; }
    DType dtype() const { return dtype_; }
    Device device() const;
    int rank() const { return shape_.rank(); }
    int64_t dim(int i) const { return shape_[i]; }
    int64_t numel() const { return shape_.numel(); }
    std::size_t bytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype_); }

    // Typed pointer to the first element. Throws DTypeError when T does not match dtype().
    template <typename T>
    T* data() const {
        IGCAM_CHECK(defined(), ValueError, "tensor is undefined");
        IGCAM_CHECK(dtype_of<T>() == dtype_, DTypeError, "tensor holds ", dtype_name(dtype_),
                    ", not ", dtype_name(dtype_of<T>()));
        return reinterpret_cast<T*>(raw_data());
    }
    void* raw_data() const;

    // A deep copy on the same device.
    Tensor clone() const;
    // A view with another shape of the same numel, sharing storage.
    Tensor reshape(const Shape& shape) const;
    // Rows [begin, end) along dimension 0, sharing storage.
    Tensor slice_batch(int64_t begin, int64_t end) const;
    // A copy converted to `dtype` (or this tensor when it already has that dtype).
    Tensor to(DType dtype) const;
    // A copy on `device` (or this tensor when it is already there).
    Tensor to(Device device) const;

    // Host-side conveniences for tests, tools and small values. A GPU tensor is copied to
    // the host first (which waits for the device).
    double item() const;                      // the single element, as double
    double at(std::initializer_list<int64_t> index) const;
    std::vector<double> to_vector() const;    // every element, row-major, as double

    // The storage and where this tensor starts in it, for a backend that keeps a storage's
    // values in its own layout (Storage::Alternate) and must not make the plain ones.
    const std::shared_ptr<Storage>& storage() const { return storage_; }
    std::size_t offset_bytes() const { return offset_bytes_; }
    // A tensor over all of `storage` (whose bytes must be shape's numel in dtype).
    static Tensor from_storage(std::shared_ptr<Storage> storage, const Shape& shape, DType dtype);

    // True when both tensors view the same bytes of the same storage.
    bool same_storage(const Tensor& other) const { return storage_ == other.storage_; }

private:
    std::shared_ptr<Storage> storage_;
    std::size_t offset_bytes_ = 0;
    Shape shape_;
    DType dtype_ = DType::F32;

    void require_defined(const char* what) const;
};

}  // namespace igcam
