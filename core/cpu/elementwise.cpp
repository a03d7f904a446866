#include "core/cpu/elementwise.h"

#include <array>

#include "core/cpu/parallel.h"
#include "core/cpu/strided.h"

namespace igcam::cpu {

namespace {

constexpr int64_t kElementGrain = 1 << 15;

template <typename T>
T apply(BinaryOp op, T a, T b) {
    switch (op) {
        case BinaryOp::Add: return a + b;
        case BinaryOp::Sub: return a - b;
        case BinaryOp::Mul: return a * b;
        case BinaryOp::Div: return a / b;
    }
    return T(0);
}

template <typename T, typename F>
void parallel_map(int64_t n, F&& f) {
    parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) f(i);
    });
}

}  // namespace

template <typename T>
void binary_same_shape(BinaryOp op, T* out, const T* a, const T* b, int64_t n) {
    switch (op) {
        case BinaryOp::Add: parallel_map<T>(n, [&](int64_t i) { out[i] = a[i] + b[i]; }); break;
        case BinaryOp::Sub: parallel_map<T>(n, [&](int64_t i) { out[i] = a[i] - b[i]; }); break;
        case BinaryOp::Mul: parallel_map<T>(n, [&](int64_t i) { out[i] = a[i] * b[i]; }); break;
        case BinaryOp::Div: parallel_map<T>(n, [&](int64_t i) { out[i] = a[i] / b[i]; }); break;
    }
}

template <typename T>
void binary_strided(BinaryOp op, T* out, const T* a, const std::vector<int64_t>& a_strides,
                    const T* b, const std::vector<int64_t>& b_strides,
                    const std::vector<int64_t>& dims) {
    const std::vector<int64_t> out_strides = contiguous_strides(dims);
    for_each_offset<3>(dims, {&out_strides, &a_strides, &b_strides},
                       [&](const std::array<int64_t, 3>& o) { out[o[0]] = apply(op, a[o[1]], b[o[2]]); });
}

template <typename T>
void affine(T* y, const T* x, T alpha, T beta, int64_t n) {
    parallel_map<T>(n, [&](int64_t i) { y[i] = alpha * x[i] + beta; });
}

template <typename T>
void relu_forward(T* y, const T* x, int64_t n) {
    parallel_map<T>(n, [&](int64_t i) { y[i] = x[i] > T(0) ? x[i] : T(0); });
}

template <typename T>
void relu_backward(T* grad_x, const T* grad_y, const T* x, int64_t n) {
    parallel_map<T>(n, [&](int64_t i) { grad_x[i] = x[i] > T(0) ? grad_y[i] : T(0); });
}

template <typename T>
void channel_affine(T* y, const T* x, const T* scale, const T* shift, int64_t batch,
                    int64_t channels, int64_t spatial) {
    parallel_for(batch * channels, std::max<int64_t>(1, kElementGrain / std::max<int64_t>(spatial, 1)),
                 [&](int64_t begin, int64_t end) {
                     for (int64_t plane = begin; plane < end; ++plane) {
                         const int64_t c = plane % channels;
                         const T s = scale[c], t = shift ? shift[c] : T(0);
                         const T* in = x + plane * spatial;
                         T* out = y + plane * spatial;
                         for (int64_t i = 0; i < spatial; ++i) out[i] = in[i] * s + t;
                     }
                 });
}

#define IGCAM_INSTANTIATE_ELEMENTWISE(T)                                                       \
    template void binary_same_shape<T>(BinaryOp, T*, const T*, const T*, int64_t);            \
    template void binary_strided<T>(BinaryOp, T*, const T*, const std::vector<int64_t>&,       \
                                    const T*, const std::vector<int64_t>&,                     \
                                    const std::vector<int64_t>&);                              \
    template void affine<T>(T*, const T*, T, T, int64_t);                                      \
    template void relu_forward<T>(T*, const T*, int64_t);                                      \
    template void relu_backward<T>(T*, const T*, const T*, int64_t);                           \
    template void channel_affine<T>(T*, const T*, const T*, const T*, int64_t, int64_t, int64_t);
IGCAM_INSTANTIATE_ELEMENTWISE(float)
IGCAM_INSTANTIATE_ELEMENTWISE(double)
#undef IGCAM_INSTANTIATE_ELEMENTWISE

}  // namespace igcam::cpu
