// Tensor: a contiguous array (NCHW for images) of f32 or f64 on one device, in a named
// layout (core/layout.h: row-major "plain", or oneDNN's channel-blocked one on the CPU).
// Copies are shallow (they share storage); clone() copies the data. reshape() and
// slice_batch() return views sharing storage. Math lives in core/ops.h, not here.
//
// data() reads and mutable_data() writes, both only in the plain layout; ops::to_plain
// gives the plain values of any tensor without changing it. Only the host conveniences
// (item, at, to_vector) read other layouts, through ops::to_plain.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/layout.h"
#include "core/shape.h"
#include "core/storage.h"

namespace igcam {

class Tensor {
public:
    // An undefined tensor (no storage); defined() is false. Used for "no gradient".
    Tensor() = default;

    static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
    // Uninitialised, in `layout` (a channel-blocked one needs a float32 (N, C, H, W) CPU
    // tensor whose C is a multiple of the block: ValueError / ShapeError otherwise).
    static Tensor empty(const Shape& shape, DType dtype, Device device, Layout layout);
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
    const Layout& layout() const { return layout_; }
    Device device() const;
    int rank() const { return shape_.rank(); }
    int64_t dim(int i) const { return shape_[i]; }
    int64_t numel() const { return shape_.numel(); }
    std::size_t bytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype_); }

    // Typed pointer to the first element, for reading. Throws DTypeError when T does not
    // match dtype(), LayoutError when the values are not plain (ops::to_plain first).
    template <typename T>
    const T* data() const {
        check_typed_access<T>("data");
        return static_cast<const T*>(raw_data());
    }
    // The same, for writing: the storage counts a new version (core/storage.h), so copies
    // derived from the old values are not used any more.
    template <typename T>
    T* mutable_data() {
        check_typed_access<T>("mutable_data");
        return static_cast<T*>(mutable_raw_data());
    }
    // The bytes in this tensor's layout(), whatever it is (for backends and raw copies).
    const void* raw_data() const;
    void* mutable_raw_data();

    // A deep copy on the same device.
    Tensor clone() const;
    // A view with another shape of the same numel, sharing storage. Plain layout only
    // (LayoutError otherwise: a blocked tensor has no row-major view).
    Tensor reshape(const Shape& shape) const;
    // Rows [begin, end) along dimension 0, sharing storage, in the same layout.
    Tensor slice_batch(int64_t begin, int64_t end) const;
    // A copy converted to `dtype` (or this tensor when it already has that dtype).
    Tensor to(DType dtype) const;
    // A copy on `device` (or this tensor when it is already there).
    Tensor to(Device device) const;

    // Host-side conveniences for tests, tools and small values. A GPU tensor is copied to
    // the host first (which waits for the device); values in another layout are read
    // through ops::to_plain.
    double item() const;                      // the single element, as double
    double at(std::initializer_list<int64_t> index) const;
    std::vector<double> to_vector() const;    // every element, row-major, as double

    // The storage and where this tensor starts in it (for backends and their caches).
    const std::shared_ptr<Storage>& storage() const { return storage_; }
    std::size_t offset_bytes() const { return offset_bytes_; }

    // True when both tensors view the same bytes of the same storage.
    bool same_storage(const Tensor& other) const { return storage_ == other.storage_; }

private:
    std::shared_ptr<Storage> storage_;
    std::size_t offset_bytes_ = 0;
    Shape shape_;
    DType dtype_ = DType::F32;
    Layout layout_;

    void require_defined(const char* what) const;
    // Throws unless the tensor is defined, holds T and is plain.
    template <typename T>
    void check_typed_access(const char* what) const {
        IGCAM_CHECK(defined(), ValueError, what, ": tensor is undefined");
        IGCAM_CHECK(dtype_of<T>() == dtype_, DTypeError, "tensor holds ", dtype_name(dtype_),
                    ", not ", dtype_name(dtype_of<T>()));
        if (!layout_.is_plain()) throw_not_plain(what);
    }
    [[noreturn]] void throw_not_plain(const char* what) const;
};

}  // namespace igcam
