#include "cam/registry.h"

#include <algorithm>
#include <sstream>

#include "core/error.h"

namespace igcam::cam {

// Each method's entry point, defined in its own file.
MethodOutput compute_gradcam(const MethodContext&);
MethodOutput compute_gradcam_plus_plus(const MethodContext&);
MethodOutput compute_xgradcam(const MethodContext&);
MethodOutput compute_layercam(const MethodContext&);
MethodOutput compute_hirescam(const MethodContext&);
MethodOutput compute_gradcam_elementwise(const MethodContext&);
MethodOutput compute_scorecam(const MethodContext&);
MethodOutput compute_ablationcam(const MethodContext&);
MethodOutput compute_eigencam(const MethodContext&);
MethodOutput compute_eigengradcam(const MethodContext&);
MethodOutput compute_fem(const MethodContext&);
MethodOutput compute_igcam(const MethodContext&);

const std::vector<MethodSpec>& method_registry() {
    static const std::vector<MethodSpec> methods{
        {"gradcam", "Grad-CAM: spatially averaged gradients weight the feature maps", kGradients, compute_gradcam, {},
         "α_k = (1/Z) Σ_ij g^k_ij;  L = ReLU(Σ_k α_k A^k)"},
        {"gradcam++", "Grad-CAM++: second-order weights (pytorch-grad-cam's formula)", kGradients,
         compute_gradcam_plus_plus, {},
         "a^k_ij = (g^k_ij)² / (2 (g^k_ij)² + (Σ_ab A^k_ab) (g^k_ij)³ + ε);  w_k = Σ_ij a^k_ij ReLU(g^k_ij);  "
         "L = ReLU(Σ_k w_k A^k)"},
        {"xgradcam", "XGrad-CAM: gradients weighted by normalised activations", kGradients, compute_xgradcam, {},
         "w_k = Σ_ij g^k_ij A^k_ij / (Σ_ij A^k_ij + 1e-7);  L = ReLU(Σ_k w_k A^k)"},
        {"layercam", "LayerCAM: positive gradients weight each position", kGradients, compute_layercam, {},
         "L = ReLU(Σ_k ReLU(g^k) ⊙ A^k)"},
        {"hirescam", "HiResCAM: gradient times activation, elementwise", kGradients, compute_hirescam, {},
         "L = ReLU(Σ_k g^k ⊙ A^k)"},
        {"gradcam-elementwise", "Grad-CAM element-wise: ReLU of each gradient-activation product, summed over channels",
         kGradients, compute_gradcam_elementwise, {}, "L = Σ_k ReLU(g^k ⊙ A^k)"},
        {"scorecam",
         "Score-CAM: softmax of class scores of activation-masked inputs (masks upsampled with "
         "align_corners=false; pytorch-grad-cam uses true)",
         kReruns, compute_scorecam, {{"mask_upsampling", "bilinear, align_corners=false"}},
         "M^k = minmax(upsample(A^k));  w = softmax_k(y^c(x ⊙ M^k));  L = ReLU(Σ_k w_k A^k)"},
        {"ablationcam",
         "Ablation-CAM: relative score drop when each channel is set to zero (the paper; pytorch-grad-cam "
         "uses min(A) - 1e7 where A can be negative)",
         kReruns, compute_ablationcam, {{"ablation", "zero"}},
         "w_k = (y^c − y^c with A^k = 0) / y^c;  L = ReLU(Σ_k w_k A^k)"},
        {"eigencam", "Eigen-CAM: first principal component of the activations, signed to correlate with their sum", 0,
         compute_eigencam, {{"sign", "correlates positively with the summed activations"}},
         "L = ReLU(projection of the centred (position × channel) matrix of A on its first principal component)"},
        {"eigengradcam",
         "Eigen-Grad-CAM: first principal component of the gradient-weighted activations, signed to correlate with "
         "their sum",
         kGradients, compute_eigengradcam, {{"sign", "correlates positively with the summed g * A"}},
         "L = ReLU(projection of the centred (position × channel) matrix of g ⊙ A on its first principal component)"},
        {"fem", "FEM: channels weighted by their share of positions above mean + 2 standard deviations (no gradients)", 0,
         compute_fem, {{"k", "2"}},
         "w_k = (1/Z) #{ij : A^k_ij > μ_k + 2 σ_k};  L = ReLU(Σ_k w_k A^k)"},
        {"igcam", "Integrated Grad-CAM: Grad-CAM weights integrated along the baseline-to-input path", kPath,
         compute_igcam, {},
         "x_j = x′ + t_j (x − x′);  α_k(j) = (1/Z) Σ_ij ∂y^c(x_j)/∂A^k_ij;  "
         "L = Σ_j w_j ReLU(Σ_k α_k(j) (A^k(x_j) − A^k(x′)))"},
    };
    return methods;
}

const MethodSpec& find_method(const std::string& name) {
    std::string names;
    for (const MethodSpec& m : method_registry()) {
        if (m.name == name) return m;
        names += (names.empty() ? "" : ", ") + m.name;
    }
    detail::throw_error<ValueError>("unknown method '", name, "' (expected one of: ", names, ", or all)");
}

std::vector<const MethodSpec*> parse_method_list(const std::string& list) {
    std::vector<const MethodSpec*> methods;
    if (list == "all") {
        for (const MethodSpec& m : method_registry()) methods.push_back(&m);
        return methods;
    }
    std::stringstream stream(list);
    std::string name;
    while (std::getline(stream, name, ',')) {
        if (name.empty()) continue;
        const MethodSpec* m = &find_method(name);
        if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
    }
    IGCAM_CHECK(!methods.empty(), ValueError, "--method lists no method");
    return methods;
}

}  // namespace igcam::cam
