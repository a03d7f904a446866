#include "core/cpu/pool2d_onednn.h"

#include "core/cpu/onednn.h"
#include "core/error.h"

namespace igcam::cpu::onednn {

void max_pool2d_forward(float* y, const float* x, const Layout& layout, int64_t batch, int64_t channels,
                        const Pool2dGeometry& g) {
    using dnnl::memory;
    const memory::dims x_dims{batch, channels, g.in_h, g.in_w}, y_dims{batch, channels, g.out_h, g.out_w};
    const memory::desc x_desc = desc_of(x_dims, layout), y_desc = desc_of(y_dims, layout);
    use_igcam_threads();
    try {
        // Padding counts as -inf in both (oneDNN's max pooling leaves it out), and a window's
        // maximum is exact, so finite values are those of the plain kernel bit for bit.
        // Non-finite ones may differ: our kernel keeps a NaN that comes first in its window
        // where oneDNN's max passes over it, and a window of -inf only gives -FLT_MAX here.
        using Pool = dnnl::pooling_forward;
        const Pool::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, x_desc, y_desc,
                              {g.stride_h, g.stride_w}, {g.kernel_h, g.kernel_w},
                              {g.pad_top, g.pad_left},
                              {used_padding_right(g.in_h, g.out_h, g.kernel_h, g.stride_h, g.pad_top),
                               used_padding_right(g.in_w, g.out_w, g.kernel_w, g.stride_w, g.pad_left)});
        const Pool::primitive_desc pd(desc, engine());
        memory src(x_desc, engine(), const_cast<float*>(x)), dst(y_desc, engine(), y);  // src is read only
        Pool(pd).execute(stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
        stream().wait();
    } catch (const dnnl::error& error) {
        detail::throw_error<Error>("oneDNN max pooling failed (x ", batch, "x", channels, "x", g.in_h, "x", g.in_w,
                                   ", window ", g.kernel_h, "x", g.kernel_w, "): ", error.what());
    }
}

}  // namespace igcam::cpu::onednn
