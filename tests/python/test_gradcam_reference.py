"""Against pytorch-grad-cam (PyPI grad-cam 1.5.5) on the same seeded ResNet-18 and inputs.

pytorch-grad-cam runs the float64 PyTorch model; its raw maps are its own get_cam_image
(each method's weights from the activations and gradients its hooks caught) with its ReLU,
before its cv2 resize and normalisation, i.e. what Explanation.maps holds."""
import numpy as np
import pytest
import torch

import igcam

METHODS = {
    "gradcam": "GradCAM",
    "gradcam++": "GradCAMPlusPlus",
    "xgradcam": "XGradCAM",
    "layercam": "LayerCAM",
    "hirescam": "HiResCAM",
    "eigencam": "EigenCAM",
    "gradcam-elementwise": "GradCAMElementWise",
    "eigengradcam": "EigenGradCAM",
    "fem": "FEM",
}
TOLERANCE = 1e-5  # relative to the reference map's largest value, as the comparison is asked for


def reference_maps(model, method, x, classes):
    import pytorch_grad_cam
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    cam_class = getattr(pytorch_grad_cam, METHODS[method])
    targets = [ClassifierOutputTarget(int(c)) for c in classes]
    with cam_class(model=model, target_layers=[model.layer4]) as cam:
        cam(input_tensor=x, targets=targets)  # runs the forward (and backward) the hooks record
        # As its compute_cam_per_layer hands them to get_cam_image: numpy arrays.
        activations = cam.activations_and_grads.activations[0].cpu().data.numpy()
        gradients = cam.activations_and_grads.gradients
        gradients = gradients[0].cpu().data.numpy() if gradients else None
        raw = cam.get_cam_image(x, model.layer4, targets, activations, gradients, False)
    raw = np.asarray(raw, dtype=np.float64)
    if method in ("eigencam", "eigengradcam"):
        # pytorch-grad-cam leaves the principal component's sign to LAPACK; igcam chooses the
        # g * A (docs/methods.md): the uncentred sum, as igcam's rule is written.
        summed = (activations if method == "eigencam" else gradients * activations).sum(axis=1)
        for i in range(len(raw)):
            if np.sum(raw[i] * summed[i]) < 0:
                raw[i] = -raw[i]
    return np.maximum(raw, 0)


@pytest.mark.parametrize("target", ["top1", "given"])
def test_methods_match_pytorch_grad_cam(resnet18, target):
    path, torch_model = resnet18
    x = torch.randn(2, 3, 96, 96, generator=torch.Generator().manual_seed(11), dtype=torch.float64)
    with torch.no_grad():
        logits = torch_model(x).numpy()
    classes = logits.argmax(axis=1) if target == "top1" else np.array([3, 7])
    model = igcam.load(path, device="cpu", dtype="float64")
    result = model.explain(x.numpy(), methods=list(METHODS), target=None if target == "top1" else list(classes))
    assert list(result.classes) == list(classes)
    assert np.allclose(result.logits, logits, rtol=0, atol=1e-9 * np.abs(logits).max())
    worst = {}
    for method in METHODS:
        expected = reference_maps(torch_model, method, x.clone(), classes)
        got = result.maps[method]
        assert got.shape == expected.shape == (2, 3, 3)
        assert expected.max() > 0, f"{method}: the reference map is all zero, the comparison would prove nothing"
        error = np.abs(got - expected).max() / np.abs(expected).max()
        worst[method] = error
        assert error <= TOLERANCE, f"{method}: relative error {error:.3g}"
    print("\nrelative error vs pytorch-grad-cam:", {m: f"{e:.2g}" for m, e in worst.items()})
