#include "models/keras_load.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "core/error.h"
#include "core/ops.h"
#include "models/class_names.h"

namespace igcam::models {

namespace {

using keras::Catalogue;
using keras::Layer;
using keras::Variable;

enum class Role { Conv, BatchNorm, Dense };

// One Keras layer bound to one igcam module.
struct Binding {
    std::string keras;   // "conv2_block1_1_conv"
    std::string module;  // "layer1.0.conv1"
    Role role;
    bool hwc_rows = false;  // VGG fc1: kernel rows in Keras's HWC flatten order
};

enum class Family { KerasResNet2, KerasResNet1, KerasVgg };

const std::regex& resnet2_pattern() {
    static const std::regex r(R"(^conv([0-9]+)_block([0-9]+)_([0-9])_(conv|bn)$)");
    return r;
}
const std::regex& resnet1_pattern() {
    static const std::regex r(R"(^(res|bn)([0-9]+)([a-z]+)_branch(1|2[a-z])$)");
    return r;
}
const std::regex& vgg_pattern() {
    static const std::regex r(R"(^block([0-9]+)_conv([0-9]+)$)");
    return r;
}

bool matches(const std::string& name, const std::regex& r) { return std::regex_match(name, r); }

// A name of the family's base network (not its classifier).
bool base_name(Family family, const std::string& n) {
    switch (family) {
        case Family::KerasResNet2: return n == "conv1_conv" || n == "conv1_bn" || matches(n, resnet2_pattern());
        case Family::KerasResNet1: return n == "conv1" || n == "bn_conv1" || matches(n, resnet1_pattern());
        case Family::KerasVgg: return matches(n, vgg_pattern()) || n == "fc1" || n == "fc2";
    }
    return false;
}

std::vector<std::string> standard_heads(Family family) {
    if (family == Family::KerasVgg) return {"predictions"};
    return {"predictions", "probs", "fc1000"};
}

std::string family_text(Family family) {
    switch (family) {
        case Family::KerasResNet2: return "Keras ResNet (Keras-2 names)";
        case Family::KerasResNet1: return "Keras ResNet50 (Keras-1 names)";
        case Family::KerasVgg: return "Keras VGG";
    }
    return "";
}

std::string first_names(const std::map<std::string, Layer>& layers, std::size_t count) {
    std::string text;
    std::size_t n = 0;
    for (const auto& [name, layer] : layers) {
        (void)layer;
        if (n++ == count) return text + ", ...";
        text += (text.empty() ? "" : ", ") + name;
    }
    return text.empty() ? "none" : text;
}

Family detect_family(const h5::File& f, const Catalogue& c) {
    bool k2 = false, k1 = false, vgg = false;
    std::string k2_example, k1_example;
    for (const auto& [name, layer] : c.layers) {
        (void)layer;
        IGCAM_CHECK(name.find("_preact_") == std::string::npos && name.find("post_bn") == std::string::npos,
                    FormatError, f.path(), ": ", layer.group, ": layer '", name,
                    "' belongs to a pre-activation ResNet (ResNet50V2); igcam loads the Keras ResNet v1 "
                    "(ResNet50/101/152) and VGG16/19");
        if (!k2 && base_name(Family::KerasResNet2, name)) k2_example = name;
        if (!k1 && base_name(Family::KerasResNet1, name)) k1_example = name;
        k2 = k2 || base_name(Family::KerasResNet2, name);
        k1 = k1 || base_name(Family::KerasResNet1, name);
        vgg = vgg || matches(name, vgg_pattern());
    }
    const int families = int(k2) + int(k1) + int(vgg);
    IGCAM_CHECK(families > 0, FormatError, f.path(),
                ": no Keras ResNet (conv1_conv, conv2_block1_1_conv / res2a_branch2a) or VGG (block1_conv1) layers "
                "found; layers with weights: ",
                first_names(c.layers, 8));
    IGCAM_CHECK(!(k1 && k2), FormatError, f.path(), ": mixes Keras-1 ResNet layer names (", k1_example,
                ") with Keras-2 ones (", k2_example, ")");
    IGCAM_CHECK(families == 1, FormatError, f.path(), ": holds both ResNet and VGG layers");
    return k2 ? Family::KerasResNet2 : k1 ? Family::KerasResNet1 : Family::KerasVgg;
}

// Blocks per stage from the layer names (stages conv2.. / res2..).
std::vector<int64_t> resnet_stages(const h5::File& f, const Catalogue& c, Family family) {
    std::map<int64_t, int64_t> blocks;
    for (const auto& [name, layer] : c.layers) {
        (void)layer;
        std::smatch m;
        int64_t stage = 0, block = 0;
        if (family == Family::KerasResNet2 && std::regex_match(name, m, resnet2_pattern())) {
            stage = std::stoll(m[1].str());
            block = m[2].str().size() <= 4 ? std::stoll(m[2].str()) : 0;
        } else if (family == Family::KerasResNet1 && std::regex_match(name, m, resnet1_pattern())) {
            stage = std::stoll(m[2].str());
            IGCAM_CHECK(m[3].str().size() == 1, FormatError, f.path(), ": ", layer.group, ": layer '", name,
                        "': igcam reads Keras-1 ResNet blocks lettered a to z");
            block = m[3].str()[0] - 'a' + 1;
        } else {
            continue;
        }
        IGCAM_CHECK(stage >= 2 && stage <= 9 && block >= 1 && block <= 64, FormatError, f.path(), ": ", layer.group,
                    ": layer '", name, "' is outside a Keras ResNet (stages 2 to 9, at most 64 blocks)");
        blocks[stage] = std::max(blocks[stage], block);
    }
    std::vector<int64_t> stages;
    for (int64_t s = 2; s < 2 + static_cast<int64_t>(blocks.size()); ++s) {
        IGCAM_CHECK(blocks.count(s), FormatError, f.path(), ": the Keras ResNet stage ",
                    family == Family::KerasResNet2 ? "conv" : "res", s, " is missing (found stages up to ",
                    blocks.rbegin()->first, ")");
        stages.push_back(blocks[s]);
    }
    IGCAM_CHECK(!stages.empty(), FormatError, f.path(), ": no Keras ResNet stage layers (conv2_block1_1_conv, ...)");
    return stages;
}

// The number of convs in each VGG block from the layer names.
std::vector<int64_t> vgg_layer_list(const h5::File& f, const Catalogue& c) {
    static const int64_t widths[] = {64, 128, 256, 512, 512};
    std::map<int64_t, int64_t> convs;
    for (const auto& [name, layer] : c.layers) {
        std::smatch m;
        if (!std::regex_match(name, m, vgg_pattern())) continue;
        const int64_t block = m[1].str().size() <= 2 ? std::stoll(m[1].str()) : 0;
        const int64_t conv = m[2].str().size() <= 2 ? std::stoll(m[2].str()) : 0;
        IGCAM_CHECK(block >= 1 && block <= 5 && conv >= 1 && conv <= 8, FormatError, f.path(), ": ", layer.group,
                    ": layer '", name, "' is outside a Keras VGG (blocks 1 to 5)");
        convs[block] = std::max(convs[block], conv);
    }
    std::vector<int64_t> layers;
    for (int64_t b = 1; b <= 5; ++b) {
        IGCAM_CHECK(convs.count(b), FormatError, f.path(), ": the Keras VGG block", b,
                    " is missing (layer block", b, "_conv1)");
        for (int64_t k = 0; k < convs[b]; ++k) layers.push_back(widths[b - 1]);
        layers.push_back(0);
    }
    return layers;
}

std::string resnet_name(const std::vector<int64_t>& stages) {
    if (stages == std::vector<int64_t>{3, 4, 6, 3}) return "resnet50";
    if (stages == std::vector<int64_t>{3, 4, 23, 3}) return "resnet101";
    if (stages == std::vector<int64_t>{3, 8, 36, 3}) return "resnet152";
    return "resnet";
}

std::string vgg_name(const std::vector<int64_t>& layers) {
    for (int depth : {11, 13, 16, 19})
        if (layers == vgg_layers(depth)) return "vgg" + std::to_string(depth);
    return "vgg";
}

std::vector<Binding> resnet_bindings(const ResNetConfig& config, Family family, const std::string& head) {
    std::vector<Binding> b;
    const bool k1 = family == Family::KerasResNet1;
    b.push_back({k1 ? "conv1" : "conv1_conv", "conv1", Role::Conv});
    b.push_back({k1 ? "bn_conv1" : "conv1_bn", "bn1", Role::BatchNorm});
    for (std::size_t s = 0; s < config.stage_blocks.size(); ++s) {
        for (int64_t k = 0; k < config.stage_blocks[s]; ++k) {
            const std::string module = "layer" + std::to_string(s + 1) + "." + std::to_string(k);
            const std::string stage = std::to_string(s + 2);
            if (k1) {
                const std::string block = stage + std::string(1, static_cast<char>('a' + k));
                if (k == 0) {
                    b.push_back({"res" + block + "_branch1", module + ".downsample.0", Role::Conv});
                    b.push_back({"bn" + block + "_branch1", module + ".downsample.1", Role::BatchNorm});
                }
                for (int i = 1; i <= 3; ++i) {
                    const std::string branch = "_branch2" + std::string(1, static_cast<char>('a' + i - 1));
                    b.push_back({"res" + block + branch, module + ".conv" + std::to_string(i), Role::Conv});
                    b.push_back({"bn" + block + branch, module + ".bn" + std::to_string(i), Role::BatchNorm});
                }
            } else {
                const std::string block = "conv" + stage + "_block" + std::to_string(k + 1);
                if (k == 0) {
                    b.push_back({block + "_0_conv", module + ".downsample.0", Role::Conv});
                    b.push_back({block + "_0_bn", module + ".downsample.1", Role::BatchNorm});
                }
                for (int i = 1; i <= 3; ++i) {
                    b.push_back({block + "_" + std::to_string(i) + "_conv", module + ".conv" + std::to_string(i),
                                 Role::Conv});
                    b.push_back({block + "_" + std::to_string(i) + "_bn", module + ".bn" + std::to_string(i),
                                 Role::BatchNorm});
                }
            }
        }
    }
    b.push_back({head, "fc", Role::Dense});
    return b;
}

std::vector<Binding> vgg_bindings(const VggConfig& config) {
    std::vector<Binding> b;
    int64_t index = 0, block = 1, conv = 0;
    for (int64_t out : config.layers) {
        if (out == 0) {
            ++index;
            ++block;
            conv = 0;
            continue;
        }
        ++conv;
        b.push_back({"block" + std::to_string(block) + "_conv" + std::to_string(conv),
                     "features." + std::to_string(index), Role::Conv});
        index += 2;  // conv, relu (Keras VGG has no batch norm)
    }
    b.push_back({"fc1", "classifier.0", Role::Dense, true});
    b.push_back({"fc2", "classifier.3", Role::Dense});
    b.push_back({"predictions", "classifier.6", Role::Dense});
    return b;
}

// (kind, igcam parameter) in Keras's variable order for each role.
std::vector<std::pair<std::string, std::string>> role_variables(Role role) {
    if (role == Role::BatchNorm)
        return {{"gamma", "weight"}, {"beta", "bias"}, {"moving_mean", "running_mean"},
                {"moving_variance", "running_var"}};
    return {{"kernel", "weight"}, {"bias", "bias"}};
}

std::string role_text(Role role) {
    return role == Role::Conv ? "a Conv2D layer" : role == Role::Dense ? "a Dense layer" : "a BatchNormalization layer";
}

std::string shape_text(const h5::DatasetInfo& info) {
    return info.scalar ? "a scalar ()" : Shape(info.dims).to_string();
}

// The Keras layout of an igcam parameter: conv OIHW -> HWIO, linear (out, in) -> (in, out).
std::vector<int64_t> keras_shape(const Shape& torch, Role role, const std::string& parameter) {
    const std::vector<int64_t>& d = torch.dims();
    if (parameter != "weight" || role == Role::BatchNorm) return d;
    if (role == Role::Conv) return {d[2], d[3], d[1], d[0]};
    return {d[1], d[0]};
}

// A variable bound to its igcam parameter, checked and ready to read.
struct Source {
    std::string path;
    Role role;
    bool hwc_rows;
    nn::Parameter* parameter;
};

void check_dataset(const h5::File& f, const std::string& path, const std::vector<int64_t>& expected, Role role,
                   bool kernel) {
    const h5::DatasetInfo info = f.dataset_info(path);
    if (f.has_attribute(path, "dtype") && info.type_name != "float32" && info.type_name != "float64") {
        const std::vector<std::string> tag = f.string_list_attribute(path, "dtype");
        IGCAM_CHECK(tag.empty() || tag[0] != "bfloat16", FormatError, f.path(), ": ", path,
                    ": holds bfloat16 data (Keras 3 stores it as 2-byte opaque values); igcam reads float32 or "
                    "float64 only: convert the weights to float32 on purpose first");
    }
    IGCAM_CHECK(info.type_name != "float16", FormatError, f.path(), ": ", path,
                ": has dtype float16; igcam reads float32 or float64 only: convert the weights to float32 on "
                "purpose first (float16 would change the model's outputs)");
    IGCAM_CHECK(info.is_float, FormatError, f.path(), ": ", path, ": has dtype ", info.type_name,
                ", expected float32 or float64");
    IGCAM_CHECK(info.unavailable_filter.empty(), FormatError, f.path(), ": ", path,
                ": is compressed with the HDF5 filter ", info.unavailable_filter,
                ", which this build cannot decode; save it uncompressed or with gzip");
    if (!info.scalar && info.dims == expected) return;
    // Theano / channels_first kernels: (out, in, kh, kw) where (kh, kw, in, out) is expected.
    const bool theano = kernel && role == Role::Conv && expected.size() == 4 && info.dims.size() == 4 &&
                        info.dims == std::vector<int64_t>{expected[3], expected[2], expected[0], expected[1]};
    IGCAM_CHECK(!theano, FormatError, f.path(), ": ", path, ": expected shape ", Shape(expected).to_string(),
                ", found ", shape_text(info),
                ": a Theano-ordered (channels_first, th kernels) file; igcam reads TensorFlow-ordered kernels "
                "(kh, kw, in, out), the *_tf_dim_ordering_tf_kernels.h5 files");
    detail::throw_error<FormatError>(f.path(), ": ", path, ": expected shape ", Shape(expected).to_string(),
                                     ", found ", shape_text(info));
}

// Every check that needs no tensor data; returns what to read for every parameter.
std::vector<Source> bind(const h5::File& f, const Catalogue& c, const std::vector<Binding>& bindings,
                         nn::Module& net, const std::string& arch_name) {
    std::map<std::string, nn::Parameter*> params;
    for (auto& [key, p] : net.named_parameters()) params[key] = p;
    std::vector<Source> sources;
    std::set<std::string> used;
    for (const Binding& b : bindings) {
        const auto found = c.layers.find(b.keras);
        const auto variables = role_variables(b.role);
        std::string needs;
        for (const auto& [kind, parameter] : variables) {
            const nn::Parameter* p = params.at(b.module + "." + parameter);
            needs += (needs.empty() ? "" : ", ") + kind + " " +
                     Shape(keras_shape(p->shape, b.role, parameter)).to_string();
        }
        IGCAM_CHECK(found != c.layers.end(), FormatError, f.path(), ": missing layer '", b.keras, "' (", arch_name,
                    " needs ", role_text(b.role), " with ", needs, ")");
        const Layer& layer = found->second;
        used.insert(b.keras);
        std::string listed, expected;
        for (const Variable& v : layer.vars) listed += (listed.empty() ? "" : ", ") + v.listed;
        for (const auto& [kind, parameter] : variables) expected += (expected.empty() ? "" : ", ") + kind;
        IGCAM_CHECK(layer.vars.size() == variables.size(), FormatError, f.path(), ": ", layer.group, ": layer '",
                    b.keras, "' has ", layer.vars.size(), " weights (", listed, "); ", role_text(b.role), " has ",
                    variables.size(), " (", expected, ")");
        for (std::size_t i = 0; i < variables.size(); ++i) {
            const auto& [kind, parameter] = variables[i];
            const Variable* v = nullptr;
            if (layer.positional) v = &layer.vars[i];
            else
                for (const Variable& candidate : layer.vars)
                    if (candidate.kind == kind) v = &candidate;
            IGCAM_CHECK(v != nullptr, FormatError, f.path(), ": ", layer.group, ": layer '", b.keras,
                        "' has no '", kind, "' weight (it lists ", listed, "; ", role_text(b.role), " has ",
                        expected, ")");
            nn::Parameter* p = params.at(b.module + "." + parameter);
            check_dataset(f, v->path, keras_shape(p->shape, b.role, parameter), b.role, kind == "kernel");
            sources.push_back({v->path, b.role, b.hwc_rows && kind == "kernel", p});
        }
    }
    for (const auto& [name, layer] : c.layers)
        IGCAM_CHECK(used.count(name), FormatError, f.path(), ": ", layer.group, ": unexpected layer '", name,
                    "' with ", layer.vars.size(), " weights (not part of ", arch_name, ")");
    IGCAM_CHECK(sources.size() == params.size(), FormatError, f.path(), ": ", params.size() - sources.size(),
                " parameters of ", arch_name, " have no Keras weight");
    return sources;
}

// HWIO (kh, kw, in, out) -> OIHW.
template <typename T>
void conv_kernel(const T* k, T* w, int64_t kh, int64_t kw, int64_t in, int64_t out) {
    for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x)
            for (int64_t i = 0; i < in; ++i) {
                const T* row = k + ((y * kw + x) * in + i) * out;
                for (int64_t o = 0; o < out; ++o) w[((o * in + i) * kh + y) * kw + x] = row[o];
            }
}

// (in, out) -> (out, in); with `channels` > 0 the rows are in Keras's HWC flatten order
// (row = s * channels + c) and become igcam's CHW columns (c * area + s).
template <typename T>
void dense_kernel(const T* k, T* w, int64_t in, int64_t out, int64_t channels) {
    const int64_t area = channels > 0 ? in / channels : 0;
    constexpr int64_t kBlock = 64;
    for (int64_t r0 = 0; r0 < in; r0 += kBlock)
        for (int64_t o0 = 0; o0 < out; o0 += kBlock)
            for (int64_t r = r0; r < std::min(in, r0 + kBlock); ++r) {
                const int64_t column = channels > 0 ? (r % channels) * area + r / channels : r;
                for (int64_t o = o0; o < std::min(out, o0 + kBlock); ++o) w[o * in + column] = k[r * out + o];
            }
}

Tensor convert(const Tensor& keras, const Source& s, int64_t hwc_channels) {
    const Shape& shape = s.parameter->shape;
    if (shape.rank() < 2) return keras.reshape(shape);
    Tensor out = Tensor::empty(shape, keras.dtype());
    auto run = [&](auto* k, auto* w) {
        if (s.role == Role::Conv) conv_kernel(k, w, shape[2], shape[3], shape[1], shape[0]);
        else dense_kernel(k, w, shape[1], shape[0], s.hwc_rows ? hwc_channels : 0);
    };
    if (keras.dtype() == DType::F32) run(keras.data<float>(), out.mutable_data<float>());
    else run(keras.data<double>(), out.mutable_data<double>());
    return out;
}

std::string container_text(const Catalogue& c) {
    switch (c.container) {
        case keras::Container::SaveWeights: return "keras-h5 save_weights";
        case keras::Container::FullModel: return "keras-h5 model.save";
        case keras::Container::Keras3Weights: return "keras3 .weights.h5";
    }
    return "keras";
}

}  // namespace

Model load_keras_model(const h5::File& file, DType dtype) {
    const Catalogue c = keras::read_catalogue(file);
    const Family family = detect_family(file, c);
    const std::string& path = file.path();

    for (const std::string& name : c.layer_names)
        IGCAM_CHECK(name.rfind("global_max_pooling", 0) != 0 && name != "max_pool", FormatError, path,
                    ": layer '", name, "' pools with the maximum; igcam's ", family == Family::KerasVgg ? "VGG" : "ResNet",
                    " head pools with the average (GlobalAveragePooling2D / pooling='avg')");

    // The classifier: the family's own, or one Dense layer put on a base without its top.
    std::vector<std::string> heads, extra;
    for (const auto& [name, layer] : c.layers) {
        (void)layer;
        const auto standard = standard_heads(family);
        if (std::find(standard.begin(), standard.end(), name) != standard.end()) heads.push_back(name);
        else if (!base_name(family, name)) extra.push_back(name);
    }
    IGCAM_CHECK(heads.size() <= 1, FormatError, path, ": two classifier layers, '", heads.at(0), "' and '",
                heads.size() > 1 ? heads[1] : "", "'");
    const std::string base_text = family == Family::KerasVgg ? "Keras VGG" : "Keras ResNet";
    bool new_head = false;
    std::string head;
    if (!heads.empty()) {
        head = heads[0];
    } else if (extra.size() == 1) {
        IGCAM_CHECK(family != Family::KerasVgg, FormatError, path, ": ", c.layers.at(extra[0]).group,
                    ": a Keras VGG base with a new head ('", extra[0],
                    "') is not supported; igcam's Keras VGG is VGG16/19 with fc1, fc2 and predictions");
        head = extra[0];
        new_head = true;
    } else {
        IGCAM_CHECK(extra.empty(), FormatError, path, ": more than one layer on top of the ", base_text, " base (",
                    extra[0], ", ", extra[1],
                    "); igcam loads a ResNet base with one Dense head after global average pooling");
        const bool vgg_top = c.layers.count("fc1") || c.layers.count("fc2");
        IGCAM_CHECK(vgg_top, FormatError, path, ": a ", base_text,
                    " without its classifier (include_top=False, a _notop file): igcam explains class scores, which "
                    "this file cannot give; load the file with the top, or a model with its own Dense head");
        head = "predictions";  // fc1/fc2 without predictions: reported as a missing layer below
    }

    // The number of classes from the head's kernel (rows are checked with everything else).
    int64_t classes = 1000;
    if (c.layers.count(head)) {
        const Layer& layer = c.layers.at(head);
        const Variable* kernel = nullptr;
        for (const Variable& v : layer.vars)
            if (v.kind == "kernel" || (layer.positional && v.kind == "0")) kernel = &v;
        IGCAM_CHECK(kernel != nullptr, FormatError, path, ": ", layer.group, ": layer '", head,
                    "' has no kernel (a Dense classifier needs kernel and bias)");
        const h5::DatasetInfo info = file.dataset_info(kernel->path);
        IGCAM_CHECK(info.dims.size() == 2 && info.dims[1] >= 1, FormatError, path, ": ", kernel->path,
                    ": expected a Dense kernel (features, classes), found shape ", shape_text(info));
        classes = info.dims[1];
    }

    Model model;
    model.source = path;
    model.dtype = dtype;
    Architecture& arch = model.architecture;
    arch.variant = Variant::Keras;
    int64_t hwc_channels = 0;
    if (family == Family::KerasVgg) {
        arch.is_resnet = false;
        arch.vgg.layers = vgg_layer_list(file, c);
        arch.vgg.num_classes = classes;
        arch.vgg.flatten_only = true;
        arch.name = vgg_name(arch.vgg.layers);
        hwc_channels = 512;
    } else {
        arch.is_resnet = true;
        arch.resnet.stage_blocks = resnet_stages(file, c, family);
        arch.resnet.num_classes = classes;
        arch.resnet.keras = true;
        arch.resnet.bn_eps = family == Family::KerasResNet1 ? 1e-3 : 1.001e-5;
        arch.name = resnet_name(arch.resnet.stage_blocks);
    }
    model.net = build_network(arch);
    const std::string arch_text =
        (family == Family::KerasVgg ? "Keras " + arch.name : family_text(family)) + (new_head ? " with a new head" : "");
    const std::vector<Binding> bindings = family == Family::KerasVgg
                                              ? vgg_bindings(arch.vgg)
                                              : resnet_bindings(arch.resnet, family, head);
    const std::vector<Source> sources = bind(file, c, bindings, *model.net, arch_text);

    for (const Source& s : sources) {
        const Tensor keras = file.read_floats(s.path, dtype);
        const int64_t bad = ops::first_nonfinite(keras);
        IGCAM_CHECK(bad < 0, FormatError, path, ": ", s.path, ": holds a non-finite value (NaN or infinity) at flat index ",
                    bad);
        s.parameter->value = convert(keras, s, hwc_channels);
    }

    model.class_names = default_class_names(classes);
    model.preprocess = preprocess_preset("caffe-bgr");
    model.default_layer = default_target_layer(arch);
    model.format = container_text(c) + (family == Family::KerasResNet1 ? ", Keras-1 names" : ", Keras-2 names");
    if (new_head) model.format += ", nested base + new head '" + head + "'";
    if (!c.keras_version.empty()) model.format += ", keras " + c.keras_version;
    return model;
}

std::string keras_layer_alias(const Architecture& arch, const std::string& name) {
    std::smatch m;
    if (arch.is_resnet) {
        const ResNetConfig& c = arch.resnet;
        const auto stages = static_cast<int64_t>(c.stage_blocks.size());
        auto block = [&](int64_t stage, int64_t index) {
            IGCAM_CHECK(stage >= 2 && stage - 2 < stages && index >= 1 && index <= c.stage_blocks[stage - 2],
                        ValueError, "Keras layer '", name, "' does not exist in ", arch.name);
            return "layer" + std::to_string(stage - 1) + "." + std::to_string(index - 1);
        };
        if (name == "conv1_conv" || name == "conv1") return "conv1";
        if (name == "conv1_bn" || name == "bn_conv1") return "bn1";
        if (name == "conv1_relu") return "relu";
        if (name == "pool1_pool") return "maxpool";
        if (name == "avg_pool" || name.rfind("global_average_pooling2d", 0) == 0) return "avgpool";
        if (name == "predictions" || name == "probs" || name == "fc1000") return "fc";
        IGCAM_CHECK(name != "conv1_pad" && name != "pool1_pad", ValueError, "Keras layer '", name,
                    "' is zero padding, which igcam folds into ", name == "conv1_pad" ? "conv1" : "maxpool",
                    "; use that layer");
        static const std::regex k2(R"(^conv([0-9])_block([0-9]{1,2})_(out|add|([0-3])_(conv|bn|relu))$)");
        static const std::regex k1(R"(^(res|bn)([0-9])([a-z])_branch(1|2[abc])$)");
        if (std::regex_match(name, m, k2)) {
            const std::string module = block(std::stoll(m[1].str()), std::stoll(m[2].str()));
            if (m[3] == "out") return module;
            const std::string stem = "conv" + m[1].str() + "_block" + m[2].str();
            IGCAM_CHECK(m[3] != "add", ValueError, "Keras layer '", name,
                        "' (the sum before the block's last ReLU) has no module in igcam; use ", stem, "_out (",
                        module, ") or ", stem, "_3_bn (", module, ".bn3)");
            const int i = std::stoi(m[4].str());
            IGCAM_CHECK(i != 0 || module.substr(module.size() - 2) == ".0", ValueError, "Keras layer '", name,
                        "' does not exist in ", arch.name, " (only the first block of a stage has a shortcut conv)");
            if (m[5] == "conv") return i == 0 ? module + ".downsample.0" : module + ".conv" + std::to_string(i);
            if (m[5] == "bn") return i == 0 ? module + ".downsample.1" : module + ".bn" + std::to_string(i);
            detail::throw_error<ValueError>("Keras layer '", name, "' has no module in igcam (the block's ReLUs are ",
                                            "one shared module); use ", stem, "_", i, "_bn (", module, ".bn", i,
                                            "), its input");
        }
        if (std::regex_match(name, m, k1)) {
            const std::string module = block(std::stoll(m[2].str()), m[3].str()[0] - 'a' + 1);
            const std::string branch = m[4].str();
            const bool bn = m[1] == "bn";
            if (branch == "1") {
                IGCAM_CHECK(m[3] == "a", ValueError, "Keras layer '", name, "' does not exist in ", arch.name,
                            " (only the first block of a stage has a shortcut conv)");
                return module + (bn ? ".downsample.1" : ".downsample.0");
            }
            const int i = branch[1] - 'a' + 1;
            return module + (bn ? ".bn" : ".conv") + std::to_string(i);
        }
        return name;
    }
    const VggConfig& c = arch.vgg;
    static const std::regex conv(R"(^block([0-9]{1,2})_(conv([0-9]{1,2})|pool)$)");
    if (std::regex_match(name, m, conv)) {
        const int64_t want_block = std::stoll(m[1].str());
        const bool pool = m[2] == "pool";
        const int64_t want_conv = pool ? 0 : std::stoll(m[3].str());
        int64_t index = 0, blk = 1, k = 0;
        for (int64_t out : c.layers) {
            if (out == 0) {
                if (pool && blk == want_block) return "features." + std::to_string(index);
                ++index;
                ++blk;
                k = 0;
                continue;
            }
            ++k;
            const int64_t relu = index + (c.batch_norm ? 2 : 1);
            if (!pool && blk == want_block && k == want_conv) return "features." + std::to_string(relu);
            index = relu + 1;
        }
        detail::throw_error<ValueError>("Keras layer '", name, "' does not exist in ", arch.name);
    }
    if (name == "fc1") return "classifier.1";
    if (name == "fc2") return "classifier.4";
    if (name == "predictions") return "classifier.6";
    IGCAM_CHECK(name != "flatten", ValueError,
                "Keras layer 'flatten' has no module in igcam; use avgpool (the feature map Flatten reshapes)");
    return name;
}

}  // namespace igcam::models
