// ops: filling, copying between devices, cloning and dtype conversion.
#include <algorithm>
#include <cstring>

#include "core/cpu/layout.h"
#include "core/ops.h"
#include "core/ops_common.h"

namespace igcam::ops {

using detail::dispatch;

Tensor full(const Shape& shape, double value, DType dtype, Device device) {
    Tensor t = Tensor::empty(shape, dtype, device);
    if (t.numel() == 0) return t;
    dispatch("full", t, [&](auto zero) {
        using T = decltype(zero);
        if (device.is_cpu()) std::fill(t.mutable_data<T>(), t.mutable_data<T>() + t.numel(), static_cast<T>(value));
        else IGCAM_CUDA_KERNEL(fill<T>(device.index, t.mutable_data<T>(), static_cast<T>(value), t.numel()));
    });
    return t;
}

Tensor to_device(const Tensor& x_arg, Device device) {
    IGCAM_CHECK(x_arg.defined(), ValueError, "to_device: x is undefined");
    if (x_arg.device() == device) return x_arg;
    const Tensor x = detail::plain(x_arg);
    Tensor out = Tensor::empty(x.shape(), x.dtype(), device);
    if (x.numel() == 0) return out;
    const Device from = x.device();
    if (from.is_cpu()) {
        IGCAM_CUDA_KERNEL(copy_host_to_device(out.mutable_raw_data(), x.raw_data(), x.bytes(), device.index));
    } else if (device.is_cpu()) {
        IGCAM_CUDA_KERNEL(copy_device_to_host(out.mutable_raw_data(), x.raw_data(), x.bytes(), from.index));
    } else {
        // Between two GPUs: through the host, which is rare enough not to need peer access.
        return to_device(to_device(x, Device::cpu()), device);
    }
    return out;
}

Tensor clone(const Tensor& x) {
    IGCAM_CHECK(x.defined(), ValueError, "clone: x is undefined");
    Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device(), x.layout());
    if (x.numel() == 0) return out;
    if (x.device().is_cpu()) std::memcpy(out.mutable_raw_data(), x.raw_data(), x.bytes());
    else IGCAM_CUDA_KERNEL(copy_device_to_device(out.mutable_raw_data(), x.raw_data(), x.bytes(), x.device().index));
    return out;
}

Tensor to_plain(const Tensor& x) { return to_layout(x, Layout::plain()); }

Tensor to_layout(const Tensor& x, const Layout& layout) {
    IGCAM_CHECK(x.defined(), ValueError, "to_layout: x is undefined");
    if (x.layout() == layout) return x;
    const Shape& s = x.shape();
    if (!x.layout().is_plain() && !layout.is_plain()) return to_layout(to_plain(x), layout);
    // Only float32 CPU tensors are ever blocked; Tensor::empty checks the target.
    Tensor out = Tensor::empty(s, x.dtype(), x.device(), layout);
    const int64_t spatial = s[2] * s[3];
    if (layout.is_plain())
        cpu::channel_blocked_to_plain(out.mutable_data<float>(), static_cast<const float*>(x.raw_data()), s[0], s[1],
                                      spatial, x.layout().channel_block());
    else
        cpu::plain_to_channel_blocked(static_cast<float*>(out.mutable_raw_data()), x.data<float>(), s[0], s[1], spatial,
                                      layout.channel_block());
    return out;
}

Tensor cast(const Tensor& x_arg, DType dtype) {
    IGCAM_CHECK(x_arg.defined(), ValueError, "cast: x is undefined");
    if (dtype == x_arg.dtype()) return x_arg;
    const Tensor x = detail::plain(x_arg);
    Tensor out = Tensor::empty(x.shape(), dtype, x.device());
    const int64_t n = x.numel();
    if (n == 0) return out;
    const bool to_f64 = dtype == DType::F64;
    if (x.device().is_cpu()) {
        if (to_f64) std::copy(x.data<float>(), x.data<float>() + n, out.mutable_data<double>());
        else std::transform(x.data<double>(), x.data<double>() + n, out.mutable_data<float>(),
                            [](double v) { return static_cast<float>(v); });
    } else if (to_f64) {
        IGCAM_CUDA_KERNEL(convert(x.device().index, out.mutable_data<double>(), x.data<float>(), n));
    } else {
        IGCAM_CUDA_KERNEL(convert(x.device().index, out.mutable_data<float>(), x.data<double>(), n));
    }
    return out;
}

}  // namespace igcam::ops
