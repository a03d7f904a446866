#!/usr/bin/python3
"""Reference fixtures for whole networks, computed by PyTorch in float64.

Usage: torch_models.py OUTDIR

Exports seeded random-weight models with tools/export_torchvision.py (all biases and
batch-norm statistics randomised), then runs each in float64 on fixed inputs (batch 2,
64x64 and 224x224) and saves the logits and the outputs of layer1..layer4 (ResNet) or of
every pooling stage (VGG) as .npy, listed in OUTDIR/models.json.
tests/reference/test_torch_models.cpp loads the same files with igcam and compares.
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import export_torchvision  # noqa: E402

MODELS = [  # (fixture name, arch, variant, classes, seed)
    ("resnet50", "resnet50", "torchvision", 1000, 1),
    ("vgg16", "vgg16", "torchvision", 1000, 2),
    ("resnet18", "resnet18", "torchvision", 1000, 3),
    ("vgg16_bn", "vgg16_bn", "torchvision", 1000, 4),
    ("resnet50_voc", "resnet50", "torchray-voc", 20, 5),
    ("vgg16_voc", "vgg16", "torchray-voc", 20, 6),
]
SIZES = [64, 224]
torch.set_num_threads(2)  # Debian's torch starts with one thread here


def probe_layers(model):
    """Module names whose outputs are compared: ResNet stages, or VGG's pooling stages."""
    names = dict(model.named_modules())
    if "layer1" in names:
        return ["maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool"]
    return [n for n, m in names.items() if isinstance(m, torch.nn.MaxPool2d)] + ["avgpool"]


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    manifest = {"torch_version": torch.__version__, "models": []}
    for name, arch, variant, classes, seed in MODELS:
        torch.manual_seed(seed)
        model = export_torchvision.randomize(export_torchvision.build(arch, variant, classes), seed)
        path = os.path.join(outdir, name + ".h5")
        export_torchvision.export(model, arch, variant, path)
        model = model.double().eval()
        layers = probe_layers(model)
        captured = {}
        modules = dict(model.named_modules())
        for layer in layers:
            modules[layer].register_forward_hook(lambda m, i, o, layer=layer: captured.__setitem__(layer, o))
        entry = {"name": name, "arch": arch, "variant": variant, "file": name + ".h5", "runs": []}
        for size in SIZES:
            generator = torch.Generator().manual_seed(100 + size)
            x = torch.randn(2, 3, size, size, generator=generator, dtype=torch.float64)
            with torch.no_grad():
                logits = model(x)
            run = {"size": size, "input": f"{name}.{size}.input.npy", "logits": f"{name}.{size}.logits.npy",
                   "layers": {}}
            np.save(os.path.join(outdir, run["input"]), x.numpy())
            np.save(os.path.join(outdir, run["logits"]), logits.numpy())
            for layer in layers:
                filename = f"{name}.{size}.{layer}.npy"
                np.save(os.path.join(outdir, filename), captured[layer].numpy())
                run["layers"][layer] = filename
            entry["runs"].append(run)
        manifest["models"].append(entry)
        print(f"torch_models.py: {name} exported and evaluated", flush=True)
    with open(os.path.join(outdir, "models.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
