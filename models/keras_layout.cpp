#include "models/keras_layout.h"

#include <algorithm>
#include <cstring>
#include <regex>
#include <set>

#include "core/error.h"

namespace igcam::models::keras {

namespace {

constexpr std::size_t kMaxNameBytes = 1024;      // a Keras layer or weight name
constexpr std::size_t kMaxNames = 100000;        // entries of one layer_names / weight_names
constexpr int kMaxNesting = 4;                   // models inside models

std::string joined(const std::string& group, const std::string& name) {
    return group == "/" ? "/" + name : group + "/" + name;
}

std::string parent_of(const std::string& name) {
    const std::size_t slash = name.rfind('/');
    return slash == std::string::npos ? "" : name.substr(0, slash);
}

std::string last_component(const std::string& name) {
    const std::size_t slash = name.rfind('/');
    return slash == std::string::npos ? name : name.substr(slash + 1);
}

enum class Want { Group, Dataset };

// Throws the reason `path` is not a hard-linked group/dataset, walking it from the root so
// a soft link or a dataset on the way is named where it is. `missing` is the text for a
// path that does not exist.
void require_object(const h5::File& f, const std::string& path, Want want, const std::string& missing) {
    if (want == Want::Group ? f.is_group(path) : f.is_dataset(path)) return;
    std::string at;
    std::size_t start = 1;
    for (;;) {
        const std::size_t end = path.find('/', start);
        const bool last = end == std::string::npos;
        const std::string component = path.substr(start, last ? std::string::npos : end - start);
        const std::string parent = at.empty() ? "/" : at;
        const std::string here = at + "/" + component;
        bool found = false;
        h5::LinkKind kind = h5::LinkKind::Other;
        for (const h5::Entry& e : f.list(parent))
            if (e.name == component) {
                found = true;
                kind = e.kind;
            }
        IGCAM_CHECK(found, FormatError, f.path(), ": ", path, ": ", missing);
        switch (kind) {
            case h5::LinkKind::SoftLink:
                detail::throw_error<FormatError>(f.path(), ": ", here, ": is a soft link; links are not followed");
            case h5::LinkKind::ExternalLink:
                detail::throw_error<FormatError>(f.path(), ": ", here,
                                                 ": is an external link to another file; links are not followed");
            case h5::LinkKind::Other:
                detail::throw_error<FormatError>(f.path(), ": ", here, ": is neither a group nor a dataset");
            case h5::LinkKind::Dataset:
                IGCAM_CHECK(last && want == Want::Dataset, FormatError, f.path(), ": ", here,
                            ": is a dataset, expected a group");
                break;
            case h5::LinkKind::Group:
                IGCAM_CHECK(!last || want == Want::Group, FormatError, f.path(), ": ", here,
                            ": is a group, expected a dataset");
                break;
        }
        if (last) break;
        at = here;
        start = end + 1;
    }
    detail::throw_error<FormatError>(f.path(), ": ", path, ": cannot be opened");
}

// A list-of-names attribute, or Keras's split form name0, name1, ... (written when the list
// exceeds HDF5's 64 KiB object-header limit). Every entry is checked for size.
std::vector<std::string> names_attribute(const h5::File& f, const std::string& object, const std::string& name) {
    std::vector<std::string> names;
    if (f.has_attribute(object, name)) {
        names = f.string_list_attribute(object, name);
    } else {
        int chunk = 0;
        for (; f.has_attribute(object, name + std::to_string(chunk)); ++chunk) {
            const std::vector<std::string> part = f.string_list_attribute(object, name + std::to_string(chunk));
            IGCAM_CHECK(names.size() + part.size() <= kMaxNames, FormatError, f.path(), ": attribute '", name,
                        "' of ", object, " lists more than ", kMaxNames, " names");
            names.insert(names.end(), part.begin(), part.end());
        }
        IGCAM_CHECK(chunk > 0, FormatError, f.path(), ": attribute '", name, "' of ", object, " is missing (nor its split form ",
                    name, "0, ", name, "1, ...)");
    }
    IGCAM_CHECK(names.size() <= kMaxNames, FormatError, f.path(), ": attribute '", name, "' of ", object,
                " lists ", names.size(), " names (at most ", kMaxNames, ")");
    for (std::size_t i = 0; i < names.size(); ++i) {
        IGCAM_CHECK(names[i].size() <= kMaxNameBytes, FormatError, f.path(), ": attribute '", name, "' of ", object,
                    ": entry ", i, " is ", names[i].size(), " bytes long (a Keras name has at most ", kMaxNameBytes,
                    ")");
        IGCAM_CHECK(!names[i].empty(), FormatError, f.path(), ": attribute '", name, "' of ", object, ": entry ", i,
                    " is empty");
    }
    return names;
}

void check_layer_name(const h5::File& f, const std::string& name, const std::string& where) {
    IGCAM_CHECK(name.find('/') == std::string::npos && name != "." && name.find('\0') == std::string::npos,
                FormatError, f.path(), ": ", where, ": '", name, "' is not a valid Keras layer name");
}

// A weight name relative to its layer group: non-empty components, not absolute.
void check_weight_name(const h5::File& f, const std::string& name, const std::string& group) {
    bool ok = name.front() != '/' && name.back() != '/' && name.find("//") == std::string::npos &&
              name.find('\0') == std::string::npos;
    std::size_t start = 0;
    while (ok && start <= name.size()) {
        const std::size_t end = std::min(name.find('/', start), name.size());
        if (name.compare(start, end - start, ".") == 0 && end - start == 1) ok = false;
        start = end + 1;
    }
    IGCAM_CHECK(ok, FormatError, f.path(), ": attribute 'weight_names' of ", group, ": '", name,
                "' is not a valid weight name");
}

// The variable's kind from the last component of its name: Keras 2/3 "kernel:0",
// "moving_variance", "kernel_1:0"; Keras 1 "<layer>_W:0", "<layer>_running_std:0",
// "block1_conv1_W_1:0". Keras 1's running_std holds the variance (docs/keras.md).
std::string variable_kind(const std::string& last, bool& keras1) {
    static const std::regex keras2(R"(^(kernel|bias|gamma|beta|moving_mean|moving_variance)(_[0-9]+)?(:[0-9]+)?$)");
    static const std::regex keras1_form(R"(^.*_(W|b|gamma|beta|running_mean|running_std)(_[0-9]+)?(:[0-9]+)?$)");
    std::smatch m;
    if (std::regex_match(last, m, keras2)) return m[1].str();
    if (std::regex_match(last, m, keras1_form)) {
        const std::string k = m[1].str();
        if (k == "W") keras1 = true;
        if (k == "running_std") keras1 = true;
        if (k == "W") return "kernel";
        if (k == "b") return "bias";
        if (k == "running_mean") return "moving_mean";
        if (k == "running_std") return "moving_variance";
        return k;
    }
    return last;  // unknown: reported if the architecture needs this layer
}

void add_variable(const h5::File& f, Catalogue& c, const std::string& owner, const std::string& group,
                  Variable v) {
    Layer& layer = c.layers[owner];
    if (layer.name.empty()) {
        layer.name = owner;
        layer.group = group;
    }
    IGCAM_CHECK(layer.group == group, FormatError, f.path(), ": ", group, ": holds weights of layer '", owner,
                "', which ", layer.group, " holds already");
    for (const Variable& other : layer.vars)
        IGCAM_CHECK(other.kind != v.kind, FormatError, f.path(), ": ", group, ": weight_names lists two '", v.kind,
                    "' variables for layer '", owner, "' (", other.listed, " and ", v.listed, ")");
    layer.vars.push_back(std::move(v));
}

// One group of a legacy (save_weights / model.save) file: a single layer, or a nested model
// whose weight names carry the inner layer names ("conv1_conv/kernel:0").
void read_layer_group(const h5::File& f, Catalogue& c, const std::string& name, const std::string& group,
                      const std::vector<std::string>& weight_names) {
    std::set<std::string> prefixes;
    for (const std::string& w : weight_names) {
        check_weight_name(f, w, group);
        prefixes.insert(parent_of(w));
    }
    const bool nested = prefixes.size() > 1;
    if (nested) c.nested_models.push_back(name);
    for (const std::string& w : weight_names) {
        const std::string path = group + "/" + w;
        require_object(f, path, Want::Dataset, "listed in weight_names of " + group + " but missing");
        std::string owner = name;
        if (nested) {
            const std::string prefix = parent_of(w);
            IGCAM_CHECK(!prefix.empty(), FormatError, f.path(), ": ", path, ": weight of the nested model '", name,
                        "' without a layer name (expected <layer>/<variable>)");
            owner = last_component(prefix);
            if (std::find(c.layer_names.begin(), c.layer_names.end(), owner) == c.layer_names.end())
                c.layer_names.push_back(owner);
        }
        add_variable(f, c, owner, group, {variable_kind(last_component(w), c.keras1_variables), path, w});
    }
}

void read_legacy(const h5::File& f, Catalogue& c) {
    for (const char* attribute : {"backend", "keras_version"}) {
        std::string value;
        if (f.has_attribute(c.base, attribute)) value = f.string_attribute(c.base, attribute);
        else if (c.base != "/" && f.has_attribute("/", attribute)) value = f.string_attribute("/", attribute);
        (std::strcmp(attribute, "backend") == 0 ? c.backend : c.keras_version) = value;
    }
    IGCAM_CHECK(c.backend != "theano", FormatError, f.path(),
                ": written by Keras on the Theano backend, whose convolution kernels are flipped (Theano "
                "convolves, TensorFlow correlates); igcam reads TensorFlow-ordered files only (the "
                "*_tf_dim_ordering_tf_kernels.h5 files, or re-save the model with Keras on TensorFlow)");
    const std::vector<std::string> names = names_attribute(f, c.base, "layer_names");
    std::set<std::string> seen;
    for (const std::string& name : names) {
        check_layer_name(f, name, "attribute 'layer_names' of " + c.base);
        IGCAM_CHECK(seen.insert(name).second, FormatError, f.path(), ": attribute 'layer_names' of ", c.base,
                    ": layer '", name, "' is listed twice");
        const std::string group = joined(c.base, name);
        require_object(f, group, Want::Group, "layer '" + name + "' is listed in layer_names but has no group");
        c.layer_names.push_back(name);
        const std::vector<std::string> weight_names = names_attribute(f, group, "weight_names");
        if (!weight_names.empty()) read_layer_group(f, c, name, group, weight_names);
    }
}

// Keras 3 .weights.h5: <node>/layers/<class_snake>/vars/<i>, the layer's name in the vars
// group's attribute 'name' (Keras >= 3.6); a nested model has its own layers group.
void read_keras3(const h5::File& f, Catalogue& c, const std::string& node, int depth) {
    const std::string layers = joined(node, "layers");
    for (const h5::Entry& e : f.list(layers)) {
        const std::string child = joined(layers, e.name);
        require_object(f, child, Want::Group, "missing");
        const std::string vars = child + "/vars";
        require_object(f, vars, Want::Group, "missing (every Keras 3 layer group has one)");
        IGCAM_CHECK(f.has_attribute(vars, "name"), FormatError, f.path(), ": ", vars,
                    ": no attribute 'name': a Keras 3 .weights.h5 file written before Keras 3.6 names its groups "
                    "by layer class (conv2d, conv2d_1, ...), not by layer, and igcam loads by layer name only; "
                    "re-save it with Keras 3.6 or later, or with model.save('x.h5')");
        const std::string name = f.string_attribute(vars, "name");
        IGCAM_CHECK(!name.empty() && name.size() <= kMaxNameBytes, FormatError, f.path(), ": attribute 'name' of ",
                    vars, " is ", name.size(), " bytes long (a Keras name has 1 to ", kMaxNameBytes, ")");
        check_layer_name(f, name, "attribute 'name' of " + vars);
        c.layer_names.push_back(name);
        if (f.is_group(child + "/layers")) {  // a nested model
            IGCAM_CHECK(depth < kMaxNesting, FormatError, f.path(), ": ", child, ": models nested more than ",
                        kMaxNesting, " deep");
            c.nested_models.push_back(name);
            read_keras3(f, c, child, depth + 1);
        }
        std::vector<std::pair<long, std::string>> indexed;
        for (const h5::Entry& v : f.list(vars)) {
            const std::string path = joined(vars, v.name);
            require_object(f, path, Want::Dataset, "missing");
            IGCAM_CHECK(!v.name.empty() && v.name.size() <= 6 &&
                            std::all_of(v.name.begin(), v.name.end(), [](char ch) { return ch >= '0' && ch <= '9'; }),
                        FormatError, f.path(), ": ", path, ": unexpected dataset (Keras 3 names variables 0, 1, ...)");
            indexed.emplace_back(std::stol(v.name), path);
        }
        if (indexed.empty()) continue;
        std::sort(indexed.begin(), indexed.end());
        const auto previous = c.layers.find(name);
        IGCAM_CHECK(previous == c.layers.end(), FormatError, f.path(), ": ", vars, ": a second layer named '", name,
                    "' (the first is ", previous == c.layers.end() ? "" : previous->second.group, ")");
        Layer& layer = c.layers[name];
        layer.name = name;
        layer.group = vars;
        layer.positional = true;
        for (std::size_t i = 0; i < indexed.size(); ++i) {
            IGCAM_CHECK(indexed[i].first == static_cast<long>(i), FormatError, f.path(), ": ", vars,
                        ": variables must be numbered 0 to ", indexed.size() - 1, ", found ", indexed[i].first);
            layer.vars.push_back({std::to_string(i), indexed[i].second, "vars/" + std::to_string(i)});
        }
    }
}

}  // namespace

bool is_keras_file(const h5::File& file) {
    if (file.has_attribute("/", "layer_names") || file.has_attribute("/", "layer_names0")) return true;
    bool layers = false, vars = false;
    for (const h5::Entry& e : file.list("/")) {
        if (e.name == "model_weights" || e.name == "_layer_checkpoint_dependencies") return true;
        layers = layers || e.name == "layers";
        vars = vars || e.name == "vars";
        if (e.kind == h5::LinkKind::Group && file.has_attribute("/" + e.name, "weight_names")) return true;
    }
    return layers && vars;
}

Catalogue read_catalogue(const h5::File& f) {
    Catalogue c;
    const bool root_names = f.has_attribute("/", "layer_names") || f.has_attribute("/", "layer_names0");
    bool model_weights = false, layers = false, checkpoint = false;
    for (const h5::Entry& e : f.list("/")) {
        model_weights = model_weights || e.name == "model_weights";
        layers = layers || e.name == "layers";
        checkpoint = checkpoint || e.name == "_layer_checkpoint_dependencies";
    }
    if (!root_names && model_weights) {
        c.container = Container::FullModel;
        c.base = "/model_weights";
        require_object(f, c.base, Want::Group, "missing");
        read_legacy(f, c);
    } else if (!root_names && layers) {
        c.container = Container::Keras3Weights;
        c.base = "/layers";
        require_object(f, c.base, Want::Group, "missing");
        if (f.has_attribute("/vars", "name")) c.layer_names.push_back(f.string_attribute("/vars", "name"));
        read_keras3(f, c, "/", 0);
    } else if (!root_names && checkpoint) {
        detail::throw_error<FormatError>(
            f.path(), ": a Keras 2.13 .weights.h5 file (/_layer_checkpoint_dependencies) names its groups by layer "
                      "class, not by layer, and igcam loads by layer name only; re-save it with save_weights('x.h5') "
                      "or model.save('x.h5')");
    } else {
        c.container = Container::SaveWeights;
        c.base = "/";
        read_legacy(f, c);
    }
    return c;
}

}  // namespace igcam::models::keras
