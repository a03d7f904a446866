// RAII wrappers for the cuDNN descriptors the convolutions use. Include only from cuda/.
#pragma once

#include <cudnn.h>

#include <cstdint>

#include "cuda/check.h"

namespace igcam::cuda {

template <typename Handle, cudnnStatus_t (*Create)(Handle*), cudnnStatus_t (*Destroy)(Handle)>
class Descriptor {
public:
    Descriptor() { IGCAM_CUDNN_CHECK(Create(&handle_)); }
    ~Descriptor() { Destroy(handle_); }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    Handle get() const { return handle_; }

private:
    Handle handle_{};
};

using TensorDescriptor = Descriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDescriptor = Descriptor<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvolutionDescriptor = Descriptor<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
                                         cudnnDestroyConvolutionDescriptor>;

template <typename T>
constexpr cudnnDataType_t cudnn_type() {
    return sizeof(T) == 4 ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
}

}  // namespace igcam::cuda
