// Converting float32 (N, C, H, W) values between the plain layout and the channel-blocked
// one (core/layout.h). C must be a multiple of `block`. Both assign their output.
#pragma once

#include <cstdint>

namespace igcam::cpu {

// plain (N, C, H, W) <- blocked nChw<block>c.
void channel_blocked_to_plain(float* plain, const float* blocked, int64_t batch, int64_t channels,
                              int64_t spatial, int64_t block);
// blocked nChw<block>c <- plain (N, C, H, W).
void plain_to_channel_blocked(float* blocked, const float* plain, int64_t batch, int64_t channels,
                              int64_t spatial, int64_t block);

}  // namespace igcam::cpu
