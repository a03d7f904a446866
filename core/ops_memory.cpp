// ops: filling, copying between devices, cloning and dtype conversion.
#include <algorithm>
#include <cstring>

#include "core/ops.h"
#include "core/ops_common.h"

namespace igcam::ops {

using detail::dispatch;

Tensor full(const Shape& shape, double value, DType dtype, Device device) {
    Tensor t = Tensor::empty(shape, dtype, device);
    if (t.numel() == 0) return t;
    dispatch("full", t, [&](auto zero) {
        using T = decltype(zero);
        if (device.is_cpu()) std::fill(t.data<T>(), t.data<T>() + t.numel(), static_cast<T>(value));
        else IGCAM_CUDA_KERNEL(fill<T>(device.index, t.data<T>(), static_cast<T>(value), t.numel()));
    });
    return t;
}

Tensor to_device(const Tensor& x, Device device) {
    IGCAM_CHECK(x.defined(), ValueError, "to_device: x is undefined");
    if (x.device() == device) return x;
    Tensor out = Tensor::empty(x.shape(), x.dtype(), device);
    if (x.numel() == 0) return out;
    const Device from = x.device();
    if (from.is_cpu()) {
        IGCAM_CUDA_KERNEL(copy_host_to_device(out.raw_data(), x.raw_data(), x.bytes(), device.index));
    } else if (device.is_cpu()) {
        IGCAM_CUDA_KERNEL(copy_device_to_host(out.raw_data(), x.raw_data(), x.bytes(), from.index));
    } else {
        // Between two GPUs: through the host, which is rare enough not to need peer access.
        return to_device(to_device(x, Device::cpu()), device);
    }
    return out;
}

Tensor clone(const Tensor& x) {
    IGCAM_CHECK(x.defined(), ValueError, "clone: x is undefined");
    Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
    if (x.numel() == 0) return out;
    if (x.device().is_cpu()) std::memcpy(out.raw_data(), x.raw_data(), x.bytes());
    else IGCAM_CUDA_KERNEL(copy_device_to_device(out.raw_data(), x.raw_data(), x.bytes(), x.device().index));
    return out;
}

Tensor cast(const Tensor& x, DType dtype) {
    IGCAM_CHECK(x.defined(), ValueError, "cast: x is undefined");
    if (dtype == x.dtype()) return x;
    Tensor out = Tensor::empty(x.shape(), dtype, x.device());
    const int64_t n = x.numel();
    if (n == 0) return out;
    const bool to_f64 = dtype == DType::F64;
    if (x.device().is_cpu()) {
        if (to_f64) std::copy(x.data<float>(), x.data<float>() + n, out.data<double>());
        else std::transform(x.data<double>(), x.data<double>() + n, out.data<float>(),
                            [](double v) { return static_cast<float>(v); });
    } else if (to_f64) {
        IGCAM_CUDA_KERNEL(convert(x.device().index, out.data<double>(), x.data<float>(), n));
    } else {
        IGCAM_CUDA_KERNEL(convert(x.device().index, out.data<float>(), x.data<double>(), n));
    }
    return out;
}

}  // namespace igcam::ops
