// oneDNN convolutions on igcam's plain NCHW / OIHW buffers. Activations are handed to the
// primitive in oneDNN's channel-blocked layout (nChw16c with AVX-512, nChw8c with AVX2),
// the weights in whatever layout it picks (format_tag::any); our buffers are reordered into
// those layouts and the result back. The cache holds, per geometry and direction, the
// primitive and those reorders.
//
// NOTE: the layouts were measured (2 cores, AVX-512, ResNet-50 at 224 x 224, medians):
//                             forward, batch 1   IG-CAM, 50 steps in one batch
//   blocked nChw16c (chosen)       48.0 ms            2381 ms   jit:avx512_core kernels
//   format_tag::any                52.5 ms            2603 ms   brgconv on NHWC: slower reorders
//   plain NCHW, no reorders        48.8 ms            2575 ms   gemm:jit (im2col + oneDNN's GEMM)
#include "core/cpu/conv2d_onednn.h"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/cpu/onednn.h"
#include "core/error.h"
#include "core/storage.h"

namespace igcam::cpu::onednn {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;

enum class Direction : int64_t { Forward, BackwardData, BackwardWeight };

// Sizes in oneDNN's order; padding_r is what the output size actually uses, which is
// never more than the caller's bottom/right padding (floor division drops the rest).
struct Dims {
    memory::dims x, weight, y, bias, strides, padding_l, padding_r;
};

Dims dims_of(const Conv2dGeometry& g) {
    auto used_right = [](int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t left) {
        return std::max<int64_t>(0, (out - 1) * stride + kernel - in - left);
    };
    return {{g.batch, g.in_channels, g.in_h, g.in_w},
            {g.out_channels, g.in_channels, g.kernel_h, g.kernel_w},
            {g.batch, g.out_channels, g.out_h, g.out_w},
            {g.out_channels},
            {g.stride_h, g.stride_w},
            {g.pad_top, g.pad_left},
            {used_right(g.in_h, g.out_h, g.kernel_h, g.stride_h, g.pad_top),
             used_right(g.in_w, g.out_w, g.kernel_w, g.stride_w, g.pad_left)}};
}

memory::desc plain(const memory::dims& d, Tag tag) { return memory::desc(d, memory::data_type::f32, tag); }
memory::desc any(const memory::dims& d) { return plain(d, Tag::any); }

// The channel block of oneDNN's direct kernels on this CPU: 16 floats with AVX-512, 8 with
// AVX2, none below.
int64_t channel_block() {
    static const int64_t block = [] {
        const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
        const auto has = [isa](dnnl_cpu_isa_t level) { return (isa & level) == static_cast<unsigned>(level); };
        return has(dnnl_cpu_isa_avx512_core) ? int64_t{16} : has(dnnl_cpu_isa_avx2) ? int64_t{8} : int64_t{0};
    }();
    return block;
}

// The layout asked for an activation (x, y or their gradients) d = (N, C, H, W): blocked
// by channels (nChw16c with AVX-512) when C is a multiple of the block, as PyTorch asks
// for too; plain NCHW otherwise (e.g. the 3 input channels of a stem).
memory::desc activation(const memory::dims& d) {
    const int64_t block = channel_block();
    if (block == 0 || d[1] % block != 0) return plain(d, Tag::nchw);
    return plain(d, block == 16 ? Tag::nChw16c : Tag::nChw8c);
}

// Buffers for one call (reordered operands, the scratchpad), from igcam's CPU allocator,
// which keeps large blocks for reuse: oneDNN's own allocations would go back to the kernel
// on every call and be faulted in anew on the next.
class CallBuffers {
public:
    memory make(const memory::desc& d) {
        held_.push_back(Storage::allocate(d.get_size(), Device::cpu()));
        return memory(d, engine(), held_.back()->data());
    }

private:
    std::vector<std::shared_ptr<Storage>> held_;
};

// One argument of a primitive: the layout the primitive wants, our plain layout, and the
// reorder between them when they differ (into the primitive for inputs, out of it for the
// output). A `scaled` input always has a reorder, one that also multiplies slice o of the
// first dimension by scales[o] (a batch norm's scale folded into the weights).
struct Operand {
    memory::desc wanted, user;
    std::optional<dnnl::reorder> reorder;

    Operand(const memory::desc& wanted_desc, const memory::desc& user_desc, bool is_input, bool scaled = false)
        : wanted(wanted_desc), user(user_desc) {
        if (wanted == user && !scaled) return;
        dnnl::primitive_attr attr;
        if (scaled) attr.set_output_scales(1, {DNNL_RUNTIME_F32_VAL});
        reorder = is_input ? dnnl::reorder(dnnl::reorder::primitive_desc(engine(), user, engine(), wanted, attr))
                           : dnnl::reorder(dnnl::reorder::primitive_desc(engine(), wanted, engine(), user));
    }

    // The memory to hand to the primitive for the input at `data`, reordered if needed
    // (and scaled by `scales`, the length of the first dimension, for a scaled operand).
    memory input(const float* data, CallBuffers& buffers, const float* scales = nullptr) const {
        memory mine(user, engine(), const_cast<float*>(data));  // read only: oneDNN's API is not const
        if (!reorder) return mine;
        memory theirs = buffers.make(wanted);
        std::unordered_map<int, memory> args{{DNNL_ARG_FROM, mine}, {DNNL_ARG_TO, theirs}};
        if (scales != nullptr)
            args.emplace(DNNL_ARG_ATTR_OUTPUT_SCALES,
                         memory(plain({user.dims()[0]}, Tag::x), engine(), const_cast<float*>(scales)));
        reorder->execute(stream(), args);
        return theirs;
    }
    // The memory the primitive writes the output into; finish() moves it to `data`. With
    // `initial` (same shape, our layout) it starts as a copy of that.
    memory output(float* data, CallBuffers& buffers, const float* initial = nullptr) const {
        memory theirs = reorder ? buffers.make(wanted) : memory(user, engine(), data);
        if (initial != nullptr) {
            memory start(user, engine(), const_cast<float*>(initial));
            dnnl::reorder(start, theirs).execute(stream(), start, theirs);
        }
        return theirs;
    }
    void finish(memory written, float* data) const {
        if (!reorder) return;
        memory mine(user, engine(), data);
        reorder->execute(stream(), written, mine);
    }
};

// A cached primitive: the convolution and its operands in argument order
// (forward: x, weight, y; backward data: grad_y, weight, grad_x;
// backward weight: x, grad_y, grad_weight). The last operand is the output.
struct Entry {
    dnnl::primitive primitive;
    std::array<int, 3> args;
    std::array<std::optional<Operand>, 3> operands;
    memory::desc scratchpad;
};

// The epilogue of a forward primitive, its shape only (the values are arguments of each
// call). The batch norm is folded: its scale into the weights (on their way into the
// primitive's layout), its shift into the bias, y = conv(x, w * scale) + (b * scale + shift).
// NOTE: oneDNN 2.6's per-channel binary post-ops (multiply, add) were tried first: they
// made the jit kernels a third slower, more than the batch-norm pass they saved.
// The residual is a sum post-op: the output buffer starts as the residual (reordered into
// the primitive's layout) and the convolution adds to it.
struct PostOps {
    bool affine = false, residual = false, relu = false;
};

// The scratchpad comes from us too (see CallBuffers); the residual and the ReLU are post-ops.
dnnl::primitive_attr attributes(PostOps post = {}) {
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::post_ops ops;
    if (post.residual) ops.append_sum(1.0f);
    if (post.relu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    attr.set_post_ops(ops);
    return attr;
}

dnnl::convolution_forward::primitive_desc forward_desc(const Dims& d, bool bias, dnnl::prop_kind kind,
                                                       PostOps post = {}) {
    using Conv = dnnl::convolution_forward;
    const auto algo = dnnl::algorithm::convolution_direct;
    const Conv::desc desc = bias ? Conv::desc(kind, algo, activation(d.x), any(d.weight), plain(d.bias, Tag::x), activation(d.y),
                                              d.strides, d.padding_l, d.padding_r)
                                 : Conv::desc(kind, algo, activation(d.x), any(d.weight), activation(d.y), d.strides,
                                              d.padding_l, d.padding_r);
    return Conv::primitive_desc(desc, attributes(post), engine());
}

std::shared_ptr<Entry> create(const Conv2dGeometry& g, Direction direction, bool bias, PostOps post) {
    const Dims d = dims_of(g);
    const memory::desc x = plain(d.x, Tag::nchw), w = plain(d.weight, Tag::oihw), y = plain(d.y, Tag::nchw);
    auto e = std::make_shared<Entry>();
    const auto algo = dnnl::algorithm::convolution_direct;
    if (direction == Direction::Forward) {
        const auto pd = forward_desc(d, bias || post.affine, dnnl::prop_kind::forward_inference, post);
        e->primitive = dnnl::convolution_forward(pd);
        e->args = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
        e->operands = {Operand(pd.src_desc(), x, true), Operand(pd.weights_desc(), w, true, post.affine),
                       Operand(pd.dst_desc(), y, false)};
        e->scratchpad = pd.scratchpad_desc();
    } else if (direction == Direction::BackwardData) {
        using Conv = dnnl::convolution_backward_data;
        const auto hint = forward_desc(d, false, dnnl::prop_kind::forward_training);
        const Conv::primitive_desc pd(Conv::desc(algo, activation(d.x), any(d.weight), activation(d.y), d.strides, d.padding_l,
                                                 d.padding_r),
                                      attributes(), engine(), hint);
        e->primitive = Conv(pd);
        e->args = {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC};
        e->operands = {Operand(pd.diff_dst_desc(), y, true), Operand(pd.weights_desc(), w, true),
                       Operand(pd.diff_src_desc(), x, false)};
        e->scratchpad = pd.scratchpad_desc();
    } else {
        using Conv = dnnl::convolution_backward_weights;
        const auto hint = forward_desc(d, false, dnnl::prop_kind::forward_training);
        const Conv::primitive_desc pd(Conv::desc(algo, activation(d.x), any(d.weight), activation(d.y), d.strides, d.padding_l,
                                                 d.padding_r),
                                      attributes(), engine(), hint);
        e->primitive = Conv(pd);
        e->args = {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS};
        e->operands = {Operand(pd.src_desc(), x, true), Operand(pd.diff_dst_desc(), y, true),
                       Operand(pd.diff_weights_desc(), w, false)};
        e->scratchpad = pd.scratchpad_desc();
    }
    return e;
}

using Key = std::array<int64_t, 16>;

Key key_of(const Conv2dGeometry& g, Direction direction, bool bias, PostOps post) {
    const int64_t flags = (bias ? 1 : 0) | (post.affine ? 2 : 0) | (post.relu ? 4 : 0) | (post.residual ? 8 : 0);
    return {g.batch,    g.in_channels, g.in_h,     g.in_w,  g.out_channels, g.kernel_h,
            g.kernel_w, g.stride_h,    g.stride_w, g.pad_top, g.pad_left,   g.out_h,
            g.out_w,    static_cast<int64_t>(direction), flags, 0};
}

// Primitives by geometry, shared by all threads. Entries are handed out as shared_ptr, so
// dropping the cache never frees a primitive that another thread is running.
std::shared_ptr<const Entry> cached(const Conv2dGeometry& g, Direction direction, bool bias, PostOps post) {
    // NOTE: a bound, not a policy: a network has a few dozen geometries per batch size;
    // a process that sees endlessly many sizes starts over rather than growing.
    constexpr std::size_t kMaxEntries = 512;
    static std::mutex mutex;
    static std::map<Key, std::shared_ptr<const Entry>> cache;
    const Key key = key_of(g, direction, bias, post);
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    if (cache.size() >= kMaxEntries) cache.clear();
    return cache.emplace(key, create(g, direction, bias, post)).first->second;
}

// Runs the cached primitive on `first` and `second` (its first two operands, see Entry),
// writing the third into `out`.
void run(const Conv2dGeometry& g, Direction direction, const float* first, const float* second,
         const float* bias, float* out, const ConvEpilogue& epilogue = {}) {
    use_igcam_threads();
    try {
        const PostOps post{epilogue.scale != nullptr, epilogue.residual != nullptr, epilogue.relu};
        const std::shared_ptr<const Entry> e = cached(g, direction, bias != nullptr, post);
        CallBuffers buffers;
        std::unordered_map<int, memory> args;
        args.emplace(e->args[0], e->operands[0]->input(first, buffers));
        args.emplace(e->args[1], e->operands[1]->input(second, buffers, epilogue.scale));
        memory result = e->operands[2]->output(out, buffers, epilogue.residual);
        args.emplace(e->args[2], result);
        if (e->scratchpad.get_size() > 0) args.emplace(DNNL_ARG_SCRATCHPAD, buffers.make(e->scratchpad));
        std::vector<float> folded;  // the batch norm's shift, plus the bias it scales
        if (post.affine) {
            folded.resize(static_cast<std::size_t>(g.out_channels));
            for (std::size_t o = 0; o < folded.size(); ++o)
                folded[o] = static_cast<float>((bias != nullptr ? double{bias[o]} : 0.0) * epilogue.scale[o] +
                                               epilogue.shift[o]);
            bias = folded.data();
        }
        if (bias != nullptr)
            args.emplace(DNNL_ARG_BIAS, memory(plain({g.out_channels}, Tag::x), engine(), const_cast<float*>(bias)));
        e->primitive.execute(stream(), args);
        e->operands[2]->finish(result, out);
        stream().wait();
    } catch (const dnnl::error& error) {
        detail::throw_error<Error>("oneDNN convolution failed (x ", g.batch, "x", g.in_channels, "x", g.in_h, "x",
                                   g.in_w, ", weight ", g.out_channels, "x", g.in_channels, "x", g.kernel_h, "x",
                                   g.kernel_w, "): ", error.what(),
                                   "; IGCAM_CPU_CONV=blas runs the im2col + BLAS convolution instead");
    }
}

}  // namespace

void conv2d_forward(float* y, const float* x, const float* weight, const float* bias, const Conv2dGeometry& g,
                    const ConvEpilogue& epilogue) {
    run(g, Direction::Forward, x, weight, bias, y, epilogue);
}

void conv2d_backward_data(float* grad_x, const float* grad_y, const float* weight, const Conv2dGeometry& g) {
    run(g, Direction::BackwardData, grad_y, weight, nullptr, grad_x);
}

void conv2d_backward_weight(float* grad_weight, const float* grad_y, const float* x, const Conv2dGeometry& g) {
    run(g, Direction::BackwardWeight, x, grad_y, nullptr, grad_weight);
}

}  // namespace igcam::cpu::onednn
