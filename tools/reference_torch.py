#!/usr/bin/python3
"""Reference tensors from PyTorch's own autograd, named as igcam-run --dump names them.

For each image this computes, with torchvision's model and PyTorch's backward pass, what
`igcam-run --dump FILE.h5` writes: the preprocessed input, the logits, the target layer's
activations A and gradients dy^c/dA, every requested method's raw map (after its ReLU,
before upsampling) and, for IG-CAM, the path points t, every step's activations and
gradients and the baseline's activations. `igcam-audit` then compares the two files.

The audit, in three commands (float64, so that differences are igcam's and not rounding's):

  igcam-run --weights m.h5 --image cat.png --method gradcam,igcam --dtype f64 --dump ours.h5
  tools/reference_torch.py --weights m.h5 --image cat.png --method gradcam,igcam --dtype f64 --out ref.h5
  igcam-audit --ours ours.h5 --reference ref.h5

Usage:
  tools/reference_torch.py --weights FILE --image IMG [--image IMG ...] --out REF.h5|REF.npz
      [--arch NAME] [--layer NAME] [--method LIST|all] [--class N]
      [--preprocess torchvision|raw] [--dtype f32|f64] [--steps 50]
      [--riemann left|right|middle|trapezoid] [--delta baseline|none] [--relu per_step|final]
      [--reduce mean|sum] [--baseline black|zero|IMAGE] [--batch 16] [--threads N]

Give both tools the same options: the same --preprocess, --layer, --class and IG-CAM knobs
(igcam-run takes its preprocessing from an igcam-torch-h5 file unless told otherwise; this
script always uses --preprocess, whose default is "torchvision").

Weights: a torch.save state dict or checkpoint (.pth/.pt; a dict holding it under
"state_dict" or "model" is accepted, "module." prefixes are dropped), an igcam-torch-h5 file
from tools/export_torchvision.py, or a bare state_dict dump in HDF5. --arch names the
torchvision constructor (resnet18/34/50/101/152, vgg11/13/16/19 and their _bn); an
igcam-torch-h5 file records it. The number of classes is read from the last layer.

Methods: gradcam, gradcam++, xgradcam, layercam, hirescam, gradcam-elementwise, eigencam,
eigengradcam, fem, igcam (docs/methods.md defines each); "all" is these ten. Score-CAM and
Ablation-CAM are not computed here (igcam-run's "all" includes them: their maps then show
in the audit as only in ours). The gradients are always written, even where igcam-run,
running no gradient method, writes none.

Output: one group per image, named after the file's stem ("cat.png" -> "cat"), holding
input, logits, activations, gradients, maps/<method> and, with igcam, igcam/t (float64),
igcam/step_activations, igcam/step_gradients and igcam/baseline_activations, all in the
run's dtype, NCHW with the batch dimension kept. Root attributes: reference ("torch X
torchvision Y"), layer, dtype (f32 or f64), options (the arch and IG-CAM settings used);
each group's attribute class. A .npz holds the same arrays under "<stem>/<name>" keys
(numpy.load's keys; floats only) and the attributes, for which it has no place, as one line
in the zip archive's comment ("reference=...; layer=...; dtype=...; cat/class=3; options=...",
zipfile.ZipFile(path).comment). The file appears only complete (written beside the target
under a temporary name, then renamed).

Exit codes: 2 a usage mistake (unknown option value, architecture, layer, method or class),
3 a file that cannot be read (weights, images), 4 anything else; the reason is one line
"error: ..." on stderr.

Run with Debian's python3 (python3-torch, python3-torchvision, python3-h5py, python3-pil).
Nothing is downloaded.
"""
import argparse
import contextlib
import os
import sys
import tempfile
import zipfile

import h5py
import numpy as np
import torch
import torchvision
import torchvision.transforms as transforms
import torchvision.transforms.functional as TF
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_torchvision  # noqa: E402  (a sibling: the model builders and the checkpoint rules)

METHODS = ["gradcam", "gradcam++", "xgradcam", "layercam", "hirescam", "gradcam-elementwise",
           "eigencam", "eigengradcam", "fem", "igcam"]
ARCHS = export_torchvision.ARCHS
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
# ImageNet statistics, as torchvision's Normalize is given them (and igcam's "torchvision" preset).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# The "torchvision" preset as igcam-torch-h5 records a preprocessing: (scale, mean, std, resize, crop).
TORCHVISION_PREPROCESSING = (1.0 / 255.0, IMAGENET_MEAN, IMAGENET_STD, 256, 224)
EXIT_USAGE, EXIT_BAD_FILE, EXIT_OTHER = 2, 3, 4


class ToolError(Exception):
    """A failure with its exit code; main() prints it as the one `error:` line."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def usage_error(message):
    return ToolError(EXIT_USAGE, message)


def file_error(message):
    return ToolError(EXIT_BAD_FILE, message)


def first_line(error):
    """Library messages (load_state_dict, unpickling) span lines; the error line is one."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# ---- command line --------------------------------------------------------------------------

class Parser(argparse.ArgumentParser):
    """argparse prints its usage and exits 2 on a mistake; this tool's mistakes are one line."""

    def error(self, message):
        raise usage_error(message)


def parse_args(argv):
    p = Parser(prog="reference_torch.py", description=__doc__.split("\n")[0],
               formatter_class=argparse.RawDescriptionHelpFormatter,
               epilog="Example (the audit): see the module docstring, or tools/reference_torch.py's first lines.")
    p.add_argument("--weights", required=True, help="torch.save .pth/.pt, igcam-torch-h5, or an HDF5 state_dict dump")
    p.add_argument("--arch", help="torchvision constructor (default: the igcam-torch-h5 file's arch; "
                                  "required otherwise): " + ", ".join(ARCHS))
    p.add_argument("--image", action="append", required=True,
                   help="PNG or JPEG file, or a directory of them (sorted); repeatable; group name = file stem")
    p.add_argument("--layer", help="target module name (default: ResNet's last stage, VGG's ReLU after the last conv)")
    p.add_argument("--method", default="gradcam,igcam", help="comma-separated, or 'all': " + ", ".join(METHODS))
    p.add_argument("--class", dest="target_class",
                   help="target class index (or a class name an igcam-torch-h5 file lists); default: each image's top-1")
    # Default None, to tell "not given" (then "torchvision", with a warning where the weight
    # file records another preprocessing, which igcam-run would use) from an explicit choice.
    p.add_argument("--preprocess", choices=["torchvision", "raw"],
                   help="torchvision: Resize(256) + CenterCrop(224) + ToTensor + Normalize(ImageNet); "
                        "raw: ToTensor only (default torchvision)")
    p.add_argument("--dtype", default="f32", choices=["f32", "f64"], help="computation dtype (default f32)")
    p.add_argument("--steps", type=int, default=50, help="IG-CAM steps m (default 50)")
    p.add_argument("--riemann", default="right", choices=["left", "right", "middle", "trapezoid"])
    p.add_argument("--delta", default="baseline", choices=["baseline", "none"])
    p.add_argument("--relu", default="per_step", choices=["per_step", "final"])
    p.add_argument("--reduce", default="mean", choices=["mean", "sum"])
    p.add_argument("--baseline", default="black",
                   help="IG-CAM baseline: black (a black image, preprocessed), zero (a zero model input) or an image")
    p.add_argument("--batch", type=int, default=16, help="IG-CAM path rows per forward/backward pass (default 16)")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's own)")
    p.add_argument("--out", required=True, help="REF.h5 (or .hdf5) or REF.npz")
    args = p.parse_args(argv)
    args.methods = parse_methods(args.method)
    if args.steps < 1:
        raise usage_error(f"--steps must be at least 1, got {args.steps}")
    if args.batch < 1:
        raise usage_error(f"--batch must be at least 1, got {args.batch}")
    if args.threads is not None and args.threads < 1:
        raise usage_error(f"--threads must be at least 1, got {args.threads}")
    if args.arch is not None and args.arch not in ARCHS:
        raise usage_error(f"unknown architecture '{args.arch}' (known: {', '.join(ARCHS)})")
    if os.path.splitext(args.out)[1].lower() not in (".h5", ".hdf5", ".npz"):
        raise usage_error(f"--out {args.out}: the name must end in .h5, .hdf5 or .npz (it chooses the format)")
    return args


def parse_methods(text):
    names = [m.strip() for m in text.split(",") if m.strip()]
    if names == ["all"]:
        return list(METHODS)
    if not names:
        raise usage_error("--method names no method")
    for name in names:
        if name not in METHODS:
            why = " (igcam computes it; this reference does not)" if name in ("scorecam", "ablationcam") else ""
            raise usage_error(f"unknown method '{name}'{why} (known: {', '.join(METHODS)}, or all)")
    # Each once, in the order given: a repeated name would write one dataset twice.
    return list(dict.fromkeys(names))


def collect_images(arguments):
    """Files as given; a directory's PNG/JPEG files sorted by path, as igcam-run lists them."""
    paths = []
    for argument in arguments:
        if os.path.isdir(argument):
            found = sorted(os.path.join(argument, n) for n in os.listdir(argument)
                           if n.lower().endswith(IMAGE_EXTENSIONS) and os.path.isfile(os.path.join(argument, n)))
            if not found:
                raise file_error(f"{argument}: the directory holds no .png, .jpg or .jpeg files")
            paths.extend(found)
        elif os.path.exists(argument):
            paths.append(argument)
        else:
            raise file_error(f"{argument}: no such file or directory")
    stems = [os.path.splitext(os.path.basename(p))[0] for p in paths]
    seen = set()
    for stem in stems:
        if stem in seen:
            raise usage_error(f"two input images share the name '{stem}'; their groups would collide")
        seen.add(stem)
    return list(zip(stems, paths))


# ---- weights -------------------------------------------------------------------------------

def read_torch_file(path):
    """A torch.save state dict or checkpoint, unpickled with weights_only (tensors and plain
    containers only: a weight file must not run code, which igcam refuses too)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 (torch raises several kinds for a bad archive)
        # weights_only's message leads with advice to unpickle unsafely; its reason is last.
        reason = first_line(e).split("WeightsUnpickler error: ")[-1]
        raise file_error(f"{path}: cannot read it as a torch.save state dict: {reason}")
    # export_torchvision.load_checkpoint's rules: a checkpoint's state dict under "state_dict"
    # or "model", nn.DataParallel's "module." prefix dropped.
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and key in state and isinstance(state[key], dict):
            state = state[key]
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise file_error(f"{path}: holds no state dict (a dict of tensors)")
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}, {}


def attribute_text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def read_h5_file(path):
    """An igcam-torch-h5 file (tensors under /state_dict, arch and class names alongside), or
    a bare state_dict dump (datasets at the root or under /state_dict, no attributes)."""
    try:
        with h5py.File(path, "r") as f:
            info = {}
            if "format" in f.attrs:
                if attribute_text(f.attrs["format"]) != "igcam-torch-h5":
                    raise file_error(f"{path}: format '{attribute_text(f.attrs['format'])}' is not igcam-torch-h5")
                info = {k: attribute_text(f.attrs[k]) for k in ("arch", "variant") if k in f.attrs}
                if all(k in f.attrs for k in ("input_scale", "mean", "std", "resize", "crop")):
                    info["preprocessing"] = (float(f.attrs["input_scale"]), tuple(np.ravel(f.attrs["mean"]).tolist()),
                                             tuple(np.ravel(f.attrs["std"]).tolist()), int(f.attrs["resize"]),
                                             int(f.attrs["crop"]))
                if "meta/class_names" in f:
                    info["class_names"] = [attribute_text(n) for n in f["meta/class_names"][()]]
            group = f["state_dict"] if "state_dict" in f else f
            state = {k: torch.from_numpy(np.asarray(v[()])) for k, v in group.items() if isinstance(v, h5py.Dataset)}
    except ToolError:
        raise
    except Exception as e:  # noqa: BLE001 (h5py's errors are OSError, KeyError, ...)
        raise file_error(f"{path}: cannot read the HDF5 file: {first_line(e)}")
    if not state:
        raise file_error(f"{path}: holds no state_dict tensors (is it a Keras file? this reference runs PyTorch models)")
    return state, info


def read_weights(path):
    """The state dict and what the file records (arch, variant, class names), by content."""
    if not os.path.isfile(path):
        raise file_error(f"{path}: no such file")
    if h5py.is_hdf5(path):
        return read_h5_file(path)
    return read_torch_file(path)


def num_classes_of(state, path):
    """From the last layer's weight: ResNet's fc, VGG's last classifier Linear."""
    if "fc.weight" in state:
        return int(state["fc.weight"].shape[0])
    heads = sorted((int(k.split(".")[1]), k) for k in state
                   if k.startswith("classifier.") and k.endswith(".weight") and k.split(".")[1].isdigit())
    if not heads:
        raise file_error(f"{path}: has neither fc.weight (ResNet) nor classifier.N.weight (VGG)")
    return int(state[heads[-1][1]].shape[0])


def choose_arch(asked, info, path):
    if asked:
        return asked
    arch = info.get("arch")
    if arch is None:
        raise usage_error(f"{path}: the file records no architecture; give --arch ({', '.join(ARCHS)})")
    if arch not in ARCHS:
        raise file_error(f"{path}: architecture '{arch}' has no torchvision constructor "
                         f"(this reference builds {', '.join(ARCHS)})")
    return arch


def choose_variant(arch, info, state):
    """TorchRay's Caffe-converted models differ from torchvision's in a few layers: the file
    says so, or (as igcam infers it) a ResNet's conv1 has a bias."""
    if "torchray" in info.get("variant", ""):
        return "torchray-voc"
    if arch.startswith("resnet") and "conv1.bias" in state:
        return "torchray-voc"
    return "torchvision"


def load_weights_into(model, state, path):
    """Strict, except PyTorch's num_batches_tracked counters, which igcam-torch-h5 omits and
    which eval() does not read."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        what = (f"missing {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}" if missing else "") + \
               ("; " if missing and unexpected else "") + \
               (f"unexpected {', '.join(unexpected[:3])}{' ...' if len(unexpected) > 3 else ''}" if unexpected else "")
        raise file_error(f"{path}: does not match the architecture: {what}")
    for key, value in state.items():
        if tuple(value.shape) != tuple(expected[key].shape):
            raise file_error(f"{path}: {key}: shape {tuple(value.shape)}, the architecture needs "
                             f"{tuple(expected[key].shape)}")
        if not (value.is_floating_point() or key.endswith("num_batches_tracked")):
            raise file_error(f"{path}: {key}: holds {value.dtype}, not floating-point values")
    full = dict(expected)
    full.update(state)
    model.load_state_dict(full, strict=True)  # copy_ into the model's dtype: one rounding at most


def load_model(args):
    """The model in eval mode, in the run's dtype, with parameters that need no gradient."""
    state, info = read_weights(args.weights)
    arch = choose_arch(args.arch, info, args.weights)
    variant = choose_variant(arch, info, state)
    # In the run's dtype before loading, so that each stored value is converted once (float32
    # widened exactly for f64, float64 weights kept; rounded once for f32), as igcam does.
    model = export_torchvision.build(arch, variant, num_classes_of(state, args.weights)).to(torch_dtype(args.dtype))
    load_weights_into(model, state, args.weights)
    model = model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, arch, variant, info


def choose_preprocess(asked, info, path):
    """--preprocess, else "torchvision". igcam-run, unless told --preprocess, uses what an
    igcam-torch-h5 file records; where that is not the torchvision preset the two inputs
    would differ, so say so (a warning: the user may mean it)."""
    if asked:
        return asked
    recorded = info.get("preprocessing")
    if recorded is not None and not np.allclose(np.hstack([np.ravel(v) for v in recorded]),
                                                np.hstack([np.ravel(v) for v in TORCHVISION_PREPROCESSING]),
                                                rtol=1e-12, atol=0):
        scale, mean, std, resize, crop = recorded
        print(f"warning: {path} records its own preprocessing (scale {scale:g}, mean {list(mean)}, std {list(std)}, "
              f"resize {resize}, crop {crop}), which igcam-run uses unless given --preprocess; this reference uses "
              f"torchvision: give both tools the same --preprocess", file=sys.stderr)
    return "torchvision"


def torch_dtype(name):
    return torch.float64 if name == "f64" else torch.float32


def default_layer(model, arch):
    """igcam's default_target_layer: ResNet's last stage, VGG's ReLU after its last conv."""
    if arch.startswith("resnet"):
        return "layer4"
    last = max(i for i, m in enumerate(model.features) if isinstance(m, torch.nn.ReLU))
    return f"features.{last}"


def find_layer(model, name, arch):
    modules = dict(model.named_modules())
    if not name or name not in modules:
        top = ", ".join(n for n, _ in model.named_children())
        raise usage_error(f"unknown layer '{name}': not a module of {arch} (module names such as layer4, layer4.2, "
                          f"features.29; its top-level modules: {top})")
    return modules[name]


def resolve_class(text, num_classes, class_names):
    if text is None:
        return None
    if text.lstrip("-").isdigit():
        index = int(text)
    elif class_names and text in class_names:
        index = class_names.index(text)
    else:
        raise usage_error(f"unknown class '{text}' (an index 0..{num_classes - 1}"
                          f"{' or a class name the weight file lists' if class_names else ''})")
    if not 0 <= index < num_classes:
        raise usage_error(f"class {index} is out of range: the model has {num_classes} classes (0..{num_classes - 1})")
    return index


# ---- inputs --------------------------------------------------------------------------------

def read_rgb(path):
    """PIL's RGB view of the file: alpha dropped without compositing, palettes expanded (what
    igcam's decoder reproduces)."""
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except Exception as e:  # noqa: BLE001 (PIL raises UnidentifiedImageError, OSError, ...)
        raise file_error(f"{path}: cannot read it as an image: {first_line(e)}")


def normalisation(preset):
    """(mean, std) of the preset: input = (pixel / 255 - mean) / std."""
    return (IMAGENET_MEAN, IMAGENET_STD) if preset == "torchvision" else ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))


def preprocess(path, preset, dtype):
    """(1, 3, H, W). "torchvision": Resize(256) (PIL's antialiased bilinear on the uint8
    image) + CenterCrop(224) + ToTensor + Normalize; "raw": ToTensor only. ToTensor's
    division and Normalize are evaluated in float64 and then rounded once to the run's
    dtype, so that the input is within one rounding of the exact value whatever the dtype
    (torchvision's float32 ToTensor would add a few float32 roundings)."""
    image = read_rgb(path)
    if preset == "torchvision":
        image = transforms.CenterCrop(224)(transforms.Resize(256)(image))
    pixels = TF.pil_to_tensor(image).to(torch.float64).div(255)
    mean, std = normalisation(preset)
    return TF.normalize(pixels, mean, std).unsqueeze(0).to(dtype)


def make_baseline(kind, preset, x, dtype):
    """IG-CAM's x': black = a black image preprocessed, i.e. (0 / 255 - mean) / std per
    channel (a constant, whatever the image's size before resizing); zero = a zero model
    input; otherwise an image file preprocessed as the inputs, which must match their size."""
    if kind == "zero":
        return torch.zeros_like(x)
    if kind == "black":
        mean, std = normalisation(preset)
        value = torch.tensor([(0.0 - m) / s for m, s in zip(mean, std)], dtype=torch.float64)
        return value.view(1, 3, 1, 1).expand_as(x).to(dtype).clone()
    baseline = preprocess(kind, preset, dtype)
    if baseline.shape != x.shape:
        raise file_error(f"{kind}: the baseline image becomes {tuple(baseline.shape)} after preprocessing, "
                         f"but the input is {tuple(x.shape)}")
    return baseline


# ---- the target layer and its gradients ----------------------------------------------------

class LayerTap:
    """A forward hook on the target layer. With `cut` on, the layer's output is replaced by
    a detached leaf that requires grad, so backward stops there (no gradient below it, none
    for parameters) and the leaf's .grad is dy/dA. The network goes on with a clone of the
    leaf: a following in-place op (an inplace ReLU, a block's `out += identity`) then edits
    the clone, never the saved activations, and autograd allows it."""

    def __init__(self, module, name):
        self.name = name
        self.cut = False
        self.calls = 0
        self.activations = None
        module.register_forward_hook(self._hook)

    def _hook(self, module, inputs, output):
        self.calls += 1
        if not torch.is_tensor(output) or output.dim() != 4:
            shape = tuple(output.shape) if torch.is_tensor(output) else type(output).__name__
            raise usage_error(f"layer '{self.name}' outputs {shape}, not (N, K, h, w) feature maps")
        self.activations = output.detach().clone().requires_grad_(self.cut)
        return self.activations.clone() if self.cut else output

    def run(self, model, x):
        """The logits; the hook must fire exactly once, or A would be ambiguous."""
        self.calls = 0
        logits = model(x)
        if self.calls != 1:
            raise usage_error(f"layer '{self.name}' runs {self.calls} times in one forward pass "
                              f"(a shared module); choose a module that runs once")
        return logits


def forward(model, tap, x):
    """Logits and A, no graph."""
    with torch.no_grad():
        logits = tap.run(model, x)
    return logits, tap.activations


def forward_backward(model, tap, x, target=None):
    """Logits, A, dy^c/dA for each row of x and c, y^c the pre-softmax score of class
    `target` (None: the first row's top-1, from this same forward pass). The rows are
    independent (eval mode), so backward of their sum gives each row's own gradient."""
    tap.cut = True
    try:
        logits = tap.run(model, x)
        if target is None:
            target = int(logits[0].argmax())
        logits[:, target].sum().backward()
    finally:
        tap.cut = False
    a = tap.activations
    return logits.detach(), a.detach(), a.grad.detach(), target


# ---- the methods (docs/methods.md) ---------------------------------------------------------

def relu_weighted_sum(w, a):
    """ReLU(sum_k w_k A^k), (N, 1, h, w)."""
    return torch.relu((w * a).sum(1, keepdim=True))


def gradcam(a, g):
    return relu_weighted_sum(g.mean((2, 3), keepdim=True), a)


def gradcam_pp(a, g):
    """Chattopadhyay et al. eq. 19 with the exponential-output assumption, as pytorch-grad-cam."""
    g2, g3 = g ** 2, g ** 3
    total = a.sum((2, 3), keepdim=True)
    alpha = g2 / (2 * g2 + total * g3 + 1e-6)
    alpha = torch.where(g != 0, alpha, torch.zeros_like(alpha))
    return relu_weighted_sum((alpha * torch.relu(g)).sum((2, 3), keepdim=True), a)


def xgradcam(a, g):
    w = (g * a).sum((2, 3), keepdim=True) / (a.sum((2, 3), keepdim=True) + 1e-7)
    return relu_weighted_sum(w, a)


def layercam(a, g):
    return relu_weighted_sum(torch.relu(g), a)


def hirescam(a, g):
    return relu_weighted_sum(g, a)


def gradcam_elementwise(a, g):
    return torch.relu(g * a).sum(1, keepdim=True)


def eigencam(a):
    """Projection of the centred (positions x channels) matrix on its first principal
    component, signed to correlate positively with the channel-summed activations (the SVD's
    own sign is arbitrary); ReLU. In float64 whatever the dtype, as igcam computes it."""
    maps = []
    for act in a.to(torch.float64):
        x = act.reshape(act.shape[0], -1).T  # (positions, channels)
        x = x - x.mean(0)
        _, _, vt = torch.linalg.svd(x, full_matrices=False)
        projection = x @ vt[0]
        if (projection * act.sum(0).reshape(-1)).sum() < 0:
            projection = -projection
        maps.append(torch.relu(projection).reshape(1, *act.shape[1:]))
    return torch.stack(maps).to(a.dtype)


def fem(a, k=2.0):
    """w_k = share of positions above mean + k * population std. The statistics in float64
    (as igcam), so a position near the threshold is not decided by float32 rounding."""
    a64 = a.to(torch.float64)
    threshold = a64.mean((2, 3), keepdim=True) + k * a64.std((2, 3), unbiased=False, keepdim=True)
    w = (a64 > threshold).to(torch.float64).mean((2, 3), keepdim=True)
    return relu_weighted_sum(w.to(a.dtype), a)


GRADIENT_MAPS = {"gradcam": gradcam, "gradcam++": gradcam_pp, "xgradcam": xgradcam, "layercam": layercam,
                 "hirescam": hirescam, "gradcam-elementwise": gradcam_elementwise,
                 "eigengradcam": lambda a, g: eigencam(g * a)}
ACTIVATION_MAPS = {"eigencam": eigencam, "fem": fem}


# ---- Integrated Grad-CAM -------------------------------------------------------------------

def path_points(steps, riemann, reduce):
    """t_j and w_j, as igcam's cam/igcam.cpp path_points: right j/m (j = 1..m), left j/m
    (j = 0..m-1), middle (j + 1/2)/m (j = 0..m-1), trapezoid j/m (j = 0..m) with 1/(2m) at
    both ends; weights 1/m, times m for --reduce sum."""
    m = steps
    first = 1 if riemann == "right" else 0
    last = m if riemann in ("right", "trapezoid") else m - 1
    t, w = [], []
    for j in range(first, last + 1):
        t.append((j + 0.5) / m if riemann == "middle" else j / m)
        end = riemann == "trapezoid" and j in (0, m)
        w.append((0.5 if end else 1.0) / m)
    if reduce == "sum":
        w = [v * m for v in w]
    return t, w


def integrated_gradcam(model, tap, x, baseline, target, args):
    """L = sum_j w_j ReLU(sum_k alpha_k(j) delta_k(j)) (ReLU per step; or once on the sum
    with --relu final), alpha_k(j) = mean_ij dy^c(x_j)/dA^k_ij(x_j), delta = A(x_j) - A(x')
    (or A(x_j) with --delta none), x_j = x' + t_j (x - x'). The rows go through in passes of
    --batch; every step's A and g are kept in path order."""
    t, w = path_points(args.steps, args.riemann, args.reduce)
    dtype = x.dtype
    _, a_baseline = forward(model, tap, baseline)
    t_rows = torch.tensor(t, dtype=torch.float64).to(dtype).view(-1, 1, 1, 1)
    w_rows = torch.tensor(w, dtype=torch.float64).to(dtype).view(-1, 1, 1, 1)
    total, step_a, step_g = None, [], []
    for j0 in range(0, len(t), args.batch):
        j1 = min(len(t), j0 + args.batch)
        points = baseline + t_rows[j0:j1] * (x - baseline)
        _, a, g, _ = forward_backward(model, tap, points, target)
        delta = a - a_baseline if args.delta == "baseline" else a
        terms = (g.mean((2, 3), keepdim=True) * delta).sum(1, keepdim=True)  # (rows, 1, h, w)
        if args.relu == "per_step":
            terms = torch.relu(terms)
        part = (terms * w_rows[j0:j1]).sum(0, keepdim=True)
        total = part if total is None else total + part
        step_a.append(a)
        step_g.append(g)
    if args.relu == "final":
        total = torch.relu(total)
    return {"maps/igcam": total,
            "igcam/t": torch.tensor(t, dtype=torch.float64),
            "igcam/step_activations": torch.cat(step_a),
            "igcam/step_gradients": torch.cat(step_g),
            "igcam/baseline_activations": a_baseline}


# ---- one image -----------------------------------------------------------------------------

def explain_image(model, tap, path, args, target_class):
    """The image's datasets (name -> tensor) and its target class."""
    dtype = torch_dtype(args.dtype)
    x = preprocess(path, args.preprocess, dtype)
    logits, a, g, target = forward_backward(model, tap, x, target_class)
    out = {"input": x, "logits": logits, "activations": a, "gradients": g}
    for method in args.methods:
        if method in GRADIENT_MAPS:
            out["maps/" + method] = GRADIENT_MAPS[method](a, g)
        elif method in ACTIVATION_MAPS:
            out["maps/" + method] = ACTIVATION_MAPS[method](a)
        else:  # igcam
            baseline = make_baseline(args.baseline, args.preprocess, x, dtype)
            out.update(integrated_gradcam(model, tap, x, baseline, target, args))
    return out, target


# ---- output --------------------------------------------------------------------------------

class H5Writer:
    """One group per image, written as soon as the image is done (a run over many images
    holds one image's path in memory, not all of them)."""

    def __init__(self, path, attributes):
        self.file = h5py.File(path, "w")
        # Fixed-length ASCII, as igcam's own dump writes its string attributes.
        for key, value in attributes.items():
            self.file.attrs[key] = np.bytes_(value)

    def add(self, stem, tensors, target):
        group = self.file.create_group(stem)
        group.attrs["class"] = np.int64(target)
        for name, tensor in tensors.items():
            group.create_dataset(name, data=tensor.numpy())

    def close(self):
        self.file.close()


class NpzWriter:
    """What numpy.savez writes (a zip of .npy members named "<key>.npy", np.load's keys),
    one member at a time for the same reason as H5Writer. Only the float arrays become
    members: igcam-audit reads every member as a float32/float64 .npy. The attributes, which
    a .npz has no place for, go in the archive's comment as one line of key=value pairs."""

    def __init__(self, path, attributes):
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self.notes = [f"{key}={value}" for key, value in attributes.items() if key != "options"]
        self.notes.append(f"options={attributes['options']}" if "options" in attributes else "")

    def add(self, stem, tensors, target):
        self.notes.insert(len(self.notes) - 1, f"{stem}/class={target}")
        for name, tensor in tensors.items():
            with self.zip.open(f"{stem}/{name}.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, tensor.numpy(), allow_pickle=False)

    def close(self):
        self.zip.comment = "; ".join(n for n in self.notes if n).encode("ascii", "replace")[:65535]
        self.zip.close()


@contextlib.contextmanager
def staged_output(target, attributes):
    """A writer for `target` that writes beside it under a temporary name, renamed over it
    only once everything is written: a failed or interrupted run leaves no partial file."""
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise file_error(f"{target}: the directory {directory} does not exist")
    try:
        fd, temporary = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(target) + ".", suffix=".tmp")
    except OSError as e:
        raise file_error(f"{target}: cannot write in {directory}: {e.strerror}")
    os.close(fd)
    writer = None
    try:
        writer = (NpzWriter if target.lower().endswith(".npz") else H5Writer)(temporary, attributes)
        yield writer
        writer.close()
        writer = None
        # mkstemp's file is private (0600); the result gets the permissions of a new file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    finally:
        if writer is not None:
            writer.close()
        if os.path.exists(temporary):
            os.remove(temporary)


# ---- main ----------------------------------------------------------------------------------

def run(argv):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    images = collect_images(args.image)
    model, arch, variant, info = load_model(args)
    args.preprocess = choose_preprocess(args.preprocess, info, args.weights)
    layer = args.layer if args.layer is not None else default_layer(model, arch)
    tap = LayerTap(find_layer(model, layer, arch), layer)
    num_classes = num_classes_of(model.state_dict(), args.weights)
    target_class = resolve_class(args.target_class, num_classes, info.get("class_names"))
    if args.baseline not in ("black", "zero") and not os.path.isfile(args.baseline):
        raise file_error(f"{args.baseline}: --baseline is neither black, zero nor an existing image file")

    options = (f"arch={arch} variant={variant} preprocess={args.preprocess} methods={','.join(args.methods)}"
               f" steps={args.steps} riemann={args.riemann} delta={args.delta} relu={args.relu}"
               f" reduce={args.reduce} baseline={args.baseline}")
    attributes = {"reference": f"torch {torch.__version__} torchvision {torchvision.__version__}",
                  "layer": layer, "dtype": args.dtype, "options": options}
    with staged_output(args.out, attributes) as writer:
        for stem, path in images:
            tensors, target = explain_image(model, tap, path, args, target_class)
            writer.add(stem, {k: v.detach().cpu() for k, v in tensors.items()}, target)
            print(f"{stem}: class {target}, {layer} {tuple(tensors['activations'].shape)}", flush=True)
    print(f"wrote {args.out}: {len(images)} image{'s' if len(images) != 1 else ''}, "
          f"{', '.join(args.methods)}, layer {layer}, {args.dtype}")
    return 0


def main(argv):
    try:
        return run(argv)
    except ToolError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 (anything unforeseen still ends with one line)
        print(f"error: {type(e).__name__}: {first_line(e)}", file=sys.stderr)
        return EXIT_OTHER


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
