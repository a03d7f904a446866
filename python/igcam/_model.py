"""igcam.load, igcam.Model and what its methods return."""
import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from . import _igcam
from ._images import ImagesLike, normalise_images
from ._render import overlay

MapArrays = Union[np.ndarray, List[np.ndarray]]


def methods() -> Dict[str, str]:
    """Every CAM method igcam has: name -> one-line description, in the order "all" runs them."""
    return dict(_igcam.method_registry())


def load(path: Union[str, "os.PathLike[str]"], device: str = "auto", dtype: str = "float32",
         preprocess: Optional[str] = None) -> "Model":
    """Loads a model from a weight file, as igcam-run --weights does.

    path: an igcam HDF5 file (tools/export_torchvision.py), a Keras .h5, .weights.h5 or
        .keras file, a bare
        state-dict HDF5 dump, a .safetensors file (F32, F64, F16, BF16) or a torch.save file
        (.pth / .pt; a state dict, or a checkpoint holding one under "state_dict" or "model").
        The kind is read from the file's first bytes, not its name; pickles are read by a
        restricted unpickler that never runs code from the file.
    device: "auto" (the first usable CUDA GPU, else the CPU), "cpu", "cuda" or "cuda:N".
    dtype: "float32" (or "f32") or "float64" ("f64", for audits).
    preprocess: None for the file's own preprocessing, or a preset: "torchvision",
        "torchray-voc", "caffe-bgr", "raw".

    Raises FileNotFoundError (no such file), OSError (unreadable), igcam.WeightFileError
    (a file igcam cannot use, with the reason), ValueError (an unknown dtype, device or preset).
    """
    return Model(_igcam.load(os.fspath(path), device, dtype, preprocess))


class Layer(NamedTuple):
    """One module of a model: its dotted name ("" for the model), PyTorch's class name, its
    output shape for the input size asked for (() when it produces none of its own) and the
    values it stores: parameters and batch-norm statistics."""
    name: str
    type: str
    output_shape: Tuple[int, ...]
    parameters: int


@dataclass
class Prediction:
    """Model.predict's result for N images."""
    logits: np.ndarray          # (N, classes), pre-softmax
    probabilities: np.ndarray   # (N, classes), softmax
    top_classes: np.ndarray     # (N, k) int64, highest first (ties: the lower class first)
    top_names: List[List[str]]  # the class names of top_classes
    paths: Optional[List[str]] = None  # the image files, folders expanded; None for arrays

    def __len__(self) -> int:
        return len(self.logits)

    def __repr__(self) -> str:
        lines = [f"Prediction of {len(self)} image(s), top {self.top_classes.shape[1]}:"]
        for i, (classes, names) in enumerate(zip(self.top_classes, self.top_names)):
            best = ", ".join(f"{n} ({c}) {self.probabilities[i, c]:.4f}" for c, n in zip(classes, names))
            lines.append(f"  [{i}] {best}")
        return "\n".join(lines)


@dataclass
class IgCamAudit:
    """IG-CAM's completeness audit per image: the Riemann-Stieltjes sum of the path's
    gradients against the activation differences, which tends to y(x) - y(x'), and its
    relative gap |sum - (y(x) - y(x'))| / |y(x) - y(x')| (NaN for the middle rule)."""
    score_input: np.ndarray     # (N,) y^c(x)
    score_baseline: np.ndarray  # (N,) y^c(x')
    stieltjes_sum: np.ndarray   # (N,)
    relative_gap: np.ndarray    # (N,)
    steps: int
    riemann: str
    delta: str
    relu: str
    reduce: str


@dataclass
class Explanation:
    """Model.explain's result for N images.

    maps, upsampled and heatmaps hold one entry per method. Each is an (N, h, w) array when
    every image has the same input size, else a list of N arrays.
      maps:      the raw maps at the target layer's resolution, after each method's own ReLU,
                 before upsampling (igcam-run's .npy files), in the model's dtype;
      upsampled: the raw maps bilinearly upsampled to the model input's size
                 (F.interpolate, align_corners=False);
      heatmaps:  upsampled, then min-max normalised to [0, 1) per image (what the overlays show).
    """
    methods: List[str]
    layer: str
    layer_shape: Tuple[int, int, int]  # (K, h, w) of the target layer
    maps: Dict[str, MapArrays]
    upsampled: Dict[str, MapArrays]
    heatmaps: Dict[str, MapArrays]
    classes: np.ndarray           # (N,) int64: the class c each image's maps explain
    class_names: List[str]        # the names of classes
    scores: np.ndarray            # (N,) y^c, the pre-softmax class score
    logits: np.ndarray            # (N, classes)
    input_shapes: List[Tuple[int, int]]  # (H, W) of each model input
    paths: Optional[List[str]]    # the image files, folders expanded (sorted by name); None for arrays
    images: Optional[List[np.ndarray]]   # what the model saw of each picture (resized, cropped),
                                         # (H, W, 3) uint8; None for preprocessed inputs
    igcam: Optional[IgCamAudit]   # when "igcam" was among the methods
    traces: Optional[List[dict]]  # with trace=True: per image {"table": str, "entries": [...]}
    timings_ms: Dict[str, float] = field(default_factory=dict)  # each method's time over all images

    def __len__(self) -> int:
        return len(self.classes)

    def map(self, method: str, index: int = 0) -> np.ndarray:
        """The raw (h, w) map of one method and image."""
        return self._pick(self.maps, method, index)

    def heatmap(self, method: str, index: int = 0) -> np.ndarray:
        """The (H, W) heatmap in [0, 1) of one method and image."""
        return self._pick(self.heatmaps, method, index)

    def overlay(self, method: str, index: int = 0, colormap: str = "jet", alpha: float = 0.5) -> np.ndarray:
        """igcam-run's <stem>.<method>.png for one image, as an (H, W, 3) uint8 array: the
        heatmap through the colormap, blended over what the model saw."""
        if self.images is None:
            raise ValueError("the inputs were preprocessed arrays, so there is no picture to draw on: use "
                             "igcam.overlay(picture, explanation.map(method, index))")
        # The heatmap igcam computed in the model's dtype, as igcam-run's PNGs use it.
        return overlay(self.images[index], self.heatmap(method, index), colormap=colormap, alpha=alpha,
                       normalize=False)

    def _pick(self, arrays: Dict[str, MapArrays], method: str, index: int) -> np.ndarray:
        if method not in arrays:
            raise KeyError(f"method '{method}' was not computed (computed: {', '.join(self.methods)})")
        if not -len(self) <= index < len(self):
            raise IndexError(f"image {index} out of range ({len(self)} images)")
        return arrays[method][index]

    def __repr__(self) -> str:
        lines = [f"Explanation of {len(self)} image(s) at layer {self.layer} {self.layer_shape}, "
                 f"methods {', '.join(self.methods)}:"]
        for i in range(len(self)):
            lines.append(f"  [{i}] class {self.classes[i]} ({self.class_names[i]}), score {self.scores[i]:.6g}")
        if self.igcam is not None:
            gaps = ", ".join(f"{g:.3g}" for g in self.igcam.relative_gap)
            lines.append(f"  IG-CAM completeness gap: {gaps} ({self.igcam.steps} steps, {self.igcam.riemann} rule)")
        return "\n".join(lines)


def _progress_callback(progress) -> Optional[Callable[[int, int], None]]:
    if progress is False or progress is None:
        return None
    if callable(progress):
        return progress
    if progress is not True:
        raise TypeError(f"progress must be True, False or a callable, got {type(progress).__name__}")

    def report(done: int, total: int) -> None:
        sys.stderr.write(f"\rexplained {done}/{total} images" + ("\n" if done == total else ""))
        sys.stderr.flush()
    return report


class Model:
    """A network loaded by igcam.load: predict, list its layers, explain images.

    Every call releases the GIL while igcam computes, so other Python threads run; igcam's
    own computations run one at a time in a process."""

    def __init__(self, native: "_igcam.Model"):
        self._native = native
        self._info = native.info

    architecture: str = property(lambda self: self._info["architecture"])  # "resnet50", "vgg16_bn", ...
    num_classes: int = property(lambda self: self._info["num_classes"])
    class_names: List[str] = property(lambda self: list(self._info["class_names"]))
    default_layer: str = property(lambda self: self._info["default_layer"])
    dtype: str = property(lambda self: self._info["dtype"])
    device: str = property(lambda self: self._info["device"])
    preprocess: dict = property(lambda self: dict(self._info["preprocess"]))
    source: str = property(lambda self: self._info["source"])
    format: str = property(lambda self: self._info["format"])

    def __repr__(self) -> str:
        i = self._info
        return (f"igcam.Model({i['architecture']} ({i['variant']}), {i['num_classes']} classes, "
                f"{i['parameters']} parameters, {i['dtype']} on {i['device']}, from {i['source']} ({i['format']}))")

    def layers(self, size: Optional[Tuple[int, int]] = None) -> List[Layer]:
        """Every module in tree order, with its output shape for an input of size (H, W)
        (default: the preprocessing's crop or resize, else 224 x 224). Any name with a
        feature map is a valid layer= for explain."""
        height, width = (None, None) if size is None else size
        return [Layer(*row) for row in self._native.layers(height, width)]

    def predict(self, images: ImagesLike, topk: int = 5) -> Prediction:
        """Classifies the images (igcam-run --predict): one forward pass each.

        images: as for explain. topk: how many classes to name per image (1 .. classes)."""
        if not 1 <= int(topk) <= self.num_classes:
            raise ValueError(f"topk must lie in 1..{self.num_classes}, got {topk}")
        out = self._native.predict(normalise_images(images))
        logits = out["logits"]
        # Highest first; a stable sort of the negated logits keeps the lower class first on ties.
        top = np.argsort(-logits, axis=1, kind="stable")[:, :int(topk)]
        names = self.class_names
        return Prediction(logits, out["probabilities"], top, [[names[c] for c in row] for row in top],
                          None if out["paths"] is None else list(out["paths"]))

    def explain(self, images: ImagesLike, methods: Union[str, Sequence[str]] = ("gradcam", "igcam"),
                layer: Optional[str] = None, target: Union[None, int, str, Sequence[int]] = None,
                steps: Optional[int] = None, igcam_preset: str = "default", riemann: Optional[str] = None,
                delta: Optional[str] = None, relu: Optional[str] = None, reduce: Optional[str] = None,
                baseline: Optional[str] = None, batch: int = 0, trace: bool = False,
                progress: Union[bool, Callable[[int, int], None]] = False) -> Explanation:
        """Explains the images with CAM methods through igcam's explanation pipeline (the one
        igcam-run uses): the same maps as igcam-run's .npy files, bit for bit.

        images: a path or a list of paths (PNG or JPEG files, decoded as PIL does, or folders:
            their .png/.jpg/.jpeg files, sorted by name, as igcam-run --image); a uint8 (H, W, 3)
            RGB array, a uint8 (N, H, W, 3) array or a list of (H, W, 3) arrays (preprocessed
            as the files would be); or a float32/float64 (N, 3, H, W) or (3, H, W) array that
            is already the model's input (PyTorch tensors are accepted and copied).
        methods: names from igcam.methods(), a list or "gradcam,igcam", or "all".
        layer: the target layer's module name (Model.layers; Keras names too); None: the
            model's default (ResNet layer4, VGG features.29).
        target: None (each image's top-1 class), a class index or name for every image, or a
            sequence of one class index per image.
        steps: IG-CAM's m (default 50). igcam_preset: "default" or "notebook" (the authors'
            released notebook). riemann ("right", "left", "middle", "trapezoid"), delta
            ("baseline", "none"), relu ("per_step", "final"), reduce ("mean", "sum"):
            override the preset's rule (docs/methods.md).
        baseline: IG-CAM's x': "black" (a black picture, preprocessed; the default), "zero" (a
            zero model input; the notebook preset's default) or an image file.
        batch: images (and IG-CAM steps, Score-CAM masks, ablations) per pass; 0: automatic.
        trace: also record each image's gradient trace (every op of the backward pass).
        progress: True prints "explained D/N images" on stderr as batches finish; a callable
            is called with (images done, images) after each batch instead (it must not call
            igcam; an exception it raises stops the run and propagates).

        Raises ValueError (an unknown method, layer or class; a bad shape), TypeError (a bad
        dtype), FileNotFoundError / OSError / igcam.FileFormatError (an image file)."""
        method_list = methods if isinstance(methods, str) else ",".join(methods)
        classes: List[int] = []
        target_text = ""
        if target is None:
            pass
        elif isinstance(target, (str, int, np.integer)):
            target_text = str(target)
        else:
            classes = [int(c) for c in target]
        out = self._native.explain(normalise_images(images), method_list, layer or "", target_text, classes,
                                   igcam_preset, 0 if steps is None else int(steps), riemann or "", delta or "",
                                   relu or "", reduce or "", "" if baseline is None else os.fspath(baseline),
                                   int(batch), bool(trace), _progress_callback(progress))
        audit = out["igcam"]
        names = self.class_names
        return Explanation(
            methods=list(out["methods"]), layer=out["layer"], layer_shape=tuple(out["layer_shape"]),
            maps=dict(out["maps"]), upsampled=dict(out["upsampled"]), heatmaps=dict(out["heatmaps"]),
            classes=out["classes"], class_names=[names[c] for c in out["classes"]], scores=out["scores"],
            logits=out["logits"], input_shapes=[tuple(s) for s in out["input_shapes"]],
            paths=None if out["paths"] is None else list(out["paths"]),
            images=None if out["images"] is None else list(out["images"]),
            igcam=None if audit is None else IgCamAudit(**audit),
            traces=None if out["traces"] is None else list(out["traces"]), timings_ms=dict(out["timings_ms"]))
