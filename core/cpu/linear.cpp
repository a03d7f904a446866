#include "core/cpu/linear.h"

#include "core/cpu/blas.h"

namespace igcam::cpu {

template <typename T>
void linear_forward(T* y, const T* x, const T* weight, const T* bias, int64_t batch,
                    int64_t in_features, int64_t out_features) {
    if (bias != nullptr) {
        for (int64_t n = 0; n < batch; ++n)
            for (int64_t o = 0; o < out_features; ++o) y[n * out_features + o] = bias[o];
    }
    gemm<T>(false, true, batch, out_features, in_features, T(1), x, in_features, weight,
            in_features, bias != nullptr ? T(1) : T(0), y, out_features);
}

template <typename T>
void linear_backward_input(T* grad_x, const T* grad_y, const T* weight, int64_t batch,
                           int64_t in_features, int64_t out_features) {
    gemm<T>(false, false, batch, in_features, out_features, T(1), grad_y, out_features, weight,
            in_features, T(0), grad_x, in_features);
}

template <typename T>
void linear_backward_weight(T* grad_weight, const T* grad_y, const T* x, int64_t batch,
                            int64_t in_features, int64_t out_features) {
    gemm<T>(true, false, out_features, in_features, batch, T(1), grad_y, out_features, x,
            in_features, T(0), grad_weight, in_features);
}

template <typename T>
void linear_backward_bias(T* grad_bias, const T* grad_y, int64_t batch, int64_t out_features) {
    for (int64_t o = 0; o < out_features; ++o) {
        double sum = 0.0;
        for (int64_t n = 0; n < batch; ++n) sum += grad_y[n * out_features + o];
        grad_bias[o] = static_cast<T>(sum);
    }
}

#define IGCAM_INSTANTIATE_LINEAR(T)                                                               \
    template void linear_forward<T>(T*, const T*, const T*, const T*, int64_t, int64_t, int64_t); \
    template void linear_backward_input<T>(T*, const T*, const T*, int64_t, int64_t, int64_t);    \
    template void linear_backward_weight<T>(T*, const T*, const T*, int64_t, int64_t, int64_t);   \
    template void linear_backward_bias<T>(T*, const T*, int64_t, int64_t);
IGCAM_INSTANTIATE_LINEAR(float)
IGCAM_INSTANTIATE_LINEAR(double)
#undef IGCAM_INSTANTIATE_LINEAR

}  // namespace igcam::cpu
