#!/usr/bin/python3
"""Reference CAM maps computed by PyTorch's own autograd, in float64.

Usage: torch_cams.py OUTDIR

Exports seeded random-weight resnet50, vgg16 and TorchRay's ResNet-50 (VOC) with
tools/export_torchvision.py, then for 3 inputs computes, with forward/backward hooks on the
target layer (ResNet: layer4, VGG: features.29), the target-layer activations and gradients
and the raw maps (after each method's ReLU, before upsampling) of Grad-CAM, Grad-CAM++,
XGrad-CAM, LayerCAM, HiResCAM, Grad-CAM element-wise, Score-CAM, Ablation-CAM, Eigen-CAM,
Eigen-Grad-CAM (Eigen-CAM of g * A), FEM and IG-CAM (default and
the authors' notebook preset), written independently of igcam's C++ from the definitions
in docs/methods.md and pytorch-grad-cam's formulas. The target class is
each image's top-1. Everything is saved as .npy and listed in OUTDIR/cams.json.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import export_torchvision  # noqa: E402

DT = torch.float64
torch.set_num_threads(2)
# (name, arch, variant, classes, seed, layer, input size, Score-CAM layer, Score-CAM input size).
# Everything runs in float64, where PyTorch's CPU convolutions are slow, so inputs are small
# (64x64: ResNet's layer4 is 2x2, VGG's features.29 4x4) and Score-CAM, which costs one
# forward pass per channel, is checked on an early 64-channel layer (ResNet's maxpool, VGG's
# features.4); every other method uses the default layer. This keeps the reference step to
# a few minutes on two cores.
MODELS = [
    ("resnet50", "resnet50", "torchvision", 1000, 11, "layer4", 64, "maxpool", 64),
    ("vgg16", "vgg16", "torchvision", 1000, 12, "features.29", 64, "features.4", 32),
    ("resnet50_voc", "resnet50", "torchray-voc", 20, 13, "layer4", 64, "maxpool", 64),
]
IMAGES = 3
# IG-CAM steps for both presets here: the rules (right vs left sum, delta vs none, mean vs
# sum) are what this comparison checks; convergence with the steps is tested separately.
IGCAM_STEPS = {"default": 16, "notebook": 16}


class Probe:
    """A forward hook on the target layer. With `cut`, the layer's output is replaced by a
    detached copy that requires grad (PyTorch's equivalent of igcam's tap), so backward
    stops there and its .grad holds dy/dA."""

    def __init__(self, model, layer):
        self.module = dict(model.named_modules())[layer]
        self.handle = self.module.register_forward_hook(self._forward)
        self.cut = False

    def _forward(self, module, inputs, output):
        if self.cut:
            output = output.detach().requires_grad_(True)
        self.activations = output
        return output


def scores(model, x, classes):
    return model(x).gather(1, classes.view(-1, 1)).view(-1)


def layer_and_grads(model, probe, x, classes):
    probe.cut = True
    y = scores(model, x, classes)
    y.sum().backward()
    probe.cut = False
    return probe.activations.detach(), probe.activations.grad.detach(), y.detach()


def head_from_layer(model, layer, a):
    """The network after the target layer, written out for the two architectures."""
    if layer == "layer4":
        return model.fc(torch.flatten(model.avgpool(a), 1))
    index = int(layer.split(".")[1])
    rest = model.features[index + 1:](a)
    return model.classifier(torch.flatten(model.avgpool(rest), 1))


def relu_sum(w, a):
    return torch.relu((w * a).sum(1, keepdim=True))


def gradcam(a, g):
    return relu_sum(g.mean((2, 3), keepdim=True), a)


def gradcam_pp(a, g):
    g2, g3 = g ** 2, g ** 3
    s = a.sum((2, 3), keepdim=True)
    aij = g2 / (2 * g2 + s * g3 + 1e-6)
    aij = torch.where(g != 0, aij, torch.zeros_like(aij))
    w = (aij * torch.relu(g)).sum((2, 3), keepdim=True)
    return relu_sum(w, a)


def xgradcam(a, g):
    w = (g * a).sum((2, 3), keepdim=True) / (a.sum((2, 3), keepdim=True) + 1e-7)
    return relu_sum(w, a)


def layercam(a, g):
    return relu_sum(torch.relu(g), a)


def hirescam(a, g):
    return relu_sum(g, a)


def gradcam_elementwise(a, g):
    return torch.relu(g * a).sum(1, keepdim=True)


def fem(a, k=2.0):
    """pytorch-grad-cam's FEM: the k-sigma outliers' share of each channel (population std)."""
    mean = a.mean((2, 3), keepdim=True)
    std = a.std((2, 3), unbiased=False, keepdim=True)
    weights = (a > mean + k * std).to(a.dtype).mean((2, 3), keepdim=True)
    return relu_sum(weights, a)


def eigencam(a):
    maps = []
    for act in a:
        k = act.shape[0]
        x = act.reshape(k, -1).T  # (positions, channels)
        x = x - x.mean(0)
        _, _, vt = torch.linalg.svd(x, full_matrices=False)
        proj = x @ vt[0]
        if (proj * act.sum(0).reshape(-1)).sum() < 0:  # igcam's sign convention
            proj = -proj
        maps.append(torch.relu(proj).reshape(1, *act.shape[1:]))
    return torch.stack(maps)


def scorecam(model, probe, x, classes, batch=64):
    with torch.no_grad():
        model(x)
        a = probe.activations
        maps = []
        for n in range(x.shape[0]):
            up = F.interpolate(a[n:n + 1], size=x.shape[-2:], mode="bilinear", align_corners=False)[0]
            lo = up.amin((1, 2), keepdim=True)
            hi = up.amax((1, 2), keepdim=True)
            masks = torch.where(hi > lo, (up - lo) / (hi - lo), torch.zeros_like(up))
            out = []
            for k in range(0, masks.shape[0], batch):
                masked = x[n:n + 1] * masks[k:k + batch, None]
                out.append(model(masked)[:, classes[n]])
            w = torch.softmax(torch.cat(out), 0).view(1, -1, 1, 1)
            maps.append(relu_sum(w, a[n:n + 1]))
        return torch.cat(maps), a


def ablationcam(model, probe, layer, x, classes, batch=128):
    with torch.no_grad():
        original = scores(model, x, classes)
        a = probe.activations
        maps = []
        for n in range(x.shape[0]):
            drops = []
            for k0 in range(0, a.shape[1], batch):
                k1 = min(a.shape[1], k0 + batch)
                ablated = a[n:n + 1].repeat(k1 - k0, 1, 1, 1)
                for b in range(k1 - k0):
                    ablated[b, k0 + b] = 0
                new = head_from_layer(model, layer, ablated)[:, classes[n]]
                drops.append((original[n] - new) / original[n])
            w = torch.cat(drops).view(1, -1, 1, 1)
            maps.append(relu_sum(w, a[n:n + 1]))
        return torch.cat(maps)


def igcam(model, probe, x, baseline, classes, preset):
    m = IGCAM_STEPS[preset]
    if preset == "default":  # right sum, delta against the baseline's maps, ReLU per step, mean
        ts, weight, use_delta = [j / m for j in range(1, m + 1)], 1.0 / m, True
    else:  # the authors' notebook: left sum, no delta, ReLU per step, plain sum
        ts, weight, use_delta = [j / m for j in range(0, m)], 1.0, False
    with torch.no_grad():
        model(baseline)
        a0 = probe.activations
    total = 0
    for t in ts:
        xt = baseline + t * (x - baseline)
        a, g, _ = layer_and_grads(model, probe, xt, classes)
        delta = a - a0 if use_delta else a
        total = total + weight * torch.relu((g.mean((2, 3), keepdim=True) * delta).sum(1, keepdim=True))
    return total


def black_baseline(variant, shape):
    """The preprocessed black image: normalise(0) = -mean / std per channel."""
    color, scale, mean, std, _, _ = export_torchvision.PREPROCESSING[variant]
    value = torch.tensor([-m / s for m, s in zip(mean, std)], dtype=DT).view(1, 3, 1, 1)
    return value.expand(*shape).clone()


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    manifest = {"torch_version": torch.__version__, "igcam_steps": IGCAM_STEPS, "models": []}
    for name, arch, variant, classes_count, seed, layer, size, score_layer, score_size in MODELS:
        torch.manual_seed(seed)
        model = export_torchvision.randomize(export_torchvision.build(arch, variant, classes_count), seed)
        export_torchvision.export(model, arch, variant, os.path.join(out, name + ".h5"))
        model = model.double().eval()
        for p in model.parameters():
            p.requires_grad_(False)
        entry = {"name": name, "file": name + ".h5", "runs": []}
        for run, s, run_layer in (("main", size, layer), ("score", score_size, score_layer)):
            probe = Probe(model, run_layer)
            gen = torch.Generator().manual_seed(seed * 100 + s)
            x = torch.randn(IMAGES, 3, s, s, generator=gen, dtype=DT)
            with torch.no_grad():
                classes = model(x).argmax(1)
            files = {"input": x, "classes": classes.to(DT)}
            if run == "main":
                a, g, _ = layer_and_grads(model, probe, x, classes)
                files.update(activations=a, gradients=g, gradcam=gradcam(a, g), gradcampp=gradcam_pp(a, g),
                             xgradcam=xgradcam(a, g), layercam=layercam(a, g), hirescam=hirescam(a, g),
                             gradcam_elementwise=gradcam_elementwise(a, g), eigengradcam=eigencam(g * a), fem=fem(a),
                             eigencam=eigencam(a), ablationcam=ablationcam(model, probe, layer, x, classes),
                             igcam=igcam(model, probe, x, black_baseline(variant, x.shape), classes, "default"),
                             igcam_notebook=igcam(model, probe, x, torch.zeros_like(x), classes, "notebook"))
            else:
                files["scorecam"], early = scorecam(model, probe, x, classes)
                # FEM needs more than 5 positions per map for a 2-sigma outlier to exist at
                # all (the largest z-score of n values is (n - 1) / sqrt(n)): the default
                # layers' 2x2 ResNet maps give FEM all zero, the early layer does not.
                files["fem"] = fem(early)
                assert files["fem"].amax() > 0, name
            probe.handle.remove()
            saved = {}
            for key, value in files.items():
                filename = f"{name}.{run}.{key}.npy"
                np.save(os.path.join(out, filename), value.detach().numpy().astype(np.float64))
                saved[key] = filename
            entry["runs"].append({"run": run, "size": s, "layer": run_layer, "files": saved})
            print(f"torch_cams.py: {name} {run} done", flush=True)
        manifest["models"].append(entry)
    with open(os.path.join(out, "cams.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
