#include "core/cpu/layout.h"

#include "core/cpu/parallel.h"

namespace igcam::cpu {

namespace {

// Calls move(plain_index, blocked_index) over one block of channels of one image at a time:
// plane (n, c) of the plain values against channel c % block of every position of block
// (n, c / block).
template <typename Move>
void for_each_value(int64_t batch, int64_t channels, int64_t spatial, int64_t block, Move&& move) {
    const int64_t blocks = channels / block;
    parallel_for(batch * blocks, 1, [&](int64_t begin, int64_t end) {
        for (int64_t nb = begin; nb < end; ++nb) {
            const int64_t n = nb / blocks, first_channel = (nb % blocks) * block;
            const int64_t blocked_base = nb * spatial * block;
            for (int64_t c = 0; c < block; ++c) {
                const int64_t plain_base = (n * channels + first_channel + c) * spatial;
                for (int64_t p = 0; p < spatial; ++p) move(plain_base + p, blocked_base + p * block + c);
            }
        }
    });
}

}  // namespace

void channel_blocked_to_plain(float* plain, const float* blocked, int64_t batch, int64_t channels,
                              int64_t spatial, int64_t block) {
    for_each_value(batch, channels, spatial, block, [&](int64_t p, int64_t b) { plain[p] = blocked[b]; });
}

void plain_to_channel_blocked(float* blocked, const float* plain, int64_t batch, int64_t channels,
                              int64_t spatial, int64_t block) {
    for_each_value(batch, channels, spatial, block, [&](int64_t p, int64_t b) { blocked[b] = plain[p]; });
}

}  // namespace igcam::cpu
