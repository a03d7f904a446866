#include "tests/cam/random_model.h"

#include <cmath>
#include <set>

#include "core/random.h"
#include "models/class_names.h"

namespace igcam::test {

models::Model random_model(const models::Architecture& arch, uint64_t seed, DType dtype) {
    models::Model model;
    model.architecture = arch;
    model.net = models::build_network(arch);
    model.dtype = dtype;
    model.default_layer = models::default_target_layer(arch);
    model.preprocess = models::preprocess_preset("torchvision");
    // Batch-norm modules are those with running statistics (bn1, downsample.1, features.1, ...).
    std::set<std::string> batch_norms;
    for (const auto& [key, p] : model.net->named_parameters())
        if (key.size() > 12 && key.compare(key.size() - 12, 12, ".running_var") == 0)
            batch_norms.insert(key.substr(0, key.size() - 12));
    for (auto& [key, p] : model.net->named_parameters()) {
        ++seed;
        const std::string leaf = key.substr(key.rfind('.') + 1);
        const bool batch_norm = batch_norms.count(key.substr(0, key.rfind('.'))) > 0;
        if (p->shape.rank() >= 2) {
            const double fan_in = static_cast<double>(p->shape.numel() / p->shape[0]);
            p->value = random_normal(p->shape, std::sqrt(2.0 / fan_in), seed, dtype);
        } else if (batch_norm && (leaf == "weight" || leaf == "running_var")) {
            p->value = random_uniform(p->shape, 0.5, 1.5, seed, dtype);
        } else {
            p->value = random_uniform(p->shape, -0.2, 0.2, seed, dtype);
        }
    }
    model.class_names = models::default_class_names(arch.num_classes());
    return model;
}

models::Model small_resnet(int stages, int64_t classes, uint64_t seed, DType dtype) {
    models::Architecture arch;
    arch.is_resnet = true;
    arch.name = "resnet";
    arch.resnet.bottleneck = false;
    arch.resnet.stage_blocks = std::vector<int64_t>(static_cast<std::size_t>(stages), 1);
    arch.resnet.base_width = 8;
    arch.resnet.num_classes = classes;
    return random_model(arch, seed, dtype);
}

}  // namespace igcam::test
