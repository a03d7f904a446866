#include "models/load.h"

#include <set>

#include "core/error.h"
#include "core/ops.h"
#include "models/class_names.h"
#include "models/hdf5_file.h"
#include "models/keras_load.h"

namespace igcam::models {

namespace {

constexpr const char* kFormat = "igcam-torch-h5";

std::string joined(const std::string& group, const std::string& key) {
    return group == "/" ? "/" + key : group + "/" + key;
}

std::string shape_text(const std::vector<int64_t>& dims, bool scalar) {
    return scalar ? "a scalar ()" : Shape(dims).to_string();
}

bool is_step_counter(const std::string& key, const h5::DatasetInfo& info) {
    const std::string suffix = ".num_batches_tracked";
    return key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0 &&
           info.is_integer && (info.scalar || info.dims.empty() || Shape(info.dims).numel() == 1);
}

struct Catalogue {
    std::string group;                                   // "/state_dict" or "/"
    std::map<std::string, std::vector<int64_t>> shapes;  // every tensor kept, by torch key
    std::map<std::string, h5::DatasetInfo> info;
};

// Lists the tensors of `group`: datasets only, reached through hard links only.
Catalogue catalogue(const h5::File& file, const std::string& group) {
    Catalogue c;
    c.group = group;
    for (const h5::Entry& e : file.list(group)) {
        const std::string where = file.path() + ": " + joined(group, e.name);
        switch (e.kind) {
            case h5::LinkKind::SoftLink:
                detail::throw_error<FormatError>(where, ": is a soft link; links are not followed");
            case h5::LinkKind::ExternalLink:
                detail::throw_error<FormatError>(where, ": is an external link to another file; links are not followed");
            case h5::LinkKind::Group:
                detail::throw_error<FormatError>(where, ": unexpected group (tensors must be datasets directly in ",
                                                 group, ")");
            case h5::LinkKind::Other: detail::throw_error<FormatError>(where, ": is neither a group nor a dataset");
            case h5::LinkKind::Dataset: break;
        }
        const h5::DatasetInfo info = file.dataset_info(joined(group, e.name));
        if (is_step_counter(e.name, info)) continue;  // PyTorch's BN step counter: not a weight
        c.shapes[e.name] = info.dims;
        c.info[e.name] = info;
    }
    return c;
}

// Every check that needs no tensor data: presence, extras, dtype, filters, shape.
void check_catalogue(const h5::File& file, const Catalogue& c, const Architecture& arch,
                     const std::vector<std::pair<std::string, nn::Parameter*>>& params) {
    std::set<std::string> expected;
    for (const auto& [key, p] : params) {
        expected.insert(key);
        const std::string where = file.path() + ": " + joined(c.group, key);
        auto found = c.info.find(key);
        IGCAM_CHECK(found != c.info.end(), FormatError, where, ": missing tensor (", arch.name, " needs shape ",
                    p->shape.to_string(), ")");
        const h5::DatasetInfo& info = found->second;
        IGCAM_CHECK(info.is_float, FormatError, where, ": has dtype ", info.type_name,
                    ", expected float32 or float64");
        IGCAM_CHECK(info.unavailable_filter.empty(), FormatError, where, ": is compressed with the HDF5 filter ",
                    info.unavailable_filter, ", which this build cannot decode; save it uncompressed or with gzip");
        IGCAM_CHECK(!info.scalar && info.dims == p->shape.dims(), FormatError, where, ": expected shape ",
                    p->shape.to_string(), ", found ", shape_text(info.dims, info.scalar));
    }
    for (const auto& [key, info] : c.info) {
        (void)info;
        IGCAM_CHECK(expected.count(key), FormatError, file.path(), ": ", joined(c.group, key),
                    ": unexpected tensor (not a parameter of ", arch.name, ")");
    }
}

void read_parameters(const h5::File& file, const Catalogue& c,
                     const std::vector<std::pair<std::string, nn::Parameter*>>& params, DType dtype) {
    for (const auto& [key, p] : params) {
        Tensor value = file.read_floats(joined(c.group, key), dtype);
        const int64_t bad = ops::first_nonfinite(value);
        IGCAM_CHECK(bad < 0, FormatError, file.path(), ": ", joined(c.group, key),
                    ": holds a non-finite value (NaN or infinity) at flat index ", bad);
        p->value = std::move(value);
    }
}

// The default preprocessing: the variant's preset, then the file's own attributes.
Preprocess preprocessing(const h5::File& file, const Architecture& arch, bool has_attributes) {
    Preprocess p = preprocess_preset(arch.variant == Variant::Caffe ? "torchray-voc" : "torchvision");
    if (!has_attributes) return p;
    auto three = [&](const char* name, std::array<double, 3>& out) {
        if (!file.has_attribute("/", name)) return;
        const std::vector<double> v = file.number_attribute("/", name);
        IGCAM_CHECK(v.size() == 3, FormatError, file.path(), ": attribute '", name, "' must hold 3 numbers, found ",
                    v.size());
        std::copy(v.begin(), v.end(), out.begin());
    };
    three("mean", p.mean);
    three("std", p.std);
    for (double s : p.std)
        IGCAM_CHECK(s > 0, FormatError, file.path(), ": attribute 'std' must be positive");
    if (file.has_attribute("/", "input_scale")) p.scale = file.number_attribute("/", "input_scale").at(0);
    if (file.has_attribute("/", "input_color")) {
        const std::string color = file.string_attribute("/", "input_color");
        IGCAM_CHECK(color == "RGB" || color == "BGR", FormatError, file.path(),
                    ": attribute 'input_color' must be RGB or BGR, found '", color, "'");
        p.bgr = color == "BGR";
    }
    if (file.has_attribute("/", "resize")) {
        const double size = file.number_attribute("/", "resize").at(0);
        IGCAM_CHECK(size >= 0 && size <= 16384, FormatError, file.path(), ": attribute 'resize' is out of range");
        p.resize = static_cast<int64_t>(size);
        if (p.resize == 0) p.resize_mode = ResizeMode::None;
    }
    if (file.has_attribute("/", "crop")) {
        const double crop = file.number_attribute("/", "crop").at(0);
        IGCAM_CHECK(crop >= 0 && crop <= 16384, FormatError, file.path(), ": attribute 'crop' is out of range");
        p.crop = static_cast<int64_t>(crop);
    }
    return p;
}

}  // namespace

Model load_model(const std::string& path, DType dtype) {
    keras::refuse_keras_archive(path);  // a .keras zip, with a hint to unzip it
    const h5::File file(path);
    if (keras::is_keras_file(file)) return load_keras_model(file, dtype);
    Model model;
    model.source = path;
    model.dtype = dtype;
    const bool described = file.has_attribute("/", "format");
    Variant variant = Variant::Torchvision;
    Catalogue c;
    if (described) {
        const std::string format = file.string_attribute("/", "format");
        IGCAM_CHECK(format == kFormat, FormatError, path, ": unknown format '", format, "' (expected ", kFormat, ")");
        const std::vector<double> version = file.number_attribute("/", "format_version");
        IGCAM_CHECK(version.size() == 1 && version[0] == 1, FormatError, path,
                    ": unsupported igcam-torch-h5 format_version ", version.at(0), " (this build reads version 1)");
        IGCAM_CHECK(file.is_group("/state_dict"), FormatError, path, ": missing group /state_dict");
        variant = parse_variant(file.string_attribute("/", "variant"), path);
        c = catalogue(file, "/state_dict");
        model.format = "igcam-torch-h5 v1";
    } else {
        const std::string group = file.is_group("/state_dict") ? "/state_dict" : "/";
        c = catalogue(file, group);
        IGCAM_CHECK(!c.shapes.empty(), FormatError, path, ": holds no tensors");
        // TorchRay's Caffe ResNet is the one torch layout with a biased conv1.
        if (c.shapes.count("conv1.bias")) variant = Variant::Caffe;
        model.format = "state_dict";
    }

    model.architecture = infer_architecture(c.shapes, variant, path);
    const Architecture& arch = model.architecture;
    if (described) {
        const std::string declared = file.string_attribute("/", "arch");
        const std::string family = arch.is_resnet ? "resnet" : "vgg";
        IGCAM_CHECK(declared == arch.name || declared == family, FormatError, path, ": attribute arch says '",
                    declared, "' but the tensors describe ", arch.name);
        if (file.has_attribute("/", "num_classes")) {
            const double declared_classes = file.number_attribute("/", "num_classes").at(0);
            const int64_t classes = arch.is_resnet ? arch.resnet.num_classes : arch.vgg.num_classes;
            IGCAM_CHECK(declared_classes == static_cast<double>(classes), FormatError, path,
                        ": attribute num_classes says ", declared_classes, " but the last layer has ", classes,
                        " outputs");
        }
    }
    model.net = build_network(arch);
    const auto params = model.net->named_parameters();
    check_catalogue(file, c, arch, params);
    read_parameters(file, c, params, dtype);

    const int64_t classes = arch.is_resnet ? arch.resnet.num_classes : arch.vgg.num_classes;
    model.class_names = default_class_names(classes);
    if (described && file.is_dataset("/meta/class_names")) {
        model.class_names = file.read_strings("/meta/class_names");
        IGCAM_CHECK(static_cast<int64_t>(model.class_names.size()) == classes, FormatError, path,
                    ": /meta/class_names lists ", model.class_names.size(), " names for ", classes, " classes");
    }
    model.preprocess = preprocessing(file, arch, described);
    model.default_layer = default_target_layer(arch);
    return model;
}

}  // namespace igcam::models
