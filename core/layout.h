// How a tensor's values are laid out in its storage. Every tensor says which, and only the
// op dispatch (core/ops_common.h) converts between them.
//
//   plain            row-major (NCHW for images): what every op kernel and every reader of
//                    data() expects.
//   channel-blocked  a float32 (N, C, H, W) CPU tensor stored as oneDNN's nChw<b>c: images
//                    outermost, then channel blocks of b, then rows and columns, then the b
//                    channels of a block innermost. Value (n, c, y, x) sits at element
//                    ((n * (C / b) + c / b) * H * W + y * W + x) * b + c % b.
//                    C is always a multiple of b, so the storage holds exactly N*C*H*W values
//                    and rows along N stay contiguous (a batch slice is still a tensor).
// A oneDNN convolution or max pooling leaves its float32 output channel-blocked for the
// next one to read without a reorder; any other op reads it through ops::to_plain.
#pragma once

#include <cstdint>
#include <string>

namespace igcam {

class Layout {
public:
    Layout() = default;  // plain
    static Layout plain() { return Layout(); }
    // block >= 2 channels per block (8 with AVX2, 16 with AVX-512).
    static Layout channel_blocked(int64_t block);

    bool is_plain() const { return block_ == 0; }
    // Channels per block; 0 for plain.
    int64_t channel_block() const { return block_; }
    // "plain" or oneDNN's name of the blocked layout ("nChw16c").
    std::string to_string() const;

    bool operator==(const Layout& other) const = default;

private:
    int64_t block_ = 0;
};

}  // namespace igcam
