// Elementwise CUDA kernels: one thread per element with grid-stride loops.
#include <cmath>

#include "cuda/kernels.h"
#include "cuda/launch.cuh"

namespace igcam::cuda {

namespace {

template <typename T>
__device__ T apply(BinaryOp op, T a, T b) {
    switch (op) {
        case BinaryOp::Add: return a + b;
        case BinaryOp::Sub: return a - b;
        case BinaryOp::Mul: return a * b;
        default: return a / b;
    }
}

template <typename T>
__global__ void fill_kernel(T* out, T value, int64_t n) {
    IGCAM_GRID_LOOP(i, n) out[i] = value;
}

template <typename To, typename From>
__global__ void convert_kernel(To* out, const From* in, int64_t n) {
    IGCAM_GRID_LOOP(i, n) out[i] = static_cast<To>(in[i]);
}

template <typename T>
__global__ void binary_kernel(BinaryOp op, T* out, const T* a, const T* b, int64_t n) {
    IGCAM_GRID_LOOP(i, n) out[i] = apply(op, a[i], b[i]);
}

template <typename T>
__global__ void binary_strided_kernel(BinaryOp op, T* out, const T* a, Dims a_strides, const T* b,
                                      Dims b_strides, Dims dims, int64_t n) {
    IGCAM_GRID_LOOP(i, n) {
        out[i] = apply(op, a[strided_offset(i, dims, a_strides)], b[strided_offset(i, dims, b_strides)]);
    }
}

template <typename T>
__global__ void affine_kernel(T* y, const T* x, T alpha, T beta, int64_t n) {
    IGCAM_GRID_LOOP(i, n) y[i] = alpha * x[i] + beta;
}

template <typename T>
__global__ void relu_forward_kernel(T* y, const T* x, int64_t n) {
    IGCAM_GRID_LOOP(i, n) y[i] = x[i] > T(0) ? x[i] : T(0);
}

template <typename T>
__global__ void relu_backward_kernel(T* grad_x, const T* grad_y, const T* x, int64_t n) {
    IGCAM_GRID_LOOP(i, n) grad_x[i] = x[i] > T(0) ? grad_y[i] : T(0);
}

template <typename T>
__global__ void channel_affine_kernel(T* y, const T* x, const T* scale, const T* shift, int64_t channels,
                                      int64_t spatial, int64_t n) {
    IGCAM_GRID_LOOP(i, n) {
        const int64_t c = (i / spatial) % channels;
        const T product = x[i] * scale[c];
        y[i] = shift != nullptr ? product + shift[c] : product;
    }
}

template <typename T>
__global__ void batch_norm_fold_kernel(T* scale, T* shift, const T* gamma, const T* beta, const T* mean,
                                       const T* var, double eps, int64_t channels) {
    IGCAM_GRID_LOOP(c, channels) {
        const double s = static_cast<double>(gamma[c]) / sqrt(static_cast<double>(var[c]) + eps);
        scale[c] = static_cast<T>(s);
        if (shift != nullptr) shift[c] = static_cast<T>(static_cast<double>(beta[c]) - static_cast<double>(mean[c]) * s);
    }
}

template <typename T>
__global__ void add_row_bias_kernel(T* y, const T* bias, int64_t cols, int64_t n) {
    IGCAM_GRID_LOOP(i, n) y[i] += bias[i % cols];
}

template <typename T>
__global__ void add_channel_bias_kernel(T* y, const T* bias, int64_t channels, int64_t spatial, int64_t n) {
    IGCAM_GRID_LOOP(i, n) y[i] += bias[(i / spatial) % channels];
}

}  // namespace


template <typename T>
void fill(int device, T* out, T value, int64_t n) {
    IGCAM_LAUNCH_1D(fill_kernel<T>, n, out, value, n);
}

template <typename To, typename From>
void convert(int device, To* out, const From* in, int64_t n) {
    auto* kernel = convert_kernel<To, From>;  // a name without a comma for the macro
    IGCAM_LAUNCH_1D(kernel, n, out, in, n);
}

template <typename T>
void binary_same_shape(int device, BinaryOp op, T* out, const T* a, const T* b, int64_t n) {
    IGCAM_LAUNCH_1D(binary_kernel<T>, n, op, out, a, b, n);
}

template <typename T>
void binary_strided(int device, BinaryOp op, T* out, const T* a, const std::vector<int64_t>& a_strides,
                    const T* b, const std::vector<int64_t>& b_strides, const std::vector<int64_t>& dims) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    // Built before the launch: to_dims throws for too many dimensions.
    const Dims a_dims = to_dims(a_strides, "binary op"), b_dims = to_dims(b_strides, "binary op");
    const Dims out_dims = to_dims(dims, "binary op");
    IGCAM_LAUNCH_1D(binary_strided_kernel<T>, n, op, out, a, a_dims, b, b_dims, out_dims, n);
}

template <typename T>
void affine(int device, T* y, const T* x, T alpha, T beta, int64_t n) {
    IGCAM_LAUNCH_1D(affine_kernel<T>, n, y, x, alpha, beta, n);
}

template <typename T>
void relu_forward(int device, T* y, const T* x, int64_t n) {
    IGCAM_LAUNCH_1D(relu_forward_kernel<T>, n, y, x, n);
}

template <typename T>
void relu_backward(int device, T* grad_x, const T* grad_y, const T* x, int64_t n) {
    IGCAM_LAUNCH_1D(relu_backward_kernel<T>, n, grad_x, grad_y, x, n);
}

template <typename T>
void channel_affine(int device, T* y, const T* x, const T* scale, const T* shift, int64_t batch,
                    int64_t channels, int64_t spatial) {
    const int64_t n = batch * channels * spatial;
    IGCAM_LAUNCH_1D(channel_affine_kernel<T>, n, y, x, scale, shift, channels, spatial, n);
}

template <typename T>
void batch_norm_fold(int device, T* scale, T* shift, const T* gamma, const T* beta, const T* mean,
                     const T* var, double eps, int64_t channels) {
    IGCAM_LAUNCH_1D(batch_norm_fold_kernel<T>, channels, scale, shift, gamma, beta, mean, var, eps, channels);
}

template <typename T>
void add_row_bias(int device, T* y, const T* bias, int64_t rows, int64_t cols) {
    const int64_t n = rows * cols;
    IGCAM_LAUNCH_1D(add_row_bias_kernel<T>, n, y, bias, cols, n);
}

template <typename T>
void add_channel_bias(int device, T* y, const T* bias, int64_t batch, int64_t channels, int64_t spatial) {
    const int64_t n = batch * channels * spatial;
    IGCAM_LAUNCH_1D(add_channel_bias_kernel<T>, n, y, bias, channels, spatial, n);
}

#define IGCAM_INSTANTIATE(T)                                                                              \
    template void fill<T>(int, T*, T, int64_t);                                                           \
    template void binary_same_shape<T>(int, BinaryOp, T*, const T*, const T*, int64_t);                  \
    template void binary_strided<T>(int, BinaryOp, T*, const T*, const std::vector<int64_t>&, const T*,  \
                                    const std::vector<int64_t>&, const std::vector<int64_t>&);           \
    template void affine<T>(int, T*, const T*, T, T, int64_t);                                            \
    template void relu_forward<T>(int, T*, const T*, int64_t);                                            \
    template void relu_backward<T>(int, T*, const T*, const T*, int64_t);                                 \
    template void channel_affine<T>(int, T*, const T*, const T*, const T*, int64_t, int64_t, int64_t);    \
    template void batch_norm_fold<T>(int, T*, T*, const T*, const T*, const T*, const T*, double, int64_t); \
    template void add_row_bias<T>(int, T*, const T*, int64_t, int64_t);                                   \
    template void add_channel_bias<T>(int, T*, const T*, int64_t, int64_t, int64_t);
IGCAM_INSTANTIATE(float)
IGCAM_INSTANTIATE(double)
template void convert<float, double>(int, float*, const double*, int64_t);
template void convert<double, float>(int, double*, const float*, int64_t);

}  // namespace igcam::cuda
