#include "models/state_dict.h"

#include <set>

#include "core/error.h"
#include "core/ops.h"
#include "models/class_names.h"

namespace igcam::models {

namespace {

std::string shape_text(const StoredTensor& t) { return t.scalar ? "a scalar ()" : Shape(t.dims).to_string(); }

}  // namespace

Preprocess default_preprocess(const Architecture& arch) {
    return preprocess_preset(arch.variant == Variant::Caffe ? "torchray-voc" : "torchvision");
}

std::map<std::string, std::vector<int64_t>> catalogue_shapes(const TensorSource& source) {
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const auto& [key, t] : source.tensors()) shapes[key] = t.dims;
    return shapes;
}

std::shared_ptr<nn::Module> build_from_state_dict(const TensorSource& source, const Architecture& arch, DType dtype) {
    std::shared_ptr<nn::Module> net = build_network(arch);
    const auto params = net->named_parameters();
    const auto& stored = source.tensors();
    // Every check that needs no tensor data first: presence, extras, type, shape.
    std::set<std::string> expected;
    for (const auto& [key, p] : params) {
        expected.insert(key);
        const std::string where = source.path() + ": " + source.where(key);
        const auto found = stored.find(key);
        IGCAM_CHECK(found != stored.end(), FormatError, where, ": missing tensor (", arch.name, " needs shape ",
                    p->shape.to_string(), ")");
        const StoredTensor& t = found->second;
        IGCAM_CHECK(t.readable, FormatError, where, ": has dtype ", t.type_name, ", expected ", source.readable_types());
        IGCAM_CHECK(t.refusal.empty(), FormatError, where, t.refusal);
        IGCAM_CHECK(!t.scalar && t.dims == p->shape.dims(), FormatError, where, ": expected shape ",
                    p->shape.to_string(), ", found ", shape_text(t));
    }
    for (const auto& [key, t] : stored) {
        (void)t;
        IGCAM_CHECK(expected.count(key), FormatError, source.path(), ": ", source.where(key),
                    ": unexpected tensor (not a parameter of ", arch.name, ")");
    }
    for (const auto& [key, p] : params) {
        Tensor value = source.read(key, dtype);
        const int64_t bad = ops::first_nonfinite(value);
        IGCAM_CHECK(bad < 0, FormatError, source.path(), ": ", source.where(key),
                    ": holds a non-finite value (NaN or infinity) at flat index ", bad);
        p->value = std::move(value);
    }
    return net;
}

Model model_from_state_dict(const TensorSource& source, const std::string& format, DType dtype) {
    IGCAM_CHECK(!source.tensors().empty(), FormatError, source.path(), ": holds no tensors");
    Model model;
    model.source = source.path();
    model.format = format;
    model.dtype = dtype;
    const auto shapes = catalogue_shapes(source);
    // TorchRay's Caffe ResNet is the one torch layout with a biased conv1.
    const Variant variant = shapes.count("conv1.bias") ? Variant::Caffe : Variant::Torchvision;
    model.architecture = infer_architecture(shapes, variant, source.path());
    const Architecture& arch = model.architecture;
    model.net = build_from_state_dict(source, arch, dtype);
    model.class_names = default_class_names(arch.num_classes());
    model.preprocess = default_preprocess(arch);
    model.default_layer = default_target_layer(arch);
    return model;
}

}  // namespace igcam::models
