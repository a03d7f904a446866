#include "layers/sequential.h"

namespace igcam::nn {

ag::Var Sequential::forward(const ag::Var& x, ForwardContext& ctx) const {
    ag::Var y = x;
    for (const auto& [local, child] : children()) {
        (void)local;
        y = (*child)(y, ctx);
    }
    return y;
}

}  // namespace igcam::nn
