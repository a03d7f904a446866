#include "eval/sanity.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"

namespace igcam::eval {

std::vector<std::string> cascade_blocks(const models::Model& model) {
    std::vector<std::string> blocks;
    for (const auto& [local, child] : model.net->children())
        if (child->parameter_count() > 0) blocks.push_back(local);
    std::reverse(blocks.begin(), blocks.end());
    return blocks;
}

namespace {
// FNV-1a: a seed per tensor name that is the same on every platform (std::hash is not).
uint64_t name_hash(const std::string& text) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
    return h;
}
}  // namespace

void randomise_block(models::Model& model, const std::string& block, uint64_t seed) {
    bool found = false;
    for (auto& [key, p] : model.net->named_parameters()) {
        if (key.rfind(block + ".", 0) != 0) continue;
        found = true;
        if (p->name != "weight" && p->name != "bias") continue;
        IGCAM_CHECK(p->value.defined(), ValueError, "sanity: ", key, " is not loaded");
        const std::vector<double> v = ops::to_plain(ops::to_device(p->value, Device::cpu())).to_vector();
        double mean = 0, square = 0;
        for (double x : v) mean += x;
        mean /= static_cast<double>(v.size());
        for (double x : v) square += (x - mean) * (x - mean);
        const double stddev = v.size() > 1 ? std::sqrt(square / static_cast<double>(v.size() - 1)) : 0.0;
        Rng rng(seed ^ name_hash(key));
        std::vector<double> fresh(v.size());
        for (double& x : fresh) x = mean + stddev * rng.normal();
        p->value = Tensor::from_values(p->value.shape(), fresh, p->value.dtype(), model.device);
    }
    IGCAM_CHECK(found, ValueError, "sanity: the model has no block '", block, "'");
    for (const nn::Module* m : model.net->modules()) m->release_derived();
}

Grid scaled_to_unit_range(const Grid& map) {
    Grid out = map;
    const auto [lo, hi] = std::minmax_element(map.values.begin(), map.values.end());
    const double low = *lo, range = *hi - *lo;
    for (double& v : out.values) v = range > 0 ? 2 * (v - low) / range - 1 : -1.0;
    return out;
}

Similarity compare_maps(const Grid& original, const Grid& randomised) {
    Similarity s;
    s.spearman = spearman(original.values, randomised.values);
    std::vector<double> a = original.values, b = randomised.values;
    for (double& v : a) v = std::fabs(v);
    for (double& v : b) v = std::fabs(v);
    s.spearman_abs = spearman(a, b);
    s.ssim = ssim(scaled_to_unit_range(original), scaled_to_unit_range(randomised), 5, 2.0);
    return s;
}

}  // namespace igcam::eval
