#!/usr/bin/python3
"""Keras weight files written by Keras itself, with Keras's own outputs to compare against.

Usage: keras_models.py OUTDIR

Run by any python3: without TensorFlow, tf-keras and Keras 3 importable, it runs
tools/install_keras_env.sh (a virtual environment from PyPI, created once) and re-executes
itself with that environment's python. Only when the environment cannot be installed does
it write OUTDIR/keras.json = {"skipped": reason} (the C++ test then prints the reason and
ctest reports the test as skipped) and exit 0.

Builds ResNet50(weights=None) and VGG16(weights=None) with tf-keras (the Keras 2 API) and
with Keras 3, randomises every weight with a seed (He-normal kernels, uniform biases, BN
gamma/beta/moving statistics), and writes every file form igcam reads:
  tf-keras  save_weights .h5 (h5py 3: vlen strings), model.save .h5 (with optimizer state;
            /model_weights layer_names rewritten to Keras's split layer_names0..2 form),
            the Keras-1-named ResNet50 file built with h5py per docs/keras.md (fixed NULLPAD,
            *_W:0, *_running_std:0) plus the same with its variances shifted by the epsilon
            difference, a _notop file, a nested transfer-learning model
            (Sequential([ResNet50(include_top=False), GlobalAveragePooling2D(), Dense(7)])),
            VGG16 save_weights with attributes rewritten to fixed-length NULLPAD as in the
            ImageNet files;
  Keras 3   save_weights .weights.h5 (per-layer 'name' attributes), model.save .h5
            (layer_names rewritten to vlen UTF-8), the nested model in both forms, VGG16
            .weights.h5, and .keras archives (model.save) of the ResNet50, the nested model and
            VGG16, read directly; the ResNet50 archive's unzipped model.weights.h5 too.
Keras's own float32 outputs are recorded for fixed inputs (batch 2; ResNet 128x128, VGG16
224x224 as its Flatten requires): the logits (classifier_activation=None, so before the
softmax) and conv5_block3_out / block5_conv3; the same models rebuilt with floatx float64
give float64 references. Grad-CAM at conv5_block3_out is computed with tf.GradientTape for
each image's top-1 class. Everything is listed in OUTDIR/keras.json for
tests/reference/test_keras_models.cpp.
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def skip(outdir, reason):
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "keras.json"), "w") as f:
        json.dump({"skipped": reason}, f)
    print(f"keras_models.py: skipped: {reason}", flush=True)
    sys.exit(0)


def bootstrap(outdir):
    """Re-executes under the Keras virtual environment unless Keras is importable here."""
    try:
        import tensorflow  # noqa: F401
        import tf_keras  # noqa: F401
        import keras  # noqa: F401
        import PIL  # noqa: F401
        return
    except ImportError:
        pass
    if os.environ.get("IGCAM_KERAS_REEXEC"):
        skip(outdir, "the Keras environment's python cannot import tensorflow, tf_keras, keras and PIL")
    script = os.path.join(ROOT, "tools", "install_keras_env.sh")
    started = time.time()
    result = subprocess.run(["bash", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sys.stderr.write(result.stderr[-4000:])
    if result.returncode != 0:
        lines = [l for l in result.stderr.splitlines() if "cannot install" in l] or result.stderr.splitlines()[-1:]
        skip(outdir, lines[-1] if lines else f"{script} exited with {result.returncode}")
    python = result.stdout.strip().splitlines()[-1]
    print(f"keras_models.py: Keras environment ready in {time.time() - started:.0f} s: {python}", flush=True)
    os.environ["IGCAM_KERAS_REEXEC"] = "1"
    os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    bootstrap(sys.argv[1])

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import shutil  # noqa: E402
import warnings  # noqa: E402
import zipfile  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
import keras  # noqa: E402

sys.path.insert(0, HERE)
import keras_layout as kl  # noqa: E402

warnings.filterwarnings("ignore")
tf.config.threading.set_intra_op_parallelism_threads(2)
tf.config.threading.set_inter_op_parallelism_threads(1)
RESNET_SIZE, VGG_SIZE, BATCH = 128, 224, 2


# ---- models ------------------------------------------------------------------------------
def sublayers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            yield from sublayers(layer)
        else:
            yield layer


def randomize(model, seed):
    """Seeded weights for every Conv2D, Dense and BatchNormalization layer, by layer order."""
    rng = np.random.default_rng(seed)
    for layer in sublayers(model):
        weights = layer.get_weights()
        if not weights:
            continue
        kind = layer.__class__.__name__
        if kind in ("Conv2D", "Dense"):
            fan_in = int(np.prod(weights[0].shape[:-1]))
            new = [rng.normal(0.0, (2.0 / fan_in) ** 0.5, weights[0].shape),
                   rng.uniform(-0.1, 0.1, weights[1].shape)]
        elif kind == "BatchNormalization":
            shape = weights[0].shape
            new = [rng.uniform(0.5, 1.5, shape), rng.uniform(-0.2, 0.2, shape), rng.uniform(-0.2, 0.2, shape),
                   rng.uniform(0.5, 1.5, shape)]
        else:
            raise ValueError(f"unexpected weighted layer {layer.name} ({kind})")
        layer.set_weights([w.astype(np.float32) for w in new])


def build(api, arch, size, dtype="float32", top=True, nested_classes=0, epsilon=None):
    """A keras.applications model of `api` (tf_keras or keras), in floatx `dtype`."""
    # tf-keras follows floatx; Keras 3 layers follow the global dtype policy instead.
    if api is keras:
        previous, restore = keras.config.dtype_policy().name, keras.config.set_dtype_policy
        keras.config.set_dtype_policy(dtype)
    else:
        previous, restore = api.backend.floatx(), api.backend.set_floatx
        api.backend.set_floatx(dtype)
    try:
        shape = (size, size, 3)
        if nested_classes:
            base = api.applications.ResNet50(weights=None, include_top=False, input_shape=shape)
            model = api.Sequential([base, api.layers.GlobalAveragePooling2D(), api.layers.Dense(nested_classes)])
            model.build((None,) + shape)
        elif arch == "resnet50":
            kwargs = {"classifier_activation": None} if top else {}
            model = api.applications.ResNet50(weights=None, include_top=top, input_shape=shape, **kwargs)
        else:
            kwargs = {"classifier_activation": None} if top else {}
            model = api.applications.VGG16(weights=None, include_top=top, input_shape=shape, **kwargs)
        if epsilon is not None:  # the same network with another BN epsilon (Keras-1's 1e-3)
            config = model.get_config()
            for layer in config["layers"]:
                if layer["class_name"] == "BatchNormalization":
                    layer["config"]["epsilon"] = epsilon
            model = model.__class__.from_config(config)
        return model
    finally:
        restore(previous)


def outputs(api, model, x_nchw, layer=None, classes=None):
    """Keras's logits and the layer's output (NCHW), and Grad-CAM at `layer` for `classes`."""
    dtype = np.float64 if "float64" in str(model.weights[0].dtype) else np.float32
    x = tf.constant(np.transpose(x_nchw, (0, 2, 3, 1)).astype(dtype))
    if layer is None:
        return {"logits": model(x, training=False).numpy()}
    probe = api.Model(model.inputs, [model.get_layer(layer).output, model.outputs[0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        activations, logits = probe(x, training=False)
        chosen = np.argmax(logits.numpy(), axis=1) if classes is None else np.asarray(classes)
        score = tf.reduce_sum(tf.gather(logits, chosen, axis=1, batch_dims=1))
    gradients = tape.gradient(score, activations)
    alpha = tf.reduce_mean(gradients, axis=(1, 2), keepdims=True)  # (N, 1, 1, K)
    cam = tf.nn.relu(tf.reduce_sum(alpha * activations, axis=3))  # (N, h, w)
    return {"logits": logits.numpy(), layer: np.transpose(activations.numpy(), (0, 3, 1, 2)),
            "gradcam": cam.numpy()[:, None], "classes": [int(c) for c in chosen]}


# ---- file forms ---------------------------------------------------------------------------
def attribute_names(obj, key):
    return [n.decode() if isinstance(n, bytes) else str(n) for n in obj.attrs[key]]


def rewrite_names(path, group, form, layers_too=True):
    """Rewrites layer_names (and every weight_names) of `group` in another h5py form."""
    with h5py.File(path, "a") as f:
        g = f[group]
        names = attribute_names(g, "layer_names")
        kl.set_names(g, "layer_names", names, form)
        if layers_too:
            for name in names:
                kl.set_names(g[name], "weight_names", attribute_names(g[name], "weight_names")
                             if g[name].attrs["weight_names"].size else [], "fixed" if form == "split" else form)


def attribute_form(path, group="/"):
    """How layer_names is stored: "fixed NULLPAD", "vlen ascii", "vlen utf-8", or "split"."""
    with h5py.File(path, "r") as f:
        g = f[group]
        if "layer_names" not in g.attrs:
            return "split" if "layer_names0" in g.attrs else "none"
        t = g.attrs.get_id("layer_names").get_type()
        if t.is_variable_str():
            return "vlen " + ("utf-8" if t.get_cset() == h5py.h5t.CSET_UTF8 else "ascii")
        return "fixed " + {h5py.h5t.STR_NULLPAD: "NULLPAD", h5py.h5t.STR_NULLTERM: "NULLTERM"}.get(t.get_strpad(), "?")


def write_keras1(path, model, adjust_variance=False):
    """The Keras-1-named ResNet50 file (docs/keras.md) holding `model`'s values.
    With adjust_variance, running_std holds var + 1.001e-5 - 1e-3 in float64, so that
    Keras-1's epsilon 1e-3 gives exactly Keras-2's normalisation."""
    values = {}
    for layer in model.layers:
        for variable, value in zip(("kernel", "bias") if len(layer.get_weights()) == 2 else
                                   ("gamma", "beta", "moving_mean", "moving_variance"), layer.get_weights()):
            values[(kl.keras1_name(layer.name), variable)] = value
    def value(layer, variable, shape):
        v = values[(layer, variable)]
        assert v.shape == tuple(shape), (layer, variable, v.shape, shape)
        if adjust_variance and variable == "moving_variance":
            return v.astype(np.float64) + (1.001e-5 - 1e-3)
        return v
    with h5py.File(path, "w") as f:
        kl.write_legacy(f, kl.resnet50_keras1(model.outputs[0].shape[-1]), value, generation=1, form="fixed")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    started = time.time()
    manifest = {"tensorflow": tf.__version__, "tf_keras": tf_keras.__version__, "keras": keras.__version__,
                "models": [], "refusals": [], "extracted": []}
    rng = np.random.default_rng(2024)
    inputs = {}
    for size in (RESNET_SIZE, VGG_SIZE):
        x = rng.standard_normal((BATCH, 3, size, size)).astype(np.float32)
        inputs[size] = f"input_{size}.npy"
        np.save(os.path.join(out, inputs[size]), x)

    def record(name, files, api, model, arch, size, layer=None, epsilon=None, nested=0, forms=None):
        """Keras's float32 and float64 outputs of `model` for the files holding its weights."""
        x = np.load(os.path.join(out, inputs[size]))
        ref32 = outputs(api, model, x, layer)
        twin = build(api, arch, size, "float64", nested_classes=nested, epsilon=epsilon)
        twin.set_weights([w.astype(np.float64) for w in model.get_weights()])
        ref64 = outputs(api, twin, x, layer, ref32.get("classes"))
        assert ref64["logits"].dtype == np.float64 and ref32["logits"].dtype == np.float32, name
        saved = {}
        for key in ref32:
            if key == "classes":
                continue
            saved[key] = {}
            for dt, ref in (("f32", ref32), ("f64", ref64)):
                filename = f"{name}.{key}.{dt}.npy"
                np.save(os.path.join(out, filename), ref[key])
                saved[key][dt] = filename
        logits = ref64["logits"]
        top2 = np.sort(logits, axis=1)[:, -2:]
        entry = {"name": name, "files": files, "arch": arch, "classes": int(logits.shape[1]), "input": inputs[size],
                 "logits": saved.pop("logits"), "top1": [int(i) for i in np.argmax(logits, axis=1)],
                 "top1_gap": float(np.min(top2[:, 1] - top2[:, 0]) / np.max(np.abs(logits))),
                 "layers": {k: v for k, v in saved.items() if k != "gradcam"}, "forms": forms or {}}
        if layer is not None:
            entry["gradcam"] = {"layer": layer, "classes": ref32["classes"], **saved["gradcam"]}
        manifest["models"].append(entry)
        print(f"keras_models.py: {name}: {', '.join(files)} written, references recorded "
              f"({time.time() - started:.0f} s)", flush=True)

    path = lambda name: os.path.join(out, name)  # noqa: E731

    # ---- tf-keras (Keras 2 API) ----
    resnet = build(tf_keras, "resnet50", RESNET_SIZE)
    resnet.compile(optimizer=tf_keras.optimizers.SGD(1e-3, momentum=0.9), loss="mse")
    resnet.train_on_batch(np.zeros((1, RESNET_SIZE, RESNET_SIZE, 3), np.float32), np.zeros((1, 1000), np.float32))
    randomize(resnet, 1)  # after the training step: the optimizer has state, the weights are ours
    resnet.save_weights(path("tk_resnet50.h5"))
    resnet.save(path("tk_resnet50_full.h5"))  # /model_weights + /optimizer_weights
    rewrite_names(path("tk_resnet50_full.h5"), "model_weights", "split")
    forms = {f: attribute_form(path(f), g) for f, g in (("tk_resnet50.h5", "/"), ("tk_resnet50_full.h5", "model_weights"))}
    record("tk_resnet50", ["tk_resnet50.h5", "tk_resnet50_full.h5"], tf_keras, resnet, "resnet50", RESNET_SIZE,
           "conv5_block3_out", forms=forms)
    # Keras-1 names, same values: Keras computes it with epsilon 1e-3 (the Keras-1 code).
    write_keras1(path("tk_resnet50_keras1.h5"), resnet)
    write_keras1(path("tk_resnet50_keras1_shifted.h5"), resnet, adjust_variance=True)
    keras1 = build(tf_keras, "resnet50", RESNET_SIZE, epsilon=1e-3)
    keras1.set_weights(resnet.get_weights())
    record("tk_resnet50_keras1", ["tk_resnet50_keras1.h5"], tf_keras, keras1, "resnet50", RESNET_SIZE,
           "conv5_block3_out", epsilon=1e-3, forms={"tk_resnet50_keras1.h5": attribute_form(path("tk_resnet50_keras1.h5"))})
    manifest["keras1"] = {"keras1": "tk_resnet50_keras1.h5", "shifted": "tk_resnet50_keras1_shifted.h5",
                          "keras2": "tk_resnet50.h5"}
    del keras1
    notop = build(tf_keras, "resnet50", RESNET_SIZE, top=False)
    randomize(notop, 2)
    notop.save_weights(path("tk_resnet50_notop.h5"))
    manifest["refusals"].append({"file": "tk_resnet50_notop.h5", "message":
                                 "{path}: a Keras ResNet without its classifier (include_top=False, a _notop file): "
                                 "igcam explains class scores, which this file cannot give; load the file with the "
                                 "top, or a model with its own Dense head"})
    del notop, resnet
    nested = build(tf_keras, "resnet50", RESNET_SIZE, nested_classes=7)
    randomize(nested, 3)
    nested.save_weights(path("tk_nested.h5"))
    record("tk_nested", ["tk_nested.h5"], tf_keras, nested, "resnet50", RESNET_SIZE, nested=7)
    del nested
    vgg = build(tf_keras, "vgg16", VGG_SIZE)
    randomize(vgg, 4)
    vgg.save_weights(path("tk_vgg16.h5"))
    rewrite_names(path("tk_vgg16.h5"), "/", "fixed")  # as the ImageNet vgg16 file (h5py 2)
    record("tk_vgg16", ["tk_vgg16.h5"], tf_keras, vgg, "vgg16", VGG_SIZE, "block5_conv3",
           forms={"tk_vgg16.h5": attribute_form(path("tk_vgg16.h5"))})
    del vgg

    # ---- Keras 3 ----
    resnet = build(keras, "resnet50", RESNET_SIZE)
    randomize(resnet, 5)
    resnet.save_weights(path("k3_resnet50.weights.h5"))
    resnet.save(path("k3_resnet50_full.h5"))  # the legacy full-model format
    rewrite_names(path("k3_resnet50_full.h5"), "model_weights", "utf8")
    resnet.save(path("k3_resnet50.keras"))
    with zipfile.ZipFile(path("k3_resnet50.keras")) as z, open(path("k3_resnet50_unzipped.weights.h5"), "wb") as f:
        shutil.copyfileobj(z.open("model.weights.h5"), f)
    forms = {"k3_resnet50_full.h5": attribute_form(path("k3_resnet50_full.h5"), "model_weights")}
    record("k3_resnet50", ["k3_resnet50.weights.h5", "k3_resnet50_full.h5", "k3_resnet50_unzipped.weights.h5",
                           "k3_resnet50.keras"], keras, resnet, "resnet50", RESNET_SIZE, "conv5_block3_out", forms=forms)
    del resnet
    nested = build(keras, "resnet50", RESNET_SIZE, nested_classes=5)
    randomize(nested, 6)
    nested.save_weights(path("k3_nested.weights.h5"))
    nested.save(path("k3_nested_full.h5"))
    nested.save(path("k3_nested.keras"))
    record("k3_nested", ["k3_nested.weights.h5", "k3_nested_full.h5", "k3_nested.keras"], keras, nested, "resnet50",
           RESNET_SIZE, nested=5)
    del nested
    vgg = build(keras, "vgg16", VGG_SIZE)
    randomize(vgg, 7)
    vgg.save_weights(path("k3_vgg16.weights.h5"))
    vgg.save(path("k3_vgg16.keras"))
    record("k3_vgg16", ["k3_vgg16.weights.h5", "k3_vgg16.keras"], keras, vgg, "vgg16", VGG_SIZE, "block5_conv3")
    del vgg

    # ---- Keras's default preprocessing for these models: load_img + caffe mode ----
    from PIL import Image
    pixels = (np.random.default_rng(11).random((150, 200, 3)) * 255).astype(np.uint8)
    Image.fromarray(pixels).save(path("sample.png"))
    image = keras.utils.img_to_array(keras.utils.load_img(path("sample.png"), target_size=(224, 224)))
    caffe = keras.applications.resnet50.preprocess_input(image[None].copy())
    np.save(path("sample_input.npy"), np.ascontiguousarray(np.transpose(caffe, (0, 3, 1, 2)).astype(np.float32)))
    manifest["preprocess"] = {"image": "sample.png", "input": "sample_input.npy"}

    with open(path("keras.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"keras_models.py: done in {time.time() - started:.0f} s (tensorflow {tf.__version__}, tf-keras "
          f"{tf_keras.__version__}, keras {keras.__version__})", flush=True)


if __name__ == "__main__":
    main()
