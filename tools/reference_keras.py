#!/usr/bin/env python3
"""Keras/TensorFlow reference tensors for `igcam-audit`: what `igcam-run --dump` writes, from Keras.

Runs with the Python of the Keras virtual environment that tools/install_keras_env.sh
creates (TensorFlow 2.21 CPU, Keras 3.15.1, tf-keras, Pillow 9.4, h5py, numpy): that
script's last printed line is the environment's python. The workflow, three commands:

    igcam-run --weights model.h5 --image cat.png --method all --steps 50 --dump ours.h5
    PY=$(tools/install_keras_env.sh | tail -n 1)
    $PY tools/reference_keras.py --weights model.h5 --image cat.png --method all --steps 50 --out ref.h5
    igcam-audit --ours ours.h5 --reference ref.h5 --rtol 1e-4

Give both tools the same images, layer, class, methods, preprocessing and IG-CAM settings
(--steps, --riemann, --delta, --relu, --reduce, --baseline). Float32 only: compare with
an `igcam-run --dtype f32` dump (the default).

Model (--weights):
  a full Keras model: a Keras 3 .keras archive or a model.save .h5 (Keras 3 or tf-keras;
  keras.models.load_model(compile=False), falling back to tf_keras for files Keras 3
  cannot read); or a weights-only file (.weights.h5, save_weights .h5, or any of the
  above) with --arch resnet50|vgg16: keras.applications.ResNet50 / VGG16(weights=None,
  classes=N) loaded with load_weights, N read from the file's 'predictions' bias (or
  --classes N). A model with a fixed input size is rebuilt (same weights) for an image of
  another size when its layers allow it (a ResNet does; VGG16's Flatten needs 224 x 224).
  The class scores are the pre-softmax logits: a final Dense or Activation layer with a
  softmax is run with a linear activation instead, as igcam explains the pre-softmax score.

Images (--image FILE or DIR, repeatable; a directory gives its .png/.jpg/.jpeg files,
sorted): one HDF5 group per image named after the file's stem. --preprocess caffe-bgr
(default; Keras' own: keras.utils.load_img(target_size=(224, 224)), PIL NEAREST, aspect not
kept, then keras.applications.imagenet_utils.preprocess_input(mode="caffe"): RGB -> BGR,
minus (103.939, 116.779, 123.68)) or raw (the image as it is, RGB / 255). JPEG decoding is
PIL's; use PNG to rule decoder differences out.

What is computed, each image alone (docs/methods.md has the definitions):
  input (1, 3, H, W), logits (1, classes), activations A and gradients dy^c/dA
  (1, K, h, w) from tf.GradientTape, c = --class or the top-1 class; maps/<method>
  (1, 1, h, w) for each of gradcam, gradcam++, xgradcam, layercam, hirescam,
  gradcam-elementwise, eigencam, eigengradcam, fem, igcam (raw maps after the method's
  ReLU, before upsampling), computed in float64 from the float32 A and g and stored as
  float32; and with igcam the path: igcam/t (float64), igcam/step_activations and
  igcam/step_gradients (steps, K, h, w) in path order, igcam/baseline_activations.
  Keras computes in NHWC; every tensor is stored NCHW, as igcam's dump.
  Root attributes: reference ("keras 3.15.1 tensorflow 2.21.0"), layer, keras_layer,
  dtype ("f32"), options (the settings, one line); each group's attribute class (int).
  `layer` is the name igcam-run's dump records for the same layer, igcam's module name
  (igcam-audit compares the two): with no --layer "layer4" for a ResNet (igcam's default,
  its last stage = conv5_block3_out) and "features.29" for VGG16 (block5_conv3); with
  --layer conv5_block3_out "layer4.2", conv4_block6_1_conv "layer3.5.conv1", ... as
  igcam's Keras aliases; a layer igcam has no module for keeps its Keras name.
  `keras_layer` is the Keras layer used. --out FILE.npz writes numpy.savez's layout
  instead, keys "<stem>/input", "<stem>/maps/gradcam", ...; the attributes go in the
  archive's comment as one line "reference=...; layer=...; ...; <stem>/class=3".
  Score-CAM and Ablation-CAM (model reruns) are not computed.

IG-CAM (the defaults are igcam-run's): --steps m (50); --riemann right (t_j = j/m,
j = 1..m), left (j = 0..m-1), middle ((j + 1/2)/m) or trapezoid (j = 0..m, weights 1/(2m)
at both ends); --delta baseline (A(x_j) - A(x')) or none; --relu per_step or final;
--reduce mean (weights 1/m) or sum (weights 1, trapezoid the same pattern times m);
--baseline black (a black image preprocessed: caffe-bgr -(103.939, 116.779, 123.68),
raw 0), zero (a zero model input) or an image file (preprocessed as the inputs).
x_j = x' + t_j (x - x') is formed in float32. Each line printed gives the image's class,
y^c(x), y^c(x') and the completeness gap |sum_j sum g(x_j).(A(x_j) - A(x_j-1)) -
(y^c(x) - y^c(x'))| / |y^c(x) - y^c(x')| (as igcam's report; NaN for middle).

Other flags: --batch N path points per forward/backward pass (default 8; the numbers do
not depend on it beyond rounding), --threads N TensorFlow's intra-op threads.
TF_ENABLE_ONEDNN_OPTS defaults to 0 here (TensorFlow's plain float32 kernels); KERAS_BACKEND
is set to tensorflow.

Exit status: 0 written; 2 a usage error (a bad flag, an unknown layer, method or class, an
image size the model cannot take); 3 a file that cannot be read (weights, images) or
written; 4 anything else. An error is one line "error: ..." on stderr, and nothing is
written then (the output goes to a temporary file beside --out, renamed into place at the
end).
"""
import argparse
import io
import os
import re
import sys
import tempfile
import time
import zipfile

METHODS = ["gradcam", "gradcam++", "xgradcam", "layercam", "hirescam", "gradcam-elementwise", "eigencam",
           "eigengradcam", "fem", "igcam"]
NOT_HERE = {"scorecam", "ablationcam"}
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
# igcam's default target layers for keras.applications models (models/architecture.cpp's
# default_target_layer through keras_layer_alias): a ResNet's last block output, VGG's
# last conv (Keras fuses its ReLU).
DEFAULT_LAYERS = {"resnet50": "conv5_block3_out", "vgg16": "block5_conv3"}

EXIT_USAGE, EXIT_BAD_INPUT, EXIT_RUNTIME = 2, 3, 4


class Failure(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def usage(message):
    return Failure(EXIT_USAGE, message)


def bad_input(message):
    return Failure(EXIT_BAD_INPUT, message)


def one_line(text):
    return " ".join(str(text).split())


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse would print the usage too)
        raise usage(message)


def parse_args(argv):
    p = Parser(prog="reference_keras.py", description="Keras/TensorFlow reference tensors for igcam-audit "
               "(the tensors of igcam-run --dump, from Keras). See the module docstring for the workflow.",
               formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--weights", required=True, help="Keras model (.keras, model.save .h5) or, with --arch, a "
                   "weights file (.weights.h5, save_weights .h5)")
    p.add_argument("--arch", choices=sorted(DEFAULT_LAYERS), help="build keras.applications ResNet50/VGG16"
                   "(weights=None) and load --weights into it")
    p.add_argument("--classes", type=int, help="with --arch: the classifier's classes (default: read from the file)")
    p.add_argument("--image", action="append", required=True, help="image file or directory; repeatable")
    p.add_argument("--layer", help="target layer, a Keras layer name (default conv5_block3_out for a ResNet, "
                   "block5_conv3 for VGG16, as igcam)")
    p.add_argument("--method", default="gradcam,igcam", help="comma-separated: " + ", ".join(METHODS) +
                   ", or all (default gradcam,igcam)")
    p.add_argument("--class", dest="target_class", type=int, help="target class index (default: each image's top-1)")
    p.add_argument("--preprocess", choices=["caffe-bgr", "raw"], default="caffe-bgr")
    p.add_argument("--steps", type=int, default=50, help="IG-CAM steps m (default 50)")
    p.add_argument("--riemann", choices=["right", "left", "middle", "trapezoid"], default="right")
    p.add_argument("--delta", choices=["baseline", "none"], default="baseline")
    p.add_argument("--relu", choices=["per_step", "final"], default="per_step")
    p.add_argument("--reduce", choices=["mean", "sum"], default="mean")
    p.add_argument("--baseline", default="black", help="black, zero or an image file (default black)")
    p.add_argument("--batch", type=int, default=8, help="IG-CAM path points per forward/backward pass (default 8)")
    p.add_argument("--threads", type=int, help="TensorFlow intra-op threads (default: TensorFlow's own)")
    p.add_argument("--dtype", choices=["f32"], default="f32", help="f32 only")
    p.add_argument("--out", required=True, help="output file: .h5 / .hdf5 (HDF5) or .npz (numpy.savez)")
    a = p.parse_args(argv)

    names = [m.strip() for m in a.method.split(",") if m.strip()]
    if not names:
        raise usage("--method: no method given")
    if "all" in names:
        names = list(METHODS)
    for m in names:
        if m in NOT_HERE:
            raise usage(f"--method {m}: this reference does not compute {m} (it reruns the model); "
                        f"choose from {', '.join(METHODS)}")
        if m not in METHODS:
            raise usage(f"--method: unknown method '{m}' (known: {', '.join(METHODS)}, all)")
    a.methods = [m for m in METHODS if m in names]
    if a.steps < 1:
        raise usage(f"--steps must be >= 1, got {a.steps}")
    if a.threads is not None and a.threads < 1:
        raise usage(f"--threads must be >= 1, got {a.threads}")
    if a.batch < 1:
        raise usage(f"--batch must be >= 1, got {a.batch}")
    if a.target_class is not None and a.target_class < 0:
        raise usage(f"--class must be >= 0, got {a.target_class}")
    if a.classes is not None and a.classes < 1:
        raise usage(f"--classes must be >= 1, got {a.classes}")
    if a.classes is not None and not a.arch:
        raise usage("--classes goes with --arch")
    ext = os.path.splitext(a.out)[1].lower()
    if ext not in (".h5", ".hdf5", ".npz"):
        raise usage(f"--out {a.out}: expected a .h5, .hdf5 or .npz file name")
    a.npz = ext == ".npz"
    if not os.path.isfile(a.weights):
        raise bad_input(f"{a.weights}: no such file")
    if a.baseline not in ("black", "zero") and not os.path.isfile(a.baseline):
        raise bad_input(f"--baseline {a.baseline}: expected black, zero or an image file; no such file")
    a.images = collect_images(a.image)
    stems = {}
    for path in a.images:
        stem = os.path.splitext(os.path.basename(path))[0]
        if stem in stems:
            raise usage(f"two input images share the name '{stem}' ({stems[stem]}, {path}); their groups would collide")
        stems[stem] = path
    a.stems = list(stems)
    return a


def collect_images(arguments):
    """Files as given, directories as their sorted .png/.jpg/.jpeg files (as igcam-run)."""
    paths = []
    for argument in arguments:
        if os.path.isdir(argument):
            found = sorted(os.path.join(argument, n) for n in os.listdir(argument)
                           if n.lower().endswith(IMAGE_EXTENSIONS) and os.path.isfile(os.path.join(argument, n)))
            if not found:
                raise bad_input(f"{argument}: the directory holds no .png, .jpg or .jpeg files")
            paths.extend(found)
        elif os.path.exists(argument):
            paths.append(argument)
        else:
            raise bad_input(f"{argument}: no such file or directory")
    return paths


# ---- everything below needs TensorFlow and Keras --------------------------------------------
def import_backend():
    os.environ["KERAS_BACKEND"] = "tensorflow"  # GradientTape needs Keras on TensorFlow
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # plain float32 kernels, no oneDNN reordering
    import warnings
    warnings.filterwarnings("ignore")
    global np, tf, keras, h5py
    try:
        import numpy as np
        import h5py
        import tensorflow as tf
        import keras
    except ImportError as e:
        raise Failure(EXIT_RUNTIME, f"{e} (run this script with the python that tools/install_keras_env.sh prints)")
    import logging
    logging.getLogger("absl").setLevel(logging.ERROR)
    tf.get_logger().setLevel(logging.ERROR)
    if int(keras.__version__.split(".")[0]) < 3:
        raise Failure(EXIT_RUNTIME, f"Keras {keras.__version__}: this script needs Keras 3 "
                      "(the environment of tools/install_keras_env.sh)")


def tf_keras_module():
    import tf_keras
    return tf_keras


def is_model(layer):
    return hasattr(layer, "layers") and hasattr(layer, "inputs")


def all_layer_names(model):
    for layer in model.layers:
        yield layer.name
        if is_model(layer):
            yield from all_layer_names(layer)


def output_layer(model):
    """The layer that makes the model's (single) output."""
    if len(model.outputs) != 1:
        raise usage(f"the model has {len(model.outputs)} outputs; igcam explains one classifier output")
    history = getattr(model.outputs[0], "_keras_history", None)
    layer = None
    if history is not None:
        layer = getattr(history, "operation", None) or getattr(history, "layer", None)
        if layer is None and isinstance(history, tuple):
            layer = history[0]
    return layer if layer is not None else model.layers[-1]


def drop_softmax(model):
    """Runs a final softmax as identity: the class scores are the logits. Returns a note."""
    layer = output_layer(model)
    while is_model(layer):
        layer = output_layer(layer)
    kind = layer.__class__.__name__
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", str(activation))
    if kind == "Softmax":
        layer.call = lambda inputs, *args, **kwargs: inputs
        return f"{layer.name} (Softmax) taken out: pre-softmax logits"
    if activation is not None and name == "softmax":
        api = keras if isinstance(layer, keras.layers.Layer) else tf_keras_module()
        layer.activation = api.activations.linear
        return f"{layer.name} ({kind}) run with a linear activation: pre-softmax logits"
    return f"{layer.name} ({kind}, activation {name}): its output taken as the class scores"


def api_of(model):
    return keras if isinstance(model, keras.Model) else tf_keras_module()


def split_runner(model, layer_name):
    """f(x) -> (A, scores): the layer's output and the model's output, one call, on the tape."""
    api = api_of(model)
    top = [layer for layer in model.layers if layer.name == layer_name]
    if top:
        layer = top[0]
        if is_model(layer):
            raise usage(f"--layer {layer_name} is a nested model; name one of its layers")
        probe = api.Model(model.inputs, [layer.output, model.outputs[0]])
        return lambda x: probe(x, training=False)
    for i, inner in enumerate(model.layers):
        if is_model(inner) and layer_name in set(all_layer_names(inner)):
            if not isinstance(model, api.Sequential):
                raise usage(f"--layer {layer_name} lies in the nested model {inner.name} of a functional model; "
                            "only a Sequential model's nested base (transfer learning) is supported")
            inner_run = split_runner(inner, layer_name)
            before, after = model.layers[:i], model.layers[i + 1:]

            def run(x):
                h = x
                for layer in before:
                    h = layer(h, training=False)
                a, h = inner_run(h)
                for layer in after:
                    h = layer(h, training=False)
                return a, h
            return run
    raise usage(f"--layer {layer_name}: no such layer in the model")


def default_layer(model, arch):
    if arch:
        return DEFAULT_LAYERS[arch]
    names = list(all_layer_names(model))
    blocks = [(int(m.group(1)), int(m.group(2)), n) for n in names
              for m in [re.fullmatch(r"conv(\d)_block(\d+)_out", n)] if m]
    if blocks:
        return max(blocks)[2]
    convs = [(int(m.group(1)), int(m.group(2)), n) for n in names
             for m in [re.fullmatch(r"block(\d+)_conv(\d+)", n)] if m]
    if convs:
        return max(convs)[2]
    raise usage("the model is neither a Keras ResNet nor a VGG (no conv*_block*_out or block*_conv* layer): "
                "give --layer")


def flat_layers(model):
    for layer in model.layers:
        if is_model(layer):
            yield from flat_layers(layer)
        else:
            yield layer


def igcam_layer_name(model, name, defaulted):
    """The name igcam-run writes as its dump's `layer` for this Keras layer (igcam's module
    name, models/keras_load.cpp's keras_layer_alias; the default is default_target_layer's,
    "layer4" for a ResNet), so that igcam-audit's layer check compares like with like.
    A layer igcam has no module for keeps its Keras name."""
    names = [layer.name for layer in flat_layers(model)]
    stages = [int(m.group(1)) for n in names for m in [re.fullmatch(r"conv(\d)_block\d+_out", n)] if m]
    if stages:  # a keras.applications ResNet (Keras-2 names)
        if defaulted:
            return f"layer{max(stages) - 1}"
        fixed = {"conv1_conv": "conv1", "conv1_bn": "bn1", "conv1_relu": "relu", "pool1_pool": "maxpool",
                 "avg_pool": "avgpool", "predictions": "fc"}
        if name in fixed:
            return fixed[name]
        m = re.fullmatch(r"conv(\d)_block(\d+)_(out|([0-3])_(conv|bn))", name)
        if not m:
            return name
        module = f"layer{int(m.group(1)) - 1}.{int(m.group(2)) - 1}"
        if m.group(3) == "out":
            return module
        i = int(m.group(4))
        if m.group(5) == "conv":
            return f"{module}.downsample.0" if i == 0 else f"{module}.conv{i}"
        return f"{module}.downsample.1" if i == 0 else f"{module}.bn{i}"
    # a keras.applications VGG: torchvision's features indices (conv, its ReLU; pools), fused in Keras
    index, features = 0, {}
    for layer in flat_layers(model):
        kind = layer.__class__.__name__
        if re.fullmatch(r"block\d+_conv\d+", layer.name) and kind == "Conv2D":
            features[layer.name] = f"features.{index + 1}"
            index += 2
        elif re.fullmatch(r"block\d+_pool", layer.name) and kind == "MaxPooling2D":
            features[layer.name] = f"features.{index}"
            index += 1
    features.update({"fc1": "classifier.1", "fc2": "classifier.4", "predictions": "classifier.6"})
    return features.get(name, name) if any(n.startswith("block") for n in features) else name


def input_shape_of(model):
    shape = model.inputs[0].shape
    return tuple(None if d is None else int(d) for d in shape)


def with_input_size(model, height, width):
    """The same model and weights for (height, width) inputs, when its input size is fixed."""
    shape = input_shape_of(model)
    if len(shape) != 4 or shape[3] != 3:
        raise usage(f"the model's input is {shape}; expected (batch, height, width, 3)")
    if shape[1] in (None, height) and shape[2] in (None, width):
        return model
    config = model.get_config()

    def resize(node):
        if isinstance(node, dict):
            if node.get("class_name") == "InputLayer":
                c = node.get("config", {})
                for key in ("batch_shape", "batch_input_shape"):
                    if c.get(key) is not None and len(c[key]) == 4:
                        c[key] = [c[key][0], height, width, c[key][3]]
            for key in ("build_input_shape",):
                if isinstance(node.get(key), (list, tuple)) and len(node[key]) == 4:
                    node[key] = [node[key][0], height, width, node[key][3]]
            for v in node.values():
                resize(v)
        elif isinstance(node, list):
            for v in node:
                resize(v)
    resize(config)
    try:
        rebuilt = model.__class__.from_config(config)
        rebuilt.set_weights(model.get_weights())
    except Exception as e:
        raise usage(f"the model takes {shape[1]}x{shape[2]} inputs and cannot be rebuilt for the "
                    f"{height}x{width} input ({one_line(e)[:300]})")
    return rebuilt


def classes_in_file(path):
    """The length of the 'predictions' layer's bias in a Keras weight file (legacy .h5 names,
    Keras 3 .weights.h5 'name' attributes, or a .keras archive's model.weights.h5), or None."""
    found = []

    def visit(name, obj):
        if not isinstance(obj, h5py.Dataset) or obj.ndim != 1:
            return
        parts = name.split("/")
        named = [obj.parent.attrs.get("name", b"")]
        named = [n.decode() if isinstance(n, bytes) else str(n) for n in named]
        if any(p.startswith("predictions") for p in parts[:-1] + named) and ("bias" in parts[-1] or parts[-1] == "1"):
            found.append(int(obj.shape[0]))
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z, z.open("model.weights.h5") as member:
                with h5py.File(io.BytesIO(member.read()), "r") as f:
                    f.visititems(visit)
        else:
            with h5py.File(path, "r") as f:
                f.visititems(visit)
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
    return found[0] if found else None


class Models:
    """The model per input size (a fixed-size model is rebuilt for another size)."""

    def __init__(self, args):
        self.args = args
        self.cache = {}
        self.note = ""
        self.base = None
        self.igcam_layer = None
        if not args.arch:
            self.base = self.load_full(args.weights)
        else:
            self.classes = args.classes or classes_in_file(args.weights)
            if self.classes is None:
                raise usage(f"{args.weights}: cannot read the number of classes (no 'predictions' bias): "
                            "give --classes")

    def load_full(self, path):
        errors = []
        for api_name in ("keras", "tf_keras"):
            try:
                api = keras if api_name == "keras" else tf_keras_module()
                return api.models.load_model(path, compile=False)
            except Exception as e:  # noqa: BLE001 -- reported below
                errors.append(f"{api_name}: {one_line(e)[:200]}")
        if path.lower().endswith((".h5", ".hdf5")):
            try:
                with h5py.File(path, "r") as f:
                    if "model_config" not in f.attrs:
                        raise usage(f"{path} holds weights only (no model config): give --arch resnet50 or vgg16")
            except OSError:
                pass
        raise bad_input(f"{path}: cannot load it as a Keras model ({'; '.join(errors)})")

    def build(self, height, width):
        if self.args.arch == "vgg16" and (height, width) != (224, 224):
            raise usage(f"--arch vgg16 takes 224x224 inputs (its Flatten feeds fc1), but the image gives "
                        f"{height}x{width}; use --preprocess caffe-bgr or a 224x224 image")
        errors = []
        for api_name in ("keras", "tf_keras"):
            api = keras if api_name == "keras" else tf_keras_module()
            build = api.applications.ResNet50 if self.args.arch == "resnet50" else api.applications.VGG16
            try:
                model = build(weights=None, classes=self.classes, input_shape=(height, width, 3))
            except Exception as e:  # noqa: BLE001
                raise usage(f"--arch {self.args.arch}: cannot build it for {height}x{width} inputs "
                            f"({one_line(e)[:200]})")
            try:
                model.load_weights(self.args.weights)
                return model
            except Exception as e:  # noqa: BLE001
                errors.append(f"{api_name}: {one_line(e)[:200]}")
        raise bad_input(f"{self.args.weights}: cannot load it into keras.applications {self.args.arch}"
                        f"(weights=None, classes={self.classes}, input {height}x{width}) ({'; '.join(errors)})")

    def get(self, height, width):
        key = (height, width)
        if key not in self.cache:
            model = self.build(height, width) if self.args.arch else with_input_size(self.base, height, width)
            for w in model.weights:
                if "float32" not in str(w.dtype):
                    raise usage(f"{self.args.weights}: the model holds {w.dtype} weights ({w.name}); this "
                                "reference computes in float32 only")
            note = drop_softmax(model)
            self.note = self.note or note  # a model reused for another size keeps its first note
            if self.args.layer is None:
                self.args.layer = default_layer(model, self.args.arch)
                self.igcam_layer = igcam_layer_name(model, self.args.layer, defaulted=True)
            elif self.igcam_layer is None:
                self.igcam_layer = igcam_layer_name(model, self.args.layer, defaulted=False)
            self.reference = (f"{'keras' if api_of(model) is keras else 'tf_keras'} "
                              f"{api_of(model).__version__} tensorflow {tf.__version__}")
            self.cache[key] = (model, split_runner(model, self.args.layer))
        return self.cache[key]


# ---- preprocessing ---------------------------------------------------------------------------
def preprocess(path, preset):
    """(1, H, W, 3) float32, as the model takes it (NHWC)."""
    try:
        if preset == "caffe-bgr":
            image = keras.utils.load_img(path, target_size=(224, 224))  # interpolation="nearest"
        else:
            image = keras.utils.load_img(path)
        pixels = keras.utils.img_to_array(image, dtype="float32")[None]
    except Exception as e:  # noqa: BLE001
        reason = "not an image PIL can read" if type(e).__name__ == "UnidentifiedImageError" else one_line(e)[:200]
        raise bad_input(f"{path}: cannot read the image ({reason})")
    if preset == "caffe-bgr":
        from keras.applications import imagenet_utils
        return np.ascontiguousarray(imagenet_utils.preprocess_input(pixels.copy(), mode="caffe"), dtype=np.float32)
    return (pixels.astype(np.float64) * (1.0 / 255.0)).astype(np.float32)  # igcam: pixel * scale in double


def make_baseline(args, x):
    if args.baseline == "zero":
        return np.zeros_like(x)
    if args.baseline == "black":
        if args.preprocess == "caffe-bgr":
            values = [(0.0 * 1.0 - m) / 1.0 for m in CAFFE_MEAN_BGR]  # the model's (BGR) order
        else:
            values = [0.0, 0.0, 0.0]
        return np.broadcast_to(np.asarray(values, np.float64), x.shape).astype(np.float32)
    b = preprocess(args.baseline, args.preprocess)
    if b.shape != x.shape:
        raise bad_input(f"{args.baseline}: the baseline image becomes {nchw_shape(b.shape)} after preprocessing, "
                        f"but the input is {nchw_shape(x.shape)}; use a baseline that preprocesses to the input's size")
    return b


def nchw_shape(shape):
    return f"({shape[0]}, {shape[3]}, {shape[1]}, {shape[2]})"


def nchw(t):
    return np.ascontiguousarray(np.transpose(np.asarray(t), (0, 3, 1, 2)))


# ---- Keras: activations, scores, gradients ------------------------------------------------
def forward(run, x):
    a, y = run(tf.constant(x))
    return a.numpy(), y.numpy()


def layer_and_gradients(run, x, target, layer, classes=None):
    """A, the scores and dy^c/dA for the rows of x (N, H, W, 3), one forward and one backward.
    target None: each row's top-1 class; `classes` receives the classes used."""
    with tf.GradientTape() as tape:
        a, y = run(tf.constant(x))
        if len(y.shape) != 2:
            raise usage(f"the model's output is {tuple(y.shape)}; expected (batch, classes)")
        if target is None:
            target = int(np.argmax(y.numpy()[0]))
        elif target >= y.shape[1]:
            raise usage(f"--class {target}: the model has {y.shape[1]} classes (0..{y.shape[1] - 1})")
        if classes is not None:
            classes.append(target)
        score = tf.reduce_sum(y[:, target])
    if len(a.shape) != 4:
        raise usage(f"--layer {layer}: its output is {tuple(a.shape)}; CAM methods need a (N, h, w, K) feature map")
    g = tape.gradient(score, a)
    if g is None:
        raise usage(f"--layer {layer}: the class score does not depend on it")
    return a.numpy(), y.numpy(), g.numpy()


# ---- the methods (docs/methods.md), on NCHW arrays (1, K, h, w), in float64 ----------------
def relu(v):
    return np.maximum(v, 0.0)


def weighted(w, a):
    return np.sum(w * a, axis=1, keepdims=True)


def principal_projection(m):
    """m (K, h, w): the centred (positions x channels) matrix on its first principal component,
    signed to correlate positively with the channel sum of m (uncentred)."""
    k, h, w = m.shape
    x = m.reshape(k, h * w).T  # (P, K)
    centred = x - x.mean(axis=0, keepdims=True)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    projection = u[:, 0] * s[0]
    if np.dot(x.sum(axis=1), projection) < 0:
        projection = -projection
    return projection.reshape(1, 1, h, w)


def compute_maps(methods, a32, g32):
    a, g = a32.astype(np.float64), g32.astype(np.float64)
    maps = {}
    for m in methods:
        if m == "gradcam":
            maps[m] = relu(weighted(g.mean(axis=(2, 3), keepdims=True), a))
        elif m == "gradcam++":
            g2, g3 = g * g, g * g * g
            denominator = 2.0 * g2 + a.sum(axis=(2, 3), keepdims=True) * g3 + 1e-6
            alphas = g2 / denominator  # 0 where g = 0
            maps[m] = relu(weighted(np.sum(alphas * relu(g), axis=(2, 3), keepdims=True), a))
        elif m == "xgradcam":
            w = np.sum(g * a, axis=(2, 3), keepdims=True) / (a.sum(axis=(2, 3), keepdims=True) + 1e-7)
            maps[m] = relu(weighted(w, a))
        elif m == "layercam":
            maps[m] = relu(np.sum(relu(g) * a, axis=1, keepdims=True))
        elif m == "hirescam":
            maps[m] = relu(np.sum(g * a, axis=1, keepdims=True))
        elif m == "gradcam-elementwise":
            maps[m] = np.sum(relu(g * a), axis=1, keepdims=True)
        elif m == "eigencam":
            maps[m] = relu(principal_projection(a[0]))
        elif m == "eigengradcam":
            maps[m] = relu(principal_projection((g * a)[0]))
        elif m == "fem":
            mean = a.mean(axis=(2, 3), keepdims=True)
            std = a.std(axis=(2, 3), keepdims=True)  # population (ddof 0)
            w = np.mean(a > mean + 2.0 * std, axis=(2, 3), keepdims=True)
            maps[m] = relu(weighted(w, a))
    return maps


def path_points(args):
    m = args.steps
    first = 1 if args.riemann == "right" else 0
    last = m if args.riemann in ("right", "trapezoid") else m - 1
    t, w = [], []
    for j in range(first, last + 1):
        t.append((j + 0.5) / m if args.riemann == "middle" else j / m)
        end = args.riemann == "trapezoid" and j in (0, m)
        w.append((0.5 if end else 1.0) / m)
    if args.reduce == "sum":
        w = [v * m for v in w]
    return np.asarray(t, np.float64), np.asarray(w, np.float64)


def integrated_gradcam(args, run, x, xb, target, a_input, score_input):
    """IG-CAM along x' -> x: the map, the steps' tensors (NCHW), A(x'), y^c(x'), the audit gap."""
    t, weights = path_points(args)
    a_base, y_base = forward(run, xb)
    a_base = nchw(a_base)
    rows_a, rows_g = [], []
    for begin in range(0, len(t), args.batch):
        tj = t[begin:begin + args.batch].astype(np.float32).reshape(-1, 1, 1, 1)
        points = xb + tj * (x - xb)  # float32, as igcam forms them
        a, _, g = layer_and_gradients(run, points, target, args.layer)
        rows_a.append(nchw(a))
        rows_g.append(nchw(g))
    step_a, step_g = np.concatenate(rows_a), np.concatenate(rows_g)
    a64, g64, base64 = step_a.astype(np.float64), step_g.astype(np.float64), a_base.astype(np.float64)
    alpha = g64.mean(axis=(2, 3), keepdims=True)
    delta = a64 - base64 if args.delta == "baseline" else a64
    terms = np.sum(alpha * delta, axis=1, keepdims=True)  # (steps, 1, h, w)
    if args.relu == "per_step":
        terms = relu(terms)
    cam = np.sum(terms * weights.reshape(-1, 1, 1, 1), axis=0, keepdims=True)
    if args.relu == "final":
        cam = relu(cam)

    # The Riemann-Stieltjes sum of g along the path (igcam's completeness audit).
    score_base = float(y_base[0, target])
    inner = lambda gg, da: float(np.sum(gg * da))  # noqa: E731
    if args.riemann == "middle":
        total = float("nan")
    elif args.riemann == "right":
        previous = np.concatenate([base64, a64[:-1]])
        total = sum(inner(g64[j], a64[j] - previous[j]) for j in range(len(t)))
    else:
        total = sum(inner(g64[j - 1] if args.riemann == "left" else 0.5 * (g64[j - 1] + g64[j]), a64[j] - a64[j - 1])
                    for j in range(1, len(t)))
        if args.riemann == "left":
            total += inner(g64[-1], a_input.astype(np.float64)[0] - a64[-1])
    change = score_input - score_base
    gap = abs(total - change) / max(abs(change), 1e-12)
    return cam, t, step_a, step_g, a_base, score_base, gap


# ---- the run ---------------------------------------------------------------------------------
def explain(args, models, path, stem):
    x = preprocess(path, args.preprocess)
    _, run = models.get(x.shape[1], x.shape[2])
    chosen = []
    a, y, g = layer_and_gradients(run, x, args.target_class, args.layer, chosen)
    target = chosen[0]
    a, g = nchw(a), nchw(g)
    group = {"input": nchw(x), "logits": y.astype(np.float32), "activations": a, "gradients": g}
    maps = compute_maps([m for m in args.methods if m != "igcam"], a, g)
    line = f"{stem}: class {target}, y^c {float(y[0, target]):.6g}"
    if "igcam" in args.methods:
        xb = make_baseline(args, x)
        cam, t, step_a, step_g, a_base, score_base, gap = integrated_gradcam(
            args, run, x, xb, target, a, float(y[0, target]))
        maps["igcam"] = cam
        group.update({"igcam/t": t, "igcam/step_activations": step_a, "igcam/step_gradients": step_g,
                      "igcam/baseline_activations": a_base})
        line += f", y^c(x') {score_base:.6g}, IG-CAM completeness gap {gap:.3g}"
    for m in args.methods:
        group["maps/" + m] = maps[m].astype(np.float32)
    return group, target, line


class H5Writer:
    """One group per image, written as each image is done; the root attributes at the end."""

    def __init__(self, path):
        self.file = h5py.File(path, "w")

    def add(self, stem, tensors, target):
        group = self.file.create_group(stem)
        group.attrs["class"] = np.int64(target)
        for name, value in tensors.items():
            group.create_dataset(name, data=value)

    def close(self, attributes):
        for key, value in attributes.items():  # fixed-length ASCII, as igcam's own dump
            self.file.attrs[key] = np.bytes_(value)
        self.file.close()

    def abandon(self):
        self.file.close()


class NpzWriter:
    """numpy.savez's layout (a zip of "<key>.npy" members, float arrays only), one member at
    a time; the attributes, which a .npz has no place for, go in the archive's comment as one
    line of key=value pairs ("reference=...; layer=...; cat/class=3"), as
    tools/reference_torch.py writes them."""

    def __init__(self, path):
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self.notes = []

    def member(self, key, array):
        with self.zip.open(key + ".npy", "w", force_zip64=True) as f:
            np.lib.format.write_array(f, np.asanyarray(array), allow_pickle=False)

    def add(self, stem, tensors, target):
        self.notes.append(f"{stem}/class={int(target)}")
        for name, value in tensors.items():
            self.member(f"{stem}/{name}", value)

    def close(self, attributes):
        notes = [f"{key}={value}" for key, value in attributes.items()] + self.notes
        self.zip.comment = "; ".join(notes).encode("ascii", "replace")[:65535]
        self.zip.close()

    def abandon(self):
        self.zip.close()


class StagedOutput:
    """A writer for --out that writes beside it under a temporary name, renamed over it only
    once everything is written: a failed or interrupted run leaves no partial file."""

    def __init__(self, target, npz):
        directory = os.path.dirname(os.path.abspath(target))
        if not os.path.isdir(directory):
            raise bad_input(f"{target}: the directory {directory} does not exist")
        self.target = target
        try:
            fd, self.temporary = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(target) + ".",
                                                  suffix=".tmp")
            os.close(fd)
        except OSError as e:
            raise bad_input(f"{target}: cannot write in {directory}: {e.strerror}")
        self.writer = None
        try:
            self.writer = (NpzWriter if npz else H5Writer)(self.temporary)
        except Exception:
            self.discard()
            raise

    def commit(self, attributes):
        try:
            self.writer.close(attributes)
            self.writer = None
            umask = os.umask(0)  # mkstemp's file is private (0600); give it a new file's permissions
            os.umask(umask)
            os.chmod(self.temporary, 0o666 & ~umask)
            os.replace(self.temporary, self.target)
        except OSError as e:
            raise bad_input(f"{self.target}: cannot write ({one_line(e)})")
        finally:
            self.discard()

    def discard(self):
        if self.writer is not None:
            try:
                self.writer.abandon()
            except Exception:  # noqa: BLE001 -- already failing
                pass
            self.writer = None
        if os.path.exists(self.temporary):
            os.remove(self.temporary)


def main(argv):
    started = time.time()
    args = parse_args(argv)
    import_backend()
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    models = Models(args)
    output = StagedOutput(args.out, args.npz)
    try:
        for path, stem in zip(args.images, args.stems):
            group, target, line = explain(args, models, path, stem)
            try:
                output.writer.add(stem, group, target)
            except OSError as e:
                raise bad_input(f"{args.out}: cannot write ({one_line(e)})")
            del group
            print(line, flush=True)
        options = (f"weights={os.path.basename(args.weights)} arch={args.arch or 'from the file'} "
                   f"keras_layer={args.layer} preprocess={args.preprocess} methods={','.join(args.methods)} "
                   f"steps={args.steps} riemann={args.riemann} delta={args.delta} relu={args.relu} "
                   f"reduce={args.reduce} baseline={args.baseline} logits: {models.note}")
        attributes = {"reference": models.reference, "layer": models.igcam_layer, "keras_layer": args.layer,
                      "dtype": "f32", "options": options}
        output.commit(attributes)
    finally:
        output.discard()
    print(f"reference_keras.py: wrote {args.out}: {len(args.images)} image(s), {','.join(args.methods)}, Keras layer "
          f"{args.layer} (igcam's {models.igcam_layer}), f32; {models.note}; {models.reference}; "
          f"{time.time() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Failure as e:
        print(f"error: {one_line(e)}", file=sys.stderr)
        sys.exit(e.code)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 -- one line, never a traceback
        print(f"error: {type(e).__name__}: {one_line(e)[:500]}", file=sys.stderr)
        sys.exit(EXIT_RUNTIME)
