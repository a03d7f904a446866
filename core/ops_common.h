// Shared argument checks and the device/dtype dispatch used by the ops_*.cpp files (private
// to core/: nothing outside core includes this). `dispatch` is the one place an op chooses a
// backend.
#pragma once

#include <string>

#include "core/error.h"
#include "core/tensor.h"

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

// batch_norm_forward's per-channel map y = x * scale + shift for x's dtype and device:
// scale = gamma / sqrt(var + eps), shift = beta - mean * scale, formed in double. Checks the
// vectors against x (N, C, ...) and eps; throws ValueError on a negative variance.
void batch_norm_affine(const char* op, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                       const Tensor& mean, const Tensor& var, double eps, Tensor& scale, Tensor& shift);

// Calls body(T{}) with T = float or double matching `like`'s dtype, after checking that the
// tensor's device has a backend for this op.
template <typename Body>
void dispatch(const char* op, const Tensor& like, Body&& body) {
    IGCAM_CHECK(like.device().is_cpu(), DeviceError, op, ": tensors on ", like.device().to_string(),
                " are not supported by this build (the CUDA backend does not implement ops yet)");
    if (like.dtype() == DType::F32) body(float{});
    else body(double{});
}

}  // namespace igcam::ops::detail
