// Max pooling through oneDNN for float32 values a oneDNN op left channel-blocked, so a
// pooling between two convolutions (VGG's blocks, ResNet's stem) does not turn them plain
// and back. Built only with IGCAM_WITH_ONEDNN; core/cpu/pool2d.h calls it.
#pragma once

#include <cstdint>

#include "core/layout.h"
#include "core/op_params.h"

namespace igcam::cpu::onednn {

// As core/cpu/pool2d.h's max_pool2d_forward_blocked.
void max_pool2d_forward(float* y, const float* x, const Layout& layout, int64_t batch, int64_t channels,
                        const Pool2dGeometry& g);

}  // namespace igcam::cpu::onednn
