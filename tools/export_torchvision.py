#!/usr/bin/python3
"""Export torchvision (or TorchRay-style) models to igcam's HDF5 layout, igcam-torch-h5 v1.

Examples:
  tools/export_torchvision.py --arch resnet50 --seed 0 --out resnet50.h5
  tools/export_torchvision.py --arch vgg16 --variant torchray-voc --seed 1 --out vgg16_voc.h5
  tools/export_torchvision.py --arch resnet50 --checkpoint resnet50-0676ba61.pth --out resnet50.h5

Weights come from a local checkpoint file (a state_dict, or a dict holding one under
"state_dict"/"model"), or are random with a seed. Random exports also randomise every
bias and the batch-norm affine parameters and running statistics: with torchvision's
default initialisation (zero biases, neutral statistics) a ReLU network is positively
homogeneous, and then Integrated Grad-CAM cannot be told apart from Grad-CAM.
Nothing is downloaded. Run with Debian's python3 (python3-torch, python3-torchvision,
python3-h5py).

Layout (see docs/weights.md): root attributes format, format_version, arch, variant,
layout, input_color, input_scale, mean, std, resize, crop, bn_eps, num_classes (strings
fixed-length ASCII; input_scale, mean and std float64); /meta/class_names (fixed-length strings); /state_dict/<torch key>
float32, one dataset per key, num_batches_tracked omitted.
"""
import argparse
import sys

import h5py
import numpy as np
import torch
import torchvision

CUSTOM_ARCHS = ["resnet", "vgg"]  # small configurable networks (demos, fast tests)
ARCHS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
         "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn"]
VARIANTS = ["torchvision", "torchray-voc"]
VOC_CLASSES = ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
               "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
               "train", "tvmonitor"]

# Preprocessing recorded in the file: (input_color, input_scale, mean, std, resize, crop).
PREPROCESSING = {
    "torchvision": ("RGB", 1.0 / 255.0, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], 256, 224),
    "torchray-voc": ("RGB", 1.0, [123.68, 116.779, 103.939], [1.0, 1.0, 1.0], 224, 0),
}


class SmallResNet(torch.nn.Module):
    """torchvision's ResNet with a configurable base width and number of stages; the same
    module names (conv1, bn1, relu, maxpool, layerN, avgpool, fc), so igcam reads it as a
    "resnet" architecture."""

    def __init__(self, block, blocks, width, num_classes):
        super().__init__()
        from torchvision.models.resnet import BasicBlock, Bottleneck
        cls = Bottleneck if block == "bottleneck" else BasicBlock
        self.conv1 = torch.nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(width)
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.MaxPool2d(3, 2, 1)
        inplanes = width
        for s, count in enumerate(blocks):
            planes = width << s
            layers = []
            for b in range(count):
                stride = 2 if (b == 0 and s > 0) else 1
                downsample = None
                if stride != 1 or inplanes != planes * cls.expansion:
                    downsample = torch.nn.Sequential(
                        torch.nn.Conv2d(inplanes, planes * cls.expansion, 1, stride, bias=False),
                        torch.nn.BatchNorm2d(planes * cls.expansion))
                layers.append(cls(inplanes, planes, stride, downsample))
                inplanes = planes * cls.expansion
            setattr(self, f"layer{s + 1}", torch.nn.Sequential(*layers))
        self.stages = len(blocks)
        self.avgpool = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(inplanes, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for s in range(self.stages):
            x = getattr(self, f"layer{s + 1}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


class SmallVGG(torch.nn.Module):
    """torchvision's VGG layout (features, avgpool, classifier) with configurable widths.
    `layers` lists conv widths with "M" for a 2x2 max-pool; it must end with "M"."""

    def __init__(self, layers, batch_norm, hidden, pool, num_classes):
        super().__init__()
        modules, channels = [], 3
        for item in layers:
            if item == "M":
                modules.append(torch.nn.MaxPool2d(2, 2))
                continue
            modules.append(torch.nn.Conv2d(channels, item, 3, padding=1))
            if batch_norm:
                modules.append(torch.nn.BatchNorm2d(item))
            modules.append(torch.nn.ReLU(inplace=True))
            channels = item
        self.features = torch.nn.Sequential(*modules)
        self.avgpool = torch.nn.AdaptiveAvgPool2d(pool)
        self.classifier = torch.nn.Sequential(
            torch.nn.Linear(channels * pool * pool, hidden), torch.nn.ReLU(True), torch.nn.Dropout(),
            torch.nn.Linear(hidden, hidden), torch.nn.ReLU(True), torch.nn.Dropout(),
            torch.nn.Linear(hidden, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def build_custom(arch, num_classes, block="basic", blocks=(1, 1), width=8, vgg_layers=(8, "M", 16, "M"),
                 batch_norm=False, hidden=32, pool=2):
    if arch == "resnet":
        return SmallResNet(block, list(blocks), width, num_classes).eval()
    return SmallVGG(list(vgg_layers), batch_norm, hidden, pool, num_classes).eval()


def build(arch, variant, num_classes):
    """A torchvision model, patched into TorchRay's Caffe-converted form for torchray-voc."""
    model = getattr(torchvision.models, arch)(weights=None, num_classes=num_classes)
    if variant == "torchray-voc":
        if arch.startswith("resnet"):
            # Caffe ResNet: biased conv1, max-pool k3 s2 p0 ceil, stride on the first 1x1.
            model.conv1 = torch.nn.Conv2d(3, model.conv1.out_channels, 7, 2, 3, bias=True)
            model.maxpool = torch.nn.MaxPool2d(3, 2, padding=0, ceil_mode=True)
            for layer in (model.layer2, model.layer3, model.layer4):
                block = layer[0]
                if hasattr(block, "conv3"):
                    block.conv1.stride, block.conv2.stride = (2, 2), (1, 1)
        else:
            for m in model.features:
                if isinstance(m, torch.nn.MaxPool2d):
                    m.ceil_mode = True
    return model.eval()


def randomize(model, seed):
    """Seeded random weights with non-zero biases and non-trivial batch-norm statistics."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                fan_in = module.weight[0].numel()
                module.weight.normal_(0.0, (2.0 / fan_in) ** 0.5, generator=generator)
                if module.bias is not None:
                    module.bias.uniform_(-0.1, 0.1, generator=generator)
            elif isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.uniform_(-0.2, 0.2, generator=generator)
                module.running_mean.uniform_(-0.2, 0.2, generator=generator)
                module.running_var.uniform_(0.5, 1.5, generator=generator)
    return model


def load_checkpoint(model, path):
    state = torch.load(path, map_location="cpu")
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and key in state and isinstance(state[key], dict):
            state = state[key]
    state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
    model.load_state_dict(state, strict=True)
    return model


def class_names(num_classes, variant):
    if variant == "torchray-voc" and num_classes == 20:
        return VOC_CLASSES
    if num_classes == 1000:
        from torchvision.models._meta import _IMAGENET_CATEGORIES
        return list(_IMAGENET_CATEGORIES)
    return [f"class_{i}" for i in range(num_classes)]


def export(model, arch, variant, path, names=None, preprocessing=None):
    """Writes `model` (any torchvision-named ResNet/VGG) in the igcam-torch-h5 v1 layout."""
    state = model.state_dict()
    head = "fc.weight" if "fc.weight" in state else "classifier.6.weight"
    num_classes = state[head].shape[0]
    names = names or class_names(num_classes, variant)
    color, scale, mean, std, resize, crop = preprocessing or PREPROCESSING[variant]
    bn_eps = next((m.eps for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)), 1e-5)
    with h5py.File(path, "w", libver=("earliest", "v108")) as f:
        a = f.attrs
        a["format"] = np.bytes_("igcam-torch-h5")
        a["format_version"] = np.int32(1)
        a["arch"] = np.bytes_(arch)
        a["variant"] = np.bytes_("torchvision-v1.5" if variant == "torchvision" and arch.startswith("resnet")
                                 else "torchray-voc-caffe" if variant == "torchray-voc" else variant)
        a["layout"] = np.bytes_("OIHW")
        a["input_color"] = np.bytes_(color)
        # float64, so that normalise(0) (IG-CAM's black baseline) is exact to the last bit.
        a["input_scale"] = np.float64(scale)
        a["mean"] = np.asarray(mean, dtype=np.float64)
        a["std"] = np.asarray(std, dtype=np.float64)
        a["resize"] = np.int32(resize)
        a["crop"] = np.int32(crop)
        a["bn_eps"] = np.float32(bn_eps)
        a["num_classes"] = np.int32(num_classes)
        f.create_dataset("meta/class_names", data=np.array([np.bytes_(n) for n in names]))
        group = f.create_group("state_dict")
        for key, value in state.items():
            if key.endswith("num_batches_tracked"):
                continue
            group.create_dataset(key, data=value.detach().cpu().numpy().astype(np.float32))
    return path


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--arch", required=True, choices=ARCHS + CUSTOM_ARCHS,
                   help="a torchvision architecture, or 'resnet'/'vgg' for a small configurable one")
    p.add_argument("--block", default="basic", choices=["basic", "bottleneck"], help="custom resnet: block type")
    p.add_argument("--blocks", default="1,1", help="custom resnet: blocks per stage, e.g. 2,2,2")
    p.add_argument("--width", type=int, default=8, help="custom resnet: channels of the first stage")
    p.add_argument("--vgg-layers", default="8,M,16,M", help="custom vgg: conv widths and M for max-pools")
    p.add_argument("--batch-norm", action="store_true", help="custom vgg: batch norm after each conv")
    p.add_argument("--hidden", type=int, default=32, help="custom vgg: hidden classifier width")
    p.add_argument("--pool", type=int, default=2, help="custom vgg: avgpool output side")
    p.add_argument("--variant", default="torchvision", choices=VARIANTS)
    p.add_argument("--num-classes", type=int, default=None,
                   help="output classes (default: 1000 for torchvision, 20 for torchray-voc)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--seed", type=int, help="random weights from this seed")
    source.add_argument("--checkpoint", help="a local PyTorch checkpoint (state_dict) to export")
    p.add_argument("--out", required=True, help="output .h5 file")
    args = p.parse_args(argv)
    num_classes = args.num_classes or (20 if args.variant == "torchray-voc" else 1000)
    if args.arch in CUSTOM_ARCHS:
        if args.variant != "torchvision":
            p.error("custom architectures come in the torchvision variant only")
        layers = [item if item == "M" else int(item) for item in args.vgg_layers.split(",")]
        model = build_custom(args.arch, num_classes, args.block, [int(b) for b in args.blocks.split(",")],
                             args.width, layers, args.batch_norm, args.hidden, args.pool)
    else:
        model = build(args.arch, args.variant, num_classes)
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint)
    else:
        torch.manual_seed(args.seed)
        randomize(model, args.seed)
    export(model, args.arch, args.variant, args.out)
    params = sum(v.numel() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked"))
    print(f"wrote {args.out}: {args.arch} ({args.variant}), {num_classes} classes, {params:,} values")


if __name__ == "__main__":
    main(sys.argv[1:])
