// Shared argument checks and the device/dtype dispatch used by the ops_*.cpp files (private
// to core/: nothing outside core includes this). `dispatch` is the one place an op chooses a
// backend.
#pragma once

#include <string>

#include "core/error.h"
#include "core/ops.h"
#include "core/tensor.h"
#ifdef IGCAM_WITH_CUDA
#include "cuda/kernels.h"
#include "cuda/memory.h"
#endif

// IGCAM_CUDA_KERNEL(name<T>(device, args...)) calls igcam::cuda::name<T>(...) in a CUDA build;
// without one no tensor can live on a GPU, so the call is unreachable and throws.
#ifdef IGCAM_WITH_CUDA
#define IGCAM_CUDA_KERNEL(call) ::igcam::cuda::call
#else
#define IGCAM_CUDA_KERNEL(call) ::igcam::ops::detail::no_cuda_backend()
#endif

// IGCAM_KERNEL(like, name<T>, args...): igcam::cuda::name<T>(like's device, args...) when
// `like` lives on a GPU, igcam::cpu::name<T>(args...) otherwise. The kernels of both
// backends take the same arguments (core/cpu/*.h, cuda/kernels.h).
#define IGCAM_KERNEL(like, name, ...)                                                           \
    do {                                                                                        \
        if ((like).device().is_cuda()) IGCAM_CUDA_KERNEL(name((like).device().index, __VA_ARGS__)); \
        else ::igcam::cpu::name(__VA_ARGS__);                                                   \
    } while (false)

namespace igcam::ops::detail {

// t must be defined and non-empty.
void check_defined(const char* op, const Tensor& t, const char* name);
// t must be defined, of rank `rank` (the `layout` text, e.g. "(N, C, H, W)", goes in the
// message) and hold at least one element.
void check_rank(const char* op, const Tensor& t, const char* name, int rank, const char* layout);
// t must share ref's dtype and device.
void check_same_kind(const char* op, const Tensor& ref, const char* ref_name, const Tensor& t,
                     const char* name);
// t must have exactly `shape`.
void check_shape(const char* op, const Tensor& t, const char* name, const Shape& shape);
// A size argument (kernel, stride, output size) must be >= minimum.
void check_at_least(const char* op, const char* name, int64_t value, int64_t minimum);

[[noreturn]] void no_cuda_backend();

// The one place an op's input becomes plain: t itself when its values are plain (or it is
// undefined), else ops::to_plain(t). Every op calls it on each tensor it reads, except the
// oneDNN ops that read channel-blocked values as they are (conv2d_*forward, max pooling).
inline Tensor plain(const Tensor& t) { return !t.defined() || t.layout().is_plain() ? t : to_plain(t); }

// batch_norm_forward's per-channel map y = x * scale + shift for x's dtype and device:
// scale = gamma / sqrt(var + eps), shift = beta - mean * scale, formed in double. Checks the
// vectors against x (N, C, ...) and eps; throws ValueError on a negative variance (on the
// CPU; a GPU folds on the device, where a negative variance gives NaN).
void batch_norm_affine(const char* op, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                       const Tensor& mean, const Tensor& var, double eps, Tensor& scale, Tensor& shift);

// Calls body(T{}) with T = float or double matching `like`'s dtype. The body picks the
// backend with IGCAM_KERNEL.
template <typename Body>
void dispatch(const char* /*op*/, const Tensor& like, Body&& body) {
    if (like.dtype() == DType::F32) body(float{});
    else body(double{});
}

}  // namespace igcam::ops::detail
