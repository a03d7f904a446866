// Test models with seeded random parameters: every bias and batch-norm statistic random,
// so the networks are not positively homogeneous and the CAM methods differ.
#pragma once

#include "models/model.h"

namespace igcam::test {

models::Model random_model(const models::Architecture& arch, uint64_t seed, DType dtype = DType::F64);
// A small ResNet: basic blocks, one per stage, `stages` stages of width 8, 16, ...
models::Model small_resnet(int stages, int64_t classes, uint64_t seed, DType dtype = DType::F64);

}  // namespace igcam::test
