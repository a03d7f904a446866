#include "models/load.h"

#include <cmath>
#include <cstring>
#include <fstream>

#include "core/error.h"
#include "models/class_names.h"
#include "models/hdf5_file.h"
#include "models/keras_archive.h"
#include "models/keras_load.h"
#include "models/safetensors_file.h"
#include "models/state_dict.h"
#include "models/torch_archive.h"

namespace igcam::models {

namespace {

constexpr const char* kFormat = "igcam-torch-h5";

std::string joined(const std::string& group, const std::string& key) {
    return group == "/" ? "/" + key : group + "/" + key;
}

bool is_step_counter(const std::string& key, const h5::DatasetInfo& info) {
    return is_step_counter_key(key) && info.is_integer &&
           (info.scalar || info.dims.empty() || Shape(info.dims).numel() == 1);
}

// The tensors of `group`: datasets only, reached through hard links only.
class Hdf5Tensors final : public TensorSource {
public:
    Hdf5Tensors(const h5::File& file, const std::string& group) : file_(file), group_(group) {
        for (const h5::Entry& e : file.list(group)) {
            const std::string where = file.path() + ": " + joined(group, e.name);
            switch (e.kind) {
                case h5::LinkKind::SoftLink:
                    detail::throw_error<FormatError>(where, ": is a soft link; links are not followed");
                case h5::LinkKind::ExternalLink:
                    detail::throw_error<FormatError>(where,
                                                     ": is an external link to another file; links are not followed");
                case h5::LinkKind::Group:
                    detail::throw_error<FormatError>(where, ": unexpected group (tensors must be datasets directly in ",
                                                     group, ")");
                case h5::LinkKind::Other: detail::throw_error<FormatError>(where, ": is neither a group nor a dataset");
                case h5::LinkKind::Dataset: break;
            }
            const h5::DatasetInfo info = file.dataset_info(joined(group, e.name));
            if (is_step_counter(e.name, info)) continue;  // PyTorch's BN step counter: not a weight
            StoredTensor t;
            t.dims = info.dims;
            t.scalar = info.scalar;
            t.type_name = info.type_name;
            t.readable = info.is_float;
            if (!info.unavailable_filter.empty())
                t.refusal = ": is compressed with the HDF5 filter " + info.unavailable_filter +
                            ", which this build cannot decode; save it uncompressed or with gzip";
            tensors_[e.name] = std::move(t);
        }
    }
    const std::string& path() const override { return file_.path(); }
    std::string where(const std::string& key) const override { return joined(group_, key); }
    const std::map<std::string, StoredTensor>& tensors() const override { return tensors_; }
    std::string readable_types() const override { return "float32 or float64"; }
    Tensor read(const std::string& key, DType dtype) const override { return file_.read_floats(where(key), dtype); }

private:
    const h5::File& file_;
    std::string group_;
    std::map<std::string, StoredTensor> tensors_;
};

// The default preprocessing: the variant's preset, then the file's own attributes.
Preprocess preprocessing(const h5::File& file, const Architecture& arch) {
    Preprocess p = default_preprocess(arch);
    auto three = [&](const char* name, std::array<double, 3>& out) {
        if (!file.has_attribute("/", name)) return;
        const std::vector<double> v = file.number_attribute("/", name);
        IGCAM_CHECK(v.size() == 3, FormatError, file.path(), ": attribute '", name, "' must hold 3 numbers, found ",
                    v.size());
        for (double x : v)
            IGCAM_CHECK(std::isfinite(x), FormatError, file.path(), ": attribute '", name,
                        "' holds a non-finite value (NaN or infinity)");
        std::copy(v.begin(), v.end(), out.begin());
    };
    three("mean", p.mean);
    three("std", p.std);
    for (double s : p.std)
        IGCAM_CHECK(s > 0, FormatError, file.path(), ": attribute 'std' must be positive");
    if (file.has_attribute("/", "input_scale")) {
        p.scale = file.number_attribute("/", "input_scale").at(0);
        IGCAM_CHECK(std::isfinite(p.scale) && p.scale != 0, FormatError, file.path(),
                    ": attribute 'input_scale' must be a finite, non-zero number");
    }
    if (file.has_attribute("/", "input_color")) {
        const std::string color = file.string_attribute("/", "input_color");
        IGCAM_CHECK(color == "RGB" || color == "BGR", FormatError, file.path(),
                    ": attribute 'input_color' must be RGB or BGR, found ", quoted_value(color));
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

// What a weight file is, from its first bytes; the name is never consulted.
enum class FileKind { Hdf5, ZipArchive, Safetensors, Pickle };

FileKind sniff(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    unsigned char head[9] = {};
    in.read(reinterpret_cast<char*>(head), sizeof head);
    const std::streamsize got = in.gcount();
    if (got >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0) return FileKind::ZipArchive;
    if (got == 9 && head[8] == '{') return FileKind::Safetensors;
    // A legacy torch.save file opens with PROTO 2 and LONG1 of its 10-byte magic number.
    if (got >= 4 && std::memcmp(head, "\x80\x02\x8a\x0a", 4) == 0) return FileKind::Pickle;
    return FileKind::Hdf5;  // and anything unknown: the HDF5 reader says what it is not
}

Model load_hdf5_model(const std::string& path, DType dtype) {
    const h5::File file(path);
    if (keras::is_keras_file(file)) return load_keras_model(file, dtype);
    if (!file.has_attribute("/", "format")) {
        const Hdf5Tensors tensors(file, file.is_group("/state_dict") ? "/state_dict" : "/");
        return model_from_state_dict(tensors, "state_dict", dtype);
    }
    Model model;
    model.source = path;
    model.dtype = dtype;
    const std::string format = file.string_attribute("/", "format");
    IGCAM_CHECK(format == kFormat, FormatError, path, ": unknown format ", quoted_value(format), " (expected ",
                kFormat, ")");
    const std::vector<double> version = file.number_attribute("/", "format_version");
    IGCAM_CHECK(version.size() == 1 && version[0] == 1, FormatError, path,
                ": unsupported igcam-torch-h5 format_version ", version.at(0), " (this build reads version 1)");
    IGCAM_CHECK(file.is_group("/state_dict"), FormatError, path, ": missing group /state_dict");
    const Variant variant = parse_variant(file.string_attribute("/", "variant"), path);
    const Hdf5Tensors tensors(file, "/state_dict");
    model.format = "igcam-torch-h5 v1";

    model.architecture = infer_architecture(catalogue_shapes(tensors), variant, path);
    const Architecture& arch = model.architecture;
    const std::string declared = file.string_attribute("/", "arch");
    const std::string family = arch.is_resnet ? "resnet" : "vgg";
    IGCAM_CHECK(declared == arch.name || declared == family, FormatError, path, ": attribute arch says ",
                quoted_value(declared), " but the tensors describe ", arch.name);
    const int64_t classes = arch.num_classes();
    if (file.has_attribute("/", "num_classes")) {
        const double declared_classes = file.number_attribute("/", "num_classes").at(0);
        IGCAM_CHECK(declared_classes == static_cast<double>(classes), FormatError, path,
                    ": attribute num_classes says ", declared_classes, " but the last layer has ", classes,
                    " outputs");
    }
    model.net = build_from_state_dict(tensors, arch, dtype);
    model.class_names = default_class_names(classes);
    if (file.is_dataset("/meta/class_names")) {
        model.class_names = file.read_strings("/meta/class_names");
        IGCAM_CHECK(static_cast<int64_t>(model.class_names.size()) == classes, FormatError, path,
                    ": /meta/class_names lists ", model.class_names.size(), " names for ", classes, " classes");
    }
    model.preprocess = preprocessing(file, arch);
    model.default_layer = default_target_layer(arch);
    return model;
}

}  // namespace

Model load_model(const std::string& path, DType dtype) {
    switch (sniff(path)) {
        case FileKind::ZipArchive: {
            const ZipArchive zip(path);
            if (is_torch_archive(zip)) return load_torch_archive(zip, dtype);
            if (is_keras_archive(zip)) return load_keras_archive(zip, dtype);
            detail::throw_error<FormatError>(path, ": is a zip archive without <name>/data.pkl or model.weights.h5, so "
                                                   "neither a torch.save file nor a .keras archive");
        }
        case FileKind::Safetensors: {
            const SafetensorsFile file(path);
            return model_from_state_dict(file, "safetensors", dtype);
        }
        case FileKind::Pickle:
            detail::throw_error<FormatError>(
                path, ": is a PyTorch file in the legacy (before PyTorch 1.6) pickle format, which igcam does not "
                      "read; re-save it with PyTorch: torch.save(torch.load(path, map_location='cpu'), 'out.pth') "
                      "writes the zip format");
        case FileKind::Hdf5: break;
    }
    return load_hdf5_model(path, dtype);
}

}  // namespace igcam::models
