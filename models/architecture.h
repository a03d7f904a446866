// Which network a weight file holds: the family (ResNet or VGG), its standard name when it
// has one ("resnet50", "vgg16_bn"), the variant (torchvision or the Caffe-converted
// TorchRay models) and the exact configuration to build.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/resnet.h"
#include "models/vgg.h"

namespace igcam::models {

enum class Variant { Torchvision, Caffe, Keras };

struct Architecture {
    bool is_resnet = true;
    std::string name;  // "resnet50", "vgg16_bn", or "resnet" / "vgg" for a non-standard configuration
    Variant variant = Variant::Torchvision;
    ResNetConfig resnet;
    VggConfig vgg;

    int64_t num_classes() const { return is_resnet ? resnet.num_classes : vgg.num_classes; }
};

// "torchvision", "torchvision-v1.5" -> Torchvision; "torchray-voc-caffe", "torchray-voc",
// "caffe" -> Caffe. Throws FormatError naming `where` otherwise.
Variant parse_variant(const std::string& text, const std::string& where);
std::string variant_name(const Architecture& arch);

// A standard torchvision architecture by name: resnet18/34/50/101/152, vgg11/13/16/19 and
// their _bn forms. Throws ValueError for other names.
Architecture standard_architecture(const std::string& name, Variant variant, int64_t num_classes);
std::vector<std::string> standard_architecture_names();

// The architecture a state_dict describes, from its key names and shapes alone. Shapes
// decide the discrete structure (block type, blocks per stage, VGG layer list, widths,
// classes); the strict load afterwards checks every tensor against what was built.
// `where` prefixes error messages (the file name).
Architecture infer_architecture(const std::map<std::string, std::vector<int64_t>>& shapes, Variant variant,
                                const std::string& where);

std::shared_ptr<nn::Module> build_network(const Architecture& arch);

// The layer CAM methods explain by default: ResNet "layer4" (the last stage), VGG the ReLU
// after the last conv ("features.29" for VGG16).
std::string default_target_layer(const Architecture& arch);

}  // namespace igcam::models
