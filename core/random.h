// A small seeded generator with a fixed algorithm (splitmix64 seeding xoshiro256**), so
// the same seed gives the same numbers on every platform and compiler, unlike the
// distributions of <random>. Used for random weights in demos and for test inputs.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace igcam {

class Rng {
public:
    explicit Rng(uint64_t seed);
    uint64_t next();
    double uniform();                        // [0, 1), 53 random bits
    double uniform(double lo, double hi);    // [lo, hi)
    double normal();                         // standard normal (Box-Muller)
    int64_t below(int64_t n);                // integer in [0, n)

private:
    uint64_t s_[4];
};

Tensor random_uniform(const Shape& shape, double lo, double hi, uint64_t seed, DType dtype = DType::F32);
Tensor random_normal(const Shape& shape, double stddev, uint64_t seed, DType dtype = DType::F32);
// Distinct values: a random permutation of lo + (hi - lo) * (i + 0.5) / n, so any two differ
// by at least (hi - lo) / n. Max-pool and ReLU tests use it to stay away from ties and kinks.
Tensor random_unique(const Shape& shape, double lo, double hi, uint64_t seed, DType dtype = DType::F32);

}  // namespace igcam
