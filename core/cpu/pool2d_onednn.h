// Max pooling through oneDNN for float32 values a oneDNN op left in its own layout, so a
// pooling between two convolutions (VGG's blocks, ResNet's stem) does not turn them plain
// and back. Built only with IGCAM_WITH_ONEDNN; core/cpu/pool2d.h calls it.
#pragma once

#include <cstdint>
#include <memory>

#include "core/cpu/f32_path.h"
#include "core/op_params.h"
#include "core/storage.h"

namespace igcam::cpu::onednn {

// As core/cpu/pool2d.h's max_pool2d_forward_kept_layout.
std::shared_ptr<Storage> max_pool2d_forward(const F32Operand& x, int64_t batch, int64_t channels,
                                            const Pool2dGeometry& g);

}  // namespace igcam::cpu::onednn
