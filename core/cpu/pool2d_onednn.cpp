#include "core/cpu/pool2d_onednn.h"

#include "core/cpu/onednn.h"
#include "core/error.h"

namespace igcam::cpu::onednn {

std::shared_ptr<Storage> max_pool2d_forward(const F32Operand& x, int64_t batch, int64_t channels,
                                            const Pool2dGeometry& g) {
    using dnnl::memory;
    const memory::dims x_dims{batch, channels, g.in_h, g.in_w}, y_dims{batch, channels, g.out_h, g.out_w};
    const std::shared_ptr<Blocked> held = blocked_of(x, activation_desc(x_dims));
    if (!held) return nullptr;
    use_igcam_threads();
    try {
        // Padding counts as -inf in both (oneDNN's max pooling leaves it out), and a window's
        // maximum is exact, so finite values are those of the plain kernel bit for bit.
        // Non-finite ones may differ: our kernel keeps a NaN that comes first in its window
        // where oneDNN's max passes over it, and a window of -inf only gives -FLT_MAX here.
        using Pool = dnnl::pooling_forward;
        const Pool::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, held->desc,
                              activation_desc(y_dims), {g.stride_h, g.stride_w}, {g.kernel_h, g.kernel_w},
                              {g.pad_top, g.pad_left},
                              {used_padding_right(g.in_h, g.out_h, g.kernel_h, g.stride_h, g.pad_top),
                               used_padding_right(g.in_w, g.out_w, g.kernel_w, g.stride_w, g.pad_left)});
        const Pool::primitive_desc pd(desc, engine());
        const std::shared_ptr<Blocked> y = Blocked::make(pd.dst_desc());
        Pool(pd).execute(stream(), {{DNNL_ARG_SRC, held->memory()}, {DNNL_ARG_DST, y->memory()}});
        stream().wait();
        return pending_storage(y, memory::desc(y_dims, memory::data_type::f32, memory::format_tag::nchw));
    } catch (const dnnl::error& error) {
        detail::throw_error<Error>("oneDNN max pooling failed (x ", batch, "x", channels, "x", g.in_h, "x", g.in_w,
                                   ", window ", g.kernel_h, "x", g.kernel_w, "): ", error.what());
    }
}

}  // namespace igcam::cpu::onednn
