#include "core/ops_common.h"

namespace igcam::ops::detail {

void no_cuda_backend() {
    ::igcam::detail::throw_error<DeviceError>("this build has no CUDA backend (configure with -DIGCAM_CUDA=ON)");
}

void check_defined(const char* op, const Tensor& t, const char* name) {
    IGCAM_CHECK(t.defined(), ValueError, op, ": ", name, " is undefined");
    IGCAM_CHECK(t.numel() > 0, ShapeError, op, ": ", name, " of shape ", t.shape().to_string(),
                " has no elements");
}

void check_rank(const char* op, const Tensor& t, const char* name, int rank, const char* layout) {
    IGCAM_CHECK(t.defined(), ValueError, op, ": ", name, " is undefined");
    IGCAM_CHECK(t.rank() == rank, ShapeError, op, ": ", name, " must be ", rank, "-D ", layout,
                ", got shape ", t.shape().to_string());
    check_defined(op, t, name);
}

void check_same_kind(const char* op, const Tensor& ref, const char* ref_name, const Tensor& t,
                     const char* name) {
    IGCAM_CHECK(t.dtype() == ref.dtype(), DTypeError, op, ": ", name, " is ", dtype_name(t.dtype()),
                " but ", ref_name, " is ", dtype_name(ref.dtype()), " (dtypes cannot be mixed)");
    IGCAM_CHECK(t.device() == ref.device(), DeviceError, op, ": ", name, " is on ",
                t.device().to_string(), " but ", ref_name, " is on ", ref.device().to_string());
}

void check_shape(const char* op, const Tensor& t, const char* name, const Shape& shape) {
    IGCAM_CHECK(t.defined(), ValueError, op, ": ", name, " is undefined");
    IGCAM_CHECK(t.shape() == shape, ShapeError, op, ": ", name, " must have shape ",
                shape.to_string(), ", got ", t.shape().to_string());
}

void check_at_least(const char* op, const char* name, int64_t value, int64_t minimum) {
    IGCAM_CHECK(value >= minimum, ValueError, op, ": ", name, " must be >= ", minimum, ", got ",
                value);
}

}  // namespace igcam::ops::detail
