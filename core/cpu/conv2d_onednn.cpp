// oneDNN convolutions. Activations are handed to the primitive in oneDNN's channel-blocked
// layout (nChw16c with AVX-512, nChw8c with AVX2), the weights in whatever layout it picks
// (format_tag::any). The cache holds, per geometry and direction, the primitive and the
// reorders from and to igcam's plain NCHW / OIHW buffers.
// The forward reads an activation that is already channel-blocked (core/layout.h) as it is,
// writes its output in the layout the caller asks for (blocked for the next oneDNN op, or
// plain), and keeps the weights' reordered copy in the layer's WeightCache.
//
// NOTE: the layouts were measured (2 cores, AVX-512, ResNet-50 at 224 x 224, medians):
//                             forward, batch 1   IG-CAM, 50 steps in one batch
//   blocked nChw16c (chosen)       48.0 ms            2381 ms   jit:avx512_core kernels
//   format_tag::any                52.5 ms            2603 ms   brgconv on NHWC: slower reorders
//   plain NCHW, no reorders        48.8 ms            2575 ms   gemm:jit (im2col + oneDNN's GEMM)
#include "core/cpu/conv2d_onednn.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/cpu/f32_path.h"
#include "core/cpu/onednn.h"
#include "core/error.h"
#include "core/storage.h"

namespace igcam::cpu::onednn {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;

enum class Direction : int64_t { Forward, BackwardData, BackwardWeight };

// Sizes in oneDNN's order.
struct Dims {
    memory::dims x, weight, y, bias, strides, padding_l, padding_r;
};

Dims dims_of(const Conv2dGeometry& g) {
    return {{g.batch, g.in_channels, g.in_h, g.in_w},
            {g.out_channels, g.in_channels, g.kernel_h, g.kernel_w},
            {g.batch, g.out_channels, g.out_h, g.out_w},
            {g.out_channels},
            {g.stride_h, g.stride_w},
            {g.pad_top, g.pad_left},
            {used_padding_right(g.in_h, g.out_h, g.kernel_h, g.stride_h, g.pad_top),
             used_padding_right(g.in_w, g.out_w, g.kernel_w, g.stride_w, g.pad_left)}};
}

memory::desc plain(const memory::dims& d, Tag tag) { return memory::desc(d, memory::data_type::f32, tag); }
memory::desc any(const memory::dims& d) { return plain(d, Tag::any); }

// Buffers for one call (reordered operands, the scratchpad), from igcam's CPU allocator
// (onednn.h's Buffer), and what else must stay alive until the call has run.
class CallBuffers {
public:
    memory make(const memory::desc& d) {
        auto buffer = Buffer::make(d);
        memory m = buffer->memory();
        held_.push_back(std::move(buffer));
        return m;
    }
    // Keeps `owner` (of memory that some argument points into) alive until the call ends.
    void keep(std::shared_ptr<const void> owner) { held_.push_back(std::move(owner)); }

private:
    std::vector<std::shared_ptr<const void>> held_;
};

// One argument of a primitive: the layout the primitive wants, our plain layout, and the
// reorder between them when they differ (into the primitive for inputs, out of it for the
// output). A `scaled` input always has a reorder, one that also multiplies slice o of the
// first dimension by scales[o] (a batch norm's scale folded into the weights); where oneDNN
// has no scaling reorder into the wanted layout (Winograd's weights, in oneDNN 2.6) the
// values are scaled in a plain copy first and then reordered.
struct Operand {
    memory::desc wanted, user;
    std::optional<dnnl::reorder> reorder;
    bool reorder_scales = false;  // the reorder itself multiplies by the scales

    Operand(const memory::desc& wanted_desc, const memory::desc& user_desc, bool is_input, bool scaled = false)
        : wanted(wanted_desc), user(user_desc) {
        if (wanted == user && !scaled) return;
        if (!is_input) {
            reorder = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), wanted, engine(), user));
            return;
        }
        if (scaled) {
            dnnl::primitive_attr attr;
            attr.set_output_scales(1, {DNNL_RUNTIME_F32_VAL});
            try {
                reorder = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), user, engine(), wanted, attr));
                reorder_scales = true;
                return;
            } catch (const dnnl::error&) {
                // scaled in a plain copy instead (reorder_into)
            }
        }
        reorder = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), user, engine(), wanted));
    }

    // The memory to hand to the primitive for the input at `data`, reordered if needed
    // (and scaled by `scales`, the length of the first dimension, for a scaled operand).
    memory input(const float* data, CallBuffers& buffers, const float* scales = nullptr) const {
        if (!reorder) return memory(user, engine(), const_cast<float*>(data));  // read only: oneDNN's API is not const
        memory theirs = buffers.make(wanted);
        reorder_into(data, theirs, scales);
        return theirs;
    }
    // Reorders the input at `data` into `theirs` (laid out as `wanted`), scaled as input().
    void reorder_into(const float* data, const memory& theirs, const float* scales = nullptr) const {
        std::vector<float> scaled;  // (first dim, rest) plain, when the reorder cannot scale
        if (scales != nullptr && !reorder_scales) {
            const memory::dims dims = user.dims();
            const int64_t rows = dims[0], inner = static_cast<int64_t>(user.get_size() / sizeof(float)) / rows;
            scaled.assign(data, data + rows * inner);
            for (int64_t o = 0; o < rows; ++o)
                for (int64_t i = 0; i < inner; ++i) scaled[static_cast<std::size_t>(o * inner + i)] *= scales[o];
            data = scaled.data();
            scales = nullptr;
        }
        memory mine(user, engine(), const_cast<float*>(data));
        std::unordered_map<int, memory> args{{DNNL_ARG_FROM, mine}, {DNNL_ARG_TO, theirs}};
        if (scales != nullptr)
            args.emplace(DNNL_ARG_ATTR_OUTPUT_SCALES,
                         memory(plain({user.dims()[0]}, Tag::x), engine(), const_cast<float*>(scales)));
        reorder->execute(stream(), args);
    }
    // The memory the primitive writes the output into; finish() moves it to `data`.
    memory output(float* data, CallBuffers& buffers) const {
        return reorder ? buffers.make(wanted) : memory(user, engine(), data);
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
    std::string implementation;  // oneDNN's name of the kernel (forward)
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

// Winograd F(4x4, 3x3) computes a 3x3 stride-1 convolution with about a third of the
// multiplications (oneDNN picks F(2x2, 3x3) for a batch of 1); where oneDNN has no kernel
// for the shape (its channel counts, post-ops, the CPU) creating the primitive fails and the
// convolution stays direct. It is opt-in (--conv winograd): its kernels block the work by
// the batch size, so an image's result differs at the rounding level with what else is in
// its batch, where direct convolution gives every image the same bits in any batch.
// NOTE: its float32 rounding is larger than direct convolution's: F(4x4, 3x3) 6-10 x on
// ResNet-50's 3x3 shapes, up to 2.4e-6 relative (against a float64 loop,
// tests/core/test_conv.cpp); every float32 reference test's tolerance still holds.
bool winograd_shape(const Conv2dGeometry& g) {
    return winograd_enabled() && g.kernel_h == 3 && g.kernel_w == 3 && g.stride_h == 1 && g.stride_w == 1;
}

// With `bf16` the input and the weights are read as bfloat16 (in layouts oneDNN picks; the
// float32 activation and weights are reordered into them), the output stays float32 and
// accumulates in float32.
dnnl::convolution_forward::primitive_desc forward_desc(const Dims& d, bool bias, dnnl::prop_kind kind,
                                                       PostOps post = {},
                                                       dnnl::algorithm algo = dnnl::algorithm::convolution_direct,
                                                       bool bf16 = false) {
    using Conv = dnnl::convolution_forward;
    const memory::desc x = bf16 ? memory::desc(d.x, memory::data_type::bf16, Tag::any) : activation_desc(d.x);
    const memory::desc y = activation_desc(d.y);
    const memory::desc w = bf16 ? memory::desc(d.weight, memory::data_type::bf16, Tag::any) : any(d.weight);
    const Conv::desc desc = bias ? Conv::desc(kind, algo, x, w, plain(d.bias, Tag::x), y, d.strides,
                                              d.padding_l, d.padding_r)
                                 : Conv::desc(kind, algo, x, w, y, d.strides, d.padding_l, d.padding_r);
    return Conv::primitive_desc(desc, attributes(post), engine());
}

std::shared_ptr<Entry> create(const Conv2dGeometry& g, Direction direction, bool bias, PostOps post) {
    const Dims d = dims_of(g);
    const memory::desc x = plain(d.x, Tag::nchw), w = plain(d.weight, Tag::oihw), y = plain(d.y, Tag::nchw);
    auto e = std::make_shared<Entry>();
    const auto algo = dnnl::algorithm::convolution_direct;
    const memory::desc x_layout = activation_desc(d.x), y_layout = activation_desc(d.y);
    if (direction == Direction::Forward) {
        const bool has_bias = bias || post.affine;
        auto forward = [&](dnnl::algorithm kind) {
            const auto pd = forward_desc(d, has_bias, dnnl::prop_kind::forward_inference, post, kind, bf16_enabled());
            e->implementation = pd.impl_info_str();
            e->primitive = dnnl::convolution_forward(pd);
            e->args = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
            e->operands = {Operand(pd.src_desc(), x, true), Operand(pd.weights_desc(), w, true, post.affine),
                           Operand(pd.dst_desc(), y, false)};
            e->scratchpad = pd.scratchpad_desc();
        };
        // Winograd where winograd_shape allows it and oneDNN has the kernel and the reorders
        // into its weights' layout; direct otherwise.
        if (winograd_shape(g) && !bf16_enabled()) {
            try {
                forward(dnnl::algorithm::convolution_winograd);
                return e;
            } catch (const dnnl::error&) {
                // no Winograd for this convolution here: direct below
            }
        }
        forward(algo);
    } else if (direction == Direction::BackwardData) {
        using Conv = dnnl::convolution_backward_data;
        const auto hint = forward_desc(d, false, dnnl::prop_kind::forward_training);
        const Conv::primitive_desc pd(Conv::desc(algo, x_layout, any(d.weight), y_layout, d.strides, d.padding_l,
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
        const Conv::primitive_desc pd(Conv::desc(algo, x_layout, any(d.weight), y_layout, d.strides, d.padding_l,
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
            g.out_w,    static_cast<int64_t>(direction), flags, (winograd_shape(g) ? 1 : 0) | (bf16_enabled() ? 2 : 0)};
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

[[noreturn]] void fail(const Conv2dGeometry& g, const dnnl::error& error) {
    detail::throw_error<Error>("oneDNN convolution failed (x ", g.batch, "x", g.in_channels, "x", g.in_h, "x", g.in_w,
                               ", weight ", g.out_channels, "x", g.in_channels, "x", g.kernel_h, "x", g.kernel_w,
                               "): ", error.what(), "; IGCAM_CPU_CONV=blas runs the im2col + BLAS convolution instead");
}

// The primitive's extra arguments: its scratchpad, and the bias (out_channels) when there
// is one.
void add_scratchpad_and_bias(const Entry& e, const Conv2dGeometry& g, const float* bias, CallBuffers& buffers,
                             std::unordered_map<int, memory>& args) {
    if (e.scratchpad.get_size() > 0) args.emplace(DNNL_ARG_SCRATCHPAD, buffers.make(e.scratchpad));
    if (bias != nullptr)
        args.emplace(DNNL_ARG_BIAS, memory(plain({g.out_channels}, Tag::x), engine(), const_cast<float*>(bias)));
}

// Runs a cached backward primitive on `first` and `second` (its first two operands, see
// Entry), writing the third into `out`.
void run(const Conv2dGeometry& g, Direction direction, const float* first, const float* second,
         const float* bias, float* out) {
    use_igcam_threads();
    try {
        const std::shared_ptr<const Entry> e = cached(g, direction, bias != nullptr, PostOps{});
        CallBuffers buffers;
        std::unordered_map<int, memory> args;
        args.emplace(e->args[0], e->operands[0]->input(first, buffers));
        args.emplace(e->args[1], e->operands[1]->input(second, buffers));
        memory result = e->operands[2]->output(out, buffers);
        args.emplace(e->args[2], result);
        add_scratchpad_and_bias(*e, g, bias, buffers, args);
        e->primitive.execute(stream(), args);
        e->operands[2]->finish(result, out);
        stream().wait();
    } catch (const dnnl::error& error) {
        fail(g, error);
    }
}

// ---- the forward ----

// The WeightCache owner tag of PreparedWeights. Not const, so no linker folds it into
// another tag.
char weights_tag = 0;

// Weights in a primitive's layout `values.desc`, output channel o multiplied by scale[o]
// (empty: not scaled).
struct PreparedWeights {
    std::shared_ptr<Buffer> values;
    std::vector<float> scale;
};

// `a` as the primitive wants it (operand.wanted): as it is when its layout is that one;
// otherwise reordered into a buffer of this call.
memory activation_input(const F32Activation& a, const memory::dims& dims, const Operand& operand,
                        CallBuffers& buffers) {
    const memory::desc held = desc_of(dims, a.layout);
    if (held == operand.wanted) return memory(held, engine(), const_cast<float*>(a.data));  // read only
    if (held == operand.user) return operand.input(a.data, buffers);  // plain: the cached reorder
    memory theirs = buffers.make(operand.wanted), mine(held, engine(), const_cast<float*>(a.data));
    dnnl::reorder(mine, theirs).execute(stream(), mine, theirs);
    return theirs;
}

// The weights as the primitive wants them, scaled by `scale` (out_channels, or null): the
// copy in the weights' cache when it matches, else a new one, kept there for the next call.
memory weights_input(const F32Weights& weight, const Operand& operand, const float* scale, int64_t out_channels,
                     CallBuffers& buffers) {
    if (!operand.reorder) return memory(operand.user, engine(), const_cast<float*>(weight.values));
    if (weight.cache == nullptr) return operand.input(weight.values, buffers, scale);
    std::vector<float> scales;
    if (scale != nullptr) scales.assign(scale, scale + out_channels);
    std::shared_ptr<const PreparedWeights> held = weight.cache->find<PreparedWeights>(
        &weights_tag, weight.source,
        [&](const PreparedWeights& p) { return p.values->desc == operand.wanted && p.scale == scales; });
    if (!held) {
        auto made = std::make_shared<PreparedWeights>(PreparedWeights{Buffer::make(operand.wanted), std::move(scales)});
        operand.reorder_into(weight.values, made->values->memory(), scale);
        weight.cache->insert(&weights_tag, weight.source, made);
        held = made;
    }
    buffers.keep(held);
    // Read only: oneDNN's API is not const.
    return dnnl::memory(held->values->desc, engine(), const_cast<void*>(held->values->storage->data()));
}

}  // namespace

void conv2d_forward(float* y, const Layout& y_layout, const F32Activation& x, const F32Weights& weight,
                    const float* bias, const ConvEpilogue& epilogue, const Conv2dGeometry& g) {
    use_igcam_threads();
    try {
        const PostOps post{epilogue.scale != nullptr, epilogue.residual.data != nullptr, epilogue.relu};
        const std::shared_ptr<const Entry> e = cached(g, Direction::Forward, bias != nullptr, post);
        const Dims d = dims_of(g);
        const Operand& out = *e->operands[2];
        CallBuffers buffers;
        std::unordered_map<int, memory> args;
        args.emplace(DNNL_ARG_SRC, activation_input(x, d.x, *e->operands[0], buffers));
        args.emplace(DNNL_ARG_WEIGHTS, weights_input(weight, *e->operands[1], epilogue.scale, g.out_channels, buffers));

        // The primitive writes straight into y when y is laid out as it wants; otherwise into
        // a buffer reordered into y afterwards. With a residual the output starts as the
        // residual (the sum post-op adds to it).
        const memory::desc y_desc = desc_of(d.y, y_layout);
        memory mine(y_desc, engine(), y);
        const bool direct = y_desc == out.wanted;
        memory dst = direct ? mine : buffers.make(out.wanted);
        if (epilogue.residual.data != nullptr) {
            const memory::desc r_desc = desc_of(d.y, epilogue.residual.layout);
            if (r_desc == out.wanted) {
                std::memcpy(dst.get_data_handle(), epilogue.residual.data, out.wanted.get_size());
            } else {
                memory residual(r_desc, engine(), const_cast<float*>(epilogue.residual.data));
                dnnl::reorder(residual, dst).execute(stream(), residual, dst);
            }
        }
        args.emplace(DNNL_ARG_DST, dst);

        std::vector<float> folded;  // the batch norm's shift, plus the bias it scales
        if (post.affine) {
            folded.resize(static_cast<std::size_t>(g.out_channels));
            for (std::size_t o = 0; o < folded.size(); ++o)
                folded[o] = static_cast<float>((bias != nullptr ? double{bias[o]} : 0.0) * epilogue.scale[o] +
                                               epilogue.shift[o]);
            bias = folded.data();
        }
        add_scratchpad_and_bias(*e, g, bias, buffers, args);
        e->primitive.execute(stream(), args);
        if (!direct) {
            if (y_desc == out.user) out.finish(dst, y);
            else dnnl::reorder(dst, mine).execute(stream(), dst, mine);
        }
        stream().wait();
    } catch (const dnnl::error& error) {
        fail(g, error);
    }
}

std::string forward_implementation(const Conv2dGeometry& g) {
    try {
        return cached(g, Direction::Forward, false, PostOps{})->implementation;
    } catch (const dnnl::error& error) {
        fail(g, error);
    }
}

void conv2d_backward_data(float* grad_x, const float* grad_y, const float* weight, const Conv2dGeometry& g) {
    run(g, Direction::BackwardData, grad_y, weight, nullptr, grad_x);
}

void conv2d_backward_weight(float* grad_weight, const float* grad_y, const float* x, const Conv2dGeometry& g) {
    run(g, Direction::BackwardWeight, x, grad_y, nullptr, grad_weight);
}

}  // namespace igcam::cpu::onednn
