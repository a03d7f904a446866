#include "core/random.h"

#include <cmath>
#include <numeric>
#include <vector>

namespace igcam {

namespace {
uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
constexpr double kTwoPi = 6.283185307179586476925286766559;
}  // namespace

Rng::Rng(uint64_t seed) {
    for (uint64_t& s : s_) s = splitmix64(seed);
}

uint64_t Rng::next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
double Rng::uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

double Rng::normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

int64_t Rng::below(int64_t n) { return static_cast<int64_t>(next() % static_cast<uint64_t>(n)); }

Tensor random_uniform(const Shape& shape, double lo, double hi, uint64_t seed, DType dtype) {
    Rng rng(seed);
    std::vector<double> values(static_cast<std::size_t>(shape.numel()));
    for (double& v : values) v = rng.uniform(lo, hi);
    return Tensor::from_values(shape, values, dtype);
}

Tensor random_normal(const Shape& shape, double stddev, uint64_t seed, DType dtype) {
    Rng rng(seed);
    std::vector<double> values(static_cast<std::size_t>(shape.numel()));
    for (double& v : values) v = stddev * rng.normal();
    return Tensor::from_values(shape, values, dtype);
}

Tensor random_unique(const Shape& shape, double lo, double hi, uint64_t seed, DType dtype) {
    Rng rng(seed);
    const int64_t n = shape.numel();
    std::vector<int64_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
    std::vector<double> values(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        values[i] = lo + (hi - lo) * (static_cast<double>(order[i]) + 0.5) / static_cast<double>(n);
    return Tensor::from_values(shape, values, dtype);
}

}  // namespace igcam
