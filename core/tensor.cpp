#include "core/tensor.h"

#include <cstring>

#include "core/ops.h"

namespace igcam {

Layout Layout::channel_blocked(int64_t block) {
    IGCAM_CHECK(block >= 2, ValueError, "a channel-blocked layout needs at least 2 channels per block, got ", block);
    Layout layout;
    layout.block_ = block;
    return layout;
}

std::string Layout::to_string() const { return is_plain() ? "plain" : "nChw" + std::to_string(block_) + "c"; }

namespace {

template <typename T>
void fill_from_doubles(T* out, const double* values, int64_t n) {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(values[i]);
}

template <typename T>
void copy_to_doubles(double* out, const T* values, int64_t n) {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<double>(values[i]);
}

}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
    Tensor t;
    t.shape_ = shape;
    t.dtype_ = dtype;
    t.storage_ = Storage::allocate(t.bytes(), device);
    return t;
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device, Layout layout) {
    if (!layout.is_plain()) {
        IGCAM_CHECK(dtype == DType::F32 && device.is_cpu(), ValueError, "the ", layout.to_string(),
                    " layout holds float32 CPU tensors only, not ", dtype_name(dtype), " on ", device.to_string());
        IGCAM_CHECK(shape.rank() == 4 && shape[1] % layout.channel_block() == 0, ShapeError, "the ",
                    layout.to_string(), " layout needs (N, C, H, W) with C a multiple of ", layout.channel_block(),
                    ", got shape ", shape.to_string());
    }
    Tensor t = empty(shape, dtype, device);
    t.layout_ = layout;
    return t;
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
    return full(shape, 0.0, dtype, device);
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
    return ops::full(shape, value, dtype, device);
}

Tensor Tensor::from_values(const Shape& shape, const std::vector<double>& values, DType dtype,
                           Device device) {
    IGCAM_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), ShapeError, "from_values: ",
                values.size(), " values given for shape ", shape.to_string(), " (",
                shape.numel(), " elements)");
    Tensor t = empty(shape, dtype);
    if (dtype == DType::F32) fill_from_doubles(t.mutable_data<float>(), values.data(), t.numel());
    else fill_from_doubles(t.mutable_data<double>(), values.data(), t.numel());
    return t.to(device);
}

Tensor Tensor::from_values(const Shape& shape, std::initializer_list<double> values, DType dtype) {
    return from_values(shape, std::vector<double>(values), dtype);
}

Tensor Tensor::scalar(double value, DType dtype) { return from_values(Shape{}, {value}, dtype); }

Device Tensor::device() const { return defined() ? storage_->device() : Device::cpu(); }

const void* Tensor::raw_data() const {
    IGCAM_CHECK(defined(), ValueError, "tensor is undefined");
    return static_cast<const char*>(storage_->data()) + offset_bytes_;
}

void* Tensor::mutable_raw_data() {
    IGCAM_CHECK(defined(), ValueError, "tensor is undefined");
    return static_cast<char*>(storage_->mutable_data()) + offset_bytes_;
}

void Tensor::throw_not_plain(const char* what) const {
    detail::throw_error<LayoutError>(what, ": the tensor of shape ", shape_.to_string(), " holds its values in the ",
                                     layout_.to_string(), " layout; ops::to_plain gives the plain values");
}

void Tensor::require_defined(const char* what) const {
    IGCAM_CHECK(defined(), ValueError, what, ": tensor is undefined");
}

Tensor Tensor::clone() const { return ops::clone(*this); }

Tensor Tensor::reshape(const Shape& shape) const {
    IGCAM_CHECK(defined(), ValueError, "reshape: tensor is undefined");
    if (!layout_.is_plain()) throw_not_plain("reshape");
    IGCAM_CHECK(shape.numel() == numel(), ShapeError, "reshape: cannot view shape ",
                shape_.to_string(), " (", numel(), " elements) as ", shape.to_string(), " (",
                shape.numel(), " elements)");
    Tensor t = *this;
    t.shape_ = shape;
    return t;
}

Tensor Tensor::slice_batch(int64_t begin, int64_t end) const {
    IGCAM_CHECK(defined(), ValueError, "slice_batch: tensor is undefined");
    IGCAM_CHECK(rank() >= 1, ShapeError, "slice_batch: a scalar has no batch dimension");
    IGCAM_CHECK(0 <= begin && begin <= end && end <= dim(0), ShapeError, "slice_batch: rows [",
                begin, ", ", end, ") are out of range for shape ", shape_.to_string());
    std::vector<int64_t> dims = shape_.dims();
    const int64_t row_elements = dims[0] == 0 ? 0 : numel() / dims[0];
    dims[0] = end - begin;
    Tensor t = *this;
    t.shape_ = Shape(dims);
    t.offset_bytes_ += static_cast<std::size_t>(begin * row_elements) * dtype_size(dtype_);
    return t;
}

Tensor Tensor::to(DType dtype) const { return ops::cast(*this, dtype); }

Tensor Tensor::to(Device device) const { return ops::to_device(*this, device); }

double Tensor::item() const {
    IGCAM_CHECK(defined() && numel() == 1, ShapeError, "item: tensor of shape ",
                shape_.to_string(), " does not hold exactly one element");
    return to_vector()[0];
}

double Tensor::at(std::initializer_list<int64_t> index) const {
    IGCAM_CHECK(static_cast<int>(index.size()) == rank(), ShapeError, "at: ", index.size(),
                " indices given for shape ", shape_.to_string());
    int64_t flat = 0;
    int axis = 0;
    for (int64_t i : index) {
        IGCAM_CHECK(0 <= i && i < dim(axis), ShapeError, "at: index ", i, " is out of range for axis ",
                    axis, " of shape ", shape_.to_string());
        flat = flat * dim(axis) + i;
        ++axis;
    }
    require_defined("at");
    if (device().is_cuda()) return to(Device::cpu()).at(index);
    if (!layout_.is_plain()) return ops::to_plain(*this).at(index);
    return dtype_ == DType::F32 ? static_cast<double>(data<float>()[flat]) : data<double>()[flat];
}

std::vector<double> Tensor::to_vector() const {
    require_defined("to_vector");
    if (device().is_cuda()) return to(Device::cpu()).to_vector();
    if (!layout_.is_plain()) return ops::to_plain(*this).to_vector();
    std::vector<double> out(static_cast<std::size_t>(numel()));
    if (dtype_ == DType::F32) copy_to_doubles(out.data(), data<float>(), numel());
    else copy_to_doubles(out.data(), data<double>(), numel());
    return out;
}

}  // namespace igcam
