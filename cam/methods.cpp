#include "cam/methods.h"

#include "core/error.h"

namespace igcam::cam {

const std::vector<MethodInfo>& all_methods() {
    static const std::vector<MethodInfo> methods{
        {Method::GradCam, "gradcam", "Grad-CAM: spatially averaged gradients weight the feature maps"},
        {Method::GradCamPlusPlus, "gradcam++", "Grad-CAM++: second-order weights (pytorch-grad-cam's formula)"},
        {Method::XGradCam, "xgradcam", "XGrad-CAM: gradients weighted by normalised activations"},
        {Method::LayerCam, "layercam", "LayerCAM: positive gradients weight each position"},
        {Method::HiResCam, "hirescam", "HiResCAM: gradient times activation, elementwise"},
        {Method::ScoreCam, "scorecam",
         "Score-CAM: softmax of class scores of activation-masked inputs (masks upsampled with "
         "align_corners=false; pytorch-grad-cam uses true)"},
        {Method::AblationCam, "ablationcam",
         "Ablation-CAM: relative score drop when each channel is set to zero (the paper; pytorch-grad-cam "
         "uses min(A) - 1e7 where A can be negative)"},
        {Method::EigenCam, "eigencam",
         "Eigen-CAM: first principal component of the activations, signed to correlate with their sum"},
        {Method::IgCam, "igcam", "Integrated Grad-CAM: Grad-CAM weights integrated along the baseline-to-input path"},
    };
    return methods;
}

Method parse_method(const std::string& name) {
    std::string names;
    for (const MethodInfo& m : all_methods()) {
        if (m.name == name) return m.method;
        names += (names.empty() ? "" : ", ") + m.name;
    }
    detail::throw_error<ValueError>("unknown method '", name, "' (expected one of: ", names, ", or all)");
}

const std::string& method_name(Method method) {
    for (const MethodInfo& m : all_methods())
        if (m.method == method) return m.name;
    detail::throw_error<ValueError>("unknown method");
}

}  // namespace igcam::cam
