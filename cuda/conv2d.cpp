// Convolutions through cuDNN: cross-correlation, FMA math unless TF32 is on, deterministic
// algorithms only. For each shape, direction, dtype and math mode the fastest deterministic
// algorithm is measured once (cudnnFind*Ex on the call's own buffers) and cached.
#include <array>
#include <climits>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <mutex>
#include <tuple>

#include "cuda/runtime.h"
#include "core/error.h"
#include "cuda/check.h"
#include "cuda/context.h"
#include "cuda/descriptors.h"
#include "cuda/kernels.h"
#include "cuda/memory.h"

namespace igcam::cuda {

namespace {

enum class Direction { Forward, BackwardData, BackwardFilter };

// The algorithm chosen for one convolution, with the math type it was measured under.
struct Choice {
    int algorithm = 0;
    cudnnMathType_t math = CUDNN_DEFAULT_MATH;
    std::size_t workspace = 0;
};

// Workspace offered to cudnnFind: algorithms needing more are not considered.
constexpr std::size_t kFindWorkspace = std::size_t{256} << 20;

int as_int(int64_t value) {
    IGCAM_CHECK(value <= INT_MAX, ShapeError, "conv2d: size ", value, " is too large for cuDNN");
    return static_cast<int>(value);
}

// How cuDNN sees one convolution. cuDNN pads symmetrically only; when the requested padding
// is not symmetric, the input is zero-padded explicitly first (`extra`) and cuDNN runs
// unpadded on that.
template <typename T>
struct Setup {
    Conv2dGeometry g;        // the geometry cuDNN runs (in_h/in_w include `extra`)
    bool explicit_pad = false;
    Padding2d extra;
    TensorDescriptor x, y;
    FilterDescriptor w;
    ConvolutionDescriptor conv;

    explicit Setup(const Conv2dGeometry& original) : g(original) {
        const int64_t bottom = (g.out_h - 1) * g.stride_h + g.kernel_h - g.in_h - g.pad_top;
        const int64_t right = (g.out_w - 1) * g.stride_w + g.kernel_w - g.in_w - g.pad_left;
        // C++ division truncates towards zero, so a negative span must be refused first.
        const int64_t span_h = g.in_h + 2 * g.pad_top - g.kernel_h, span_w = g.in_w + 2 * g.pad_left - g.kernel_w;
        const bool symmetric_fits = span_h >= 0 && span_w >= 0 && span_h / g.stride_h + 1 == g.out_h &&
                                    span_w / g.stride_w + 1 == g.out_w;
        int pad_h = as_int(g.pad_top), pad_w = as_int(g.pad_left);
        if (!symmetric_fits) {
            explicit_pad = true;
            extra = {g.pad_top, bottom > 0 ? bottom : 0, g.pad_left, right > 0 ? right : 0};
            g.in_h += extra.top + extra.bottom;
            g.in_w += extra.left + extra.right;
            g.pad_top = g.pad_left = 0;
            pad_h = pad_w = 0;
        }
        constexpr cudnnDataType_t type = cudnn_type<T>();
        IGCAM_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x.get(), CUDNN_TENSOR_NCHW, type, as_int(g.batch),
                                                     as_int(g.in_channels), as_int(g.in_h), as_int(g.in_w)));
        IGCAM_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y.get(), CUDNN_TENSOR_NCHW, type, as_int(g.batch),
                                                     as_int(g.out_channels), as_int(g.out_h), as_int(g.out_w)));
        IGCAM_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w.get(), type, CUDNN_TENSOR_NCHW, as_int(g.out_channels),
                                                     as_int(g.in_channels), as_int(g.kernel_h), as_int(g.kernel_w)));
        IGCAM_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv.get(), pad_h, pad_w, as_int(g.stride_h),
                                                          as_int(g.stride_w), 1, 1, CUDNN_CROSS_CORRELATION, type));
    }

    std::size_t padded_input_bytes() const {
        return static_cast<std::size_t>(g.batch * g.in_channels * g.in_h * g.in_w) * sizeof(T);
    }
};

// The math type we ask for: FMA (no tensor cores) for strict float32 and for float64;
// tensor-op math (TF32 inputs) only when the user opted in.
template <typename T>
cudnnMathType_t requested_math() {
    if (sizeof(T) == 4 && tf32_enabled()) return CUDNN_TENSOR_OP_MATH;
    return sizeof(T) == 4 ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH;
}

// Strict float32 takes FMA algorithms only: CUDNN_DEFAULT_MATH lets cuDNN use TF32 on
// Ampere and later. Down-conversion to half precision is never allowed.
bool math_allowed(cudnnMathType_t measured, cudnnMathType_t requested) {
    if (measured == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) return false;
    if (requested == CUDNN_FMA_MATH) return measured == CUDNN_FMA_MATH;
    return true;
}

using Key = std::array<int64_t, 15>;

// The alignment (up to 16 bytes) common to the buffers: some cuDNN kernels need 16-byte
// aligned data, and a batch slice of a tensor may be aligned to its element size only, so
// a choice measured on aligned buffers is not reused for less aligned ones.
int64_t alignment_of(std::initializer_list<const void*> pointers) {
    int64_t alignment = 16;
    for (const void* p : pointers) {
        if (p == nullptr) continue;
        const auto address = reinterpret_cast<std::uintptr_t>(p);
        while (alignment > 1 && address % static_cast<std::uintptr_t>(alignment) != 0) alignment /= 2;
    }
    return alignment;
}

template <typename T>
Key key_of(int device, Direction direction, const Conv2dGeometry& g, int64_t alignment) {
    return {device, static_cast<int64_t>(direction), static_cast<int64_t>(sizeof(T)), tf32_enabled() ? 1 : 0,
            g.batch, g.in_channels, g.in_h, g.in_w, g.out_channels, g.kernel_h * 1000 + g.kernel_w,
            g.stride_h * 1000 + g.stride_w, g.pad_top, g.pad_left, g.out_h * 100000 + g.out_w, alignment};
}

std::mutex cache_mutex;
std::map<Key, Choice> cache;

// Picks the first (fastest) result that succeeded, is deterministic and uses allowed math.
template <typename Perf>
Choice pick(const Perf* results, int count, cudnnMathType_t requested, const char* what) {
    for (int i = 0; i < count; ++i) {
        const Perf& r = results[i];
        if (r.status == CUDNN_STATUS_SUCCESS && r.determinism == CUDNN_DETERMINISTIC &&
            math_allowed(r.mathType, requested))
            return {static_cast<int>(r.algo), r.mathType, r.memory};
    }
    detail::throw_error<CudaError>("cuDNN offers no deterministic ", what,
                                   " algorithm for this convolution within the workspace limit");
}

// Runs `find(workspace, bytes)` with the largest workspace we can get (none if even a small
// one is out of memory).
template <typename Find>
Choice find_with_workspace(int device, Find&& find) {
    try {
        DeviceBuffer workspace(device, kFindWorkspace);
        return find(workspace.get(), workspace.bytes());
    } catch (const OutOfMemoryError&) {
        return find(nullptr, 0);
    }
}

template <typename T>
Choice choose(int device, Direction direction, const Setup<T>& s, const void* x, const void* w, const void* y,
              void* out) {
    const Key key = key_of<T>(device, direction, s.g, alignment_of({x, w, y, out}));
    {
        std::lock_guard<std::mutex> lock(cache_mutex);
        auto hit = cache.find(key);
        if (hit != cache.end()) return hit->second;
    }
    Context& ctx = context(device);
    const cudnnMathType_t math = requested_math<T>();
    IGCAM_CUDNN_CHECK(cudnnSetConvolutionMathType(s.conv.get(), math));
    constexpr int kRequested = 16;
    int returned = 0;
    Choice choice;
    if (direction == Direction::Forward) {
        cudnnConvolutionFwdAlgoPerf_t results[kRequested];
        choice = find_with_workspace(device, [&](void* ws, std::size_t bytes) {
            IGCAM_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(ctx.cudnn(), s.x.get(), x, s.w.get(), w,
                                                                     s.conv.get(), s.y.get(), out, kRequested,
                                                                     &returned, results, ws, bytes));
            return pick(results, returned, math, "forward");
        });
    } else if (direction == Direction::BackwardData) {
        cudnnConvolutionBwdDataAlgoPerf_t results[kRequested];
        choice = find_with_workspace(device, [&](void* ws, std::size_t bytes) {
            IGCAM_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(ctx.cudnn(), s.w.get(), w, s.y.get(), y,
                                                                          s.conv.get(), s.x.get(), out, kRequested,
                                                                          &returned, results, ws, bytes));
            return pick(results, returned, math, "backward-data");
        });
    } else {
        cudnnConvolutionBwdFilterAlgoPerf_t results[kRequested];
        choice = find_with_workspace(device, [&](void* ws, std::size_t bytes) {
            IGCAM_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
                ctx.cudnn(), s.x.get(), x, s.y.get(), y, s.conv.get(), s.w.get(), out, kRequested, &returned,
                results, ws, bytes));
            return pick(results, returned, math, "backward-filter");
        });
    }
    std::lock_guard<std::mutex> lock(cache_mutex);
    cache.emplace(key, choice);
    return choice;
}

// cuDNN's alpha/beta scalars are float for float data and double for double data.
template <typename T>
struct Scalars {
    T one = 1, zero = 0;
};

// The input cuDNN reads: x itself, or x zero-padded into `storage` when the padding is
// asymmetric.
template <typename T>
const T* cudnn_input(int device, const Setup<T>& s, const Conv2dGeometry& original, const T* x,
                     DeviceBuffer& storage) {
    if (!s.explicit_pad) return x;
    pad2d_forward<T>(device, storage.as<T>(), x, original.batch * original.in_channels, original.in_h,
                     original.in_w, s.extra);
    return storage.as<T>();
}

}  // namespace

template <typename T>
void conv2d_forward(int device, T* y, const T* x, const T* weight, const T* bias, const Conv2dGeometry& g) {
    Context& ctx = context(device);
    const Setup<T> s(g);
    DeviceBuffer padded(device, s.explicit_pad ? s.padded_input_bytes() : 0);
    const T* input = cudnn_input(device, s, g, x, padded);
    const Choice c = choose<T>(device, Direction::Forward, s, input, weight, nullptr, y);
    IGCAM_CUDNN_CHECK(cudnnSetConvolutionMathType(s.conv.get(), c.math));
    DeviceBuffer workspace(device, c.workspace);
    const Scalars<T> k;
    IGCAM_CUDNN_CHECK(cudnnConvolutionForward(ctx.cudnn(), &k.one, s.x.get(), input, s.w.get(), weight, s.conv.get(),
                                              static_cast<cudnnConvolutionFwdAlgo_t>(c.algorithm), workspace.get(),
                                              c.workspace, &k.zero, s.y.get(), y));
    if (bias != nullptr) add_channel_bias<T>(device, y, bias, g.batch, g.out_channels, g.out_h * g.out_w);
}

template <typename T>
void conv2d_backward_data(int device, T* grad_x, const T* grad_y, const T* weight, const Conv2dGeometry& g) {
    Context& ctx = context(device);
    const Setup<T> s(g);
    // With explicit padding cuDNN produces the gradient of the padded input; the interior
    // crop is grad_x.
    DeviceBuffer padded(device, s.explicit_pad ? s.padded_input_bytes() : 0);
    T* target = s.explicit_pad ? padded.as<T>() : grad_x;
    const Choice c = choose<T>(device, Direction::BackwardData, s, nullptr, weight, grad_y, target);
    IGCAM_CUDNN_CHECK(cudnnSetConvolutionMathType(s.conv.get(), c.math));
    DeviceBuffer workspace(device, c.workspace);
    const Scalars<T> k;
    IGCAM_CUDNN_CHECK(cudnnConvolutionBackwardData(ctx.cudnn(), &k.one, s.w.get(), weight, s.y.get(), grad_y,
                                                   s.conv.get(), static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algorithm),
                                                   workspace.get(), c.workspace, &k.zero, s.x.get(), target));
    if (s.explicit_pad)
        pad2d_backward<T>(device, grad_x, target, g.batch * g.in_channels, g.in_h, g.in_w, s.extra);
}

template <typename T>
void conv2d_backward_weight(int device, T* grad_weight, const T* grad_y, const T* x, const Conv2dGeometry& g) {
    Context& ctx = context(device);
    const Setup<T> s(g);
    DeviceBuffer padded(device, s.explicit_pad ? s.padded_input_bytes() : 0);
    const T* input = cudnn_input(device, s, g, x, padded);
    const Choice c = choose<T>(device, Direction::BackwardFilter, s, input, nullptr, grad_y, grad_weight);
    IGCAM_CUDNN_CHECK(cudnnSetConvolutionMathType(s.conv.get(), c.math));
    DeviceBuffer workspace(device, c.workspace);
    const Scalars<T> k;
    IGCAM_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
        ctx.cudnn(), &k.one, s.x.get(), input, s.y.get(), grad_y, s.conv.get(),
        static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algorithm), workspace.get(), c.workspace, &k.zero, s.w.get(),
        grad_weight));
}

template <typename T>
void conv2d_backward_bias(int device, T* grad_bias, const T* grad_y, const Conv2dGeometry& g) {
    // The sum over batch and space: a reduction keeping axis 1 of (N, O, H*W).
    strided_sum<T>(device, grad_bias, g.out_channels, grad_y, {g.batch, g.out_channels, g.out_h * g.out_w},
                   {0, 1, 0});
}

#define IGCAM_INSTANTIATE(T)                                                                        \
    template void conv2d_forward<T>(int, T*, const T*, const T*, const T*, const Conv2dGeometry&);  \
    template void conv2d_backward_data<T>(int, T*, const T*, const T*, const Conv2dGeometry&);      \
    template void conv2d_backward_weight<T>(int, T*, const T*, const T*, const Conv2dGeometry&);    \
    template void conv2d_backward_bias<T>(int, T*, const T*, const Conv2dGeometry&);
IGCAM_INSTANTIATE(float)
IGCAM_INSTANTIATE(double)

}  // namespace igcam::cuda
