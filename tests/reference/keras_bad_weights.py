#!/usr/bin/python3
"""Keras-layout weight files built with h5py alone (no Keras needed): valid forms that
must load to identical parameters, and malformed files each paired with the exact error.

Usage: keras_bad_weights.py OUTDIR

The files follow the layouts of docs/keras.md (via keras_layout.py). To stay small,
only a few datasets hold values (conv1_conv, conv1_bn, conv2_block1_0_conv, the classifier,
a corner of VGG16's fc1); every other dataset is chunked and never written, so it reads as
zeros and takes no space. Writes OUTDIR/cases.json:
  "valid":  [{"file", "form", "arch", "classes", "eps", "format"}] (all must load; the
            parameters of every ResNet50 form must equal those of good_k2_vlen.h5)
  "expect": .npy files with the igcam-layout tensors numpy computes from the Keras ones
  "cases":  [{"file", "kind": "format"|"io", "message"}], {path} standing for the file path
tests/models/test_keras_weights.cpp checks them.
"""
import json
import os
import shutil
import sys
import zipfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_layout as kl  # noqa: E402

FILLED = {"conv1_conv", "conv1_bn", "conv2_block1_0_conv", "predictions", "dense"}


def random_values(seed):
    """Values for the FILLED layers (keyed by the Keras-2 name), None elsewhere."""
    cache = {}

    def values(layer, variable, shape):
        key = layer if layer in FILLED else {kl.keras1_name(n): n for n in FILLED if n != "dense"}.get(layer)
        if key is None:
            return None
        if (key, variable) not in cache:
            rng = np.random.default_rng([seed, sum(map(ord, key)), len(variable)])
            v = rng.standard_normal(shape).astype(np.float32)
            if variable == "moving_variance":
                v = (np.abs(v) + 0.5).astype(np.float32)
            cache[(key, variable)] = v
        return cache[(key, variable)]
    return values


def write_keras3(path, layers, values, name_attrs=True, nested=None):
    """A Keras 3 .weights.h5: /layers/<class_snake>[_N]/vars/<i>, the layer name in the
    vars group's attribute 'name' (Keras >= 3.6), /vars of the model itself."""
    def cls(name, variables):
        if not variables:
            for suffix, c in [("input", "input_layer"), ("_pad", "zero_padding2d"), ("_pool", "max_pooling2d"),
                              ("_add", "add"), ("avg_pool", "global_average_pooling2d")]:
                if suffix in name:
                    return c
            return "activation"
        return {"kernel": "dense" if len(variables[0][1]) == 2 else "conv2d", "gamma": "batch_normalization"}[
            variables[0][0]]

    def fill(group, layers, model_name):
        group.create_group("vars").attrs["name"] = model_name
        counts = {}
        for name, variables in layers:
            c = cls(name, variables)
            n = counts.get(c, 0)
            counts[c] = n + 1
            g = group.create_group(f"layers/{c}" + (f"_{n}" if n else ""))
            v = g.create_group("vars")
            if name_attrs:
                v.attrs["name"] = name
            for i, (variable, shape) in enumerate(variables):
                value = values(name, variable, shape)
                if value is None:
                    v.create_dataset(str(i), shape=shape, dtype=np.float32, chunks=True)
                else:
                    v.create_dataset(str(i), data=value)
        return group

    with h5py.File(path, "w") as f:
        if nested is None:
            fill(f, layers, "resnet50")
        else:
            base, head = nested
            f.create_group("vars").attrs["name"] = "sequential"
            fill(f.create_group("layers/functional"), base, "resnet50")
            g = f.create_group("layers/global_average_pooling2d/vars")
            g.attrs["name"] = "global_average_pooling2d"
            d = f.create_group("layers/dense/vars")
            d.attrs["name"] = "dense"
            for i, (variable, shape) in enumerate(head[1]):
                d.create_dataset(str(i), data=values("dense", variable, shape))


def keras_config(name, layers):
    """A Keras 3 config.json of a Functional model with these layers: what igcam reads of it
    (each layer's class_name, a Dense layer's units, the model's name)."""
    def layer(layer_name, variables):
        shapes = dict(variables)
        if layer_name.endswith("_conv") or ("kernel" in shapes and len(shapes["kernel"]) == 4):
            return {"class_name": "Conv2D", "config": {"name": layer_name}}
        if "kernel" in shapes:
            return {"class_name": "Dense", "config": {"name": layer_name, "units": shapes["kernel"][1]}}
        if "moving_mean" in shapes:
            return {"class_name": "BatchNormalization", "config": {"name": layer_name}}
        return {"class_name": "Activation", "config": {"name": layer_name}}
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": {"name": name, "trainable": True, "layers": [layer(n, v) for n, v in layers]}}


def write_archive(path, config, weights=None, compression=zipfile.ZIP_STORED, extra=(), config_text=None):
    """A .keras archive as Keras 3's saving_lib writes one: metadata.json, config.json and
    model.weights.h5 (from the file `weights`, or bytes)."""
    with zipfile.ZipFile(path, "w", compression) as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.1", "date_saved": "2026-12-04@00:00:00"}))
        z.writestr("config.json", config_text if config_text is not None else json.dumps(config))
        if isinstance(weights, bytes):
            z.writestr("model.weights.h5", weights)
        elif weights is not None:
            z.write(weights, "model.weights.h5")
        for name, data, method in extra:
            z.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return path


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    values = random_values(5)
    classes = 10  # keeps each file under 1 MB
    resnet = kl.resnet50_keras2(classes)
    manifest = {"valid": [], "cases": [], "expect": {}}

    def valid(name, form, arch="resnet50", classes=classes, eps=1.001e-5, fmt=""):
        manifest["valid"].append({"file": name, "form": form, "arch": arch, "classes": classes, "eps": eps,
                                  "format": fmt})
        return os.path.join(out, name)

    # ---- valid forms --------------------------------------------------------------------
    for form in ("vlen", "fixed", "utf8", "split"):
        with h5py.File(valid(f"good_k2_{form}.h5", form, fmt="keras-h5 save_weights, Keras-2 names, keras 2.21.0"),
                       "w") as f:
            kl.write_legacy(f, resnet, values, form=form)
    # keras-applications' resnet_common.py calls the classifier 'probs'.
    with h5py.File(valid("good_probs.h5", "probs", fmt="keras-h5 save_weights, Keras-2 names, keras 2.21.0"), "w") as f:
        kl.write_legacy(f, kl.resnet50_keras2(classes, head="probs"),
                        lambda layer, variable, shape: values("predictions" if layer == "probs" else layer, variable,
                                                              shape), form="vlen")
    # The 2016 ImageNet file: Keras-1 names, fixed-length NULLPAD names, no backend or
    # keras_version, running_std holding the variance, BN epsilon 1e-3.
    with h5py.File(valid("good_k1.h5", "keras1", eps=1e-3, fmt="keras-h5 save_weights, Keras-1 names"), "w") as f:
        kl.write_legacy(f, kl.resnet50_keras1(classes), values, generation=1, form="fixed")
    # model.save: /model_weights, model_config, and optimizer state to ignore.
    with h5py.File(valid("good_full.h5", "model.save", fmt="keras-h5 model.save, Keras-2 names, keras 2.21.0"),
                   "w") as f:
        f.attrs["keras_version"] = "2.21.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps({"class_name": "Functional", "config": {"name": "resnet50"}}).encode()
        kl.write_legacy(f.create_group("model_weights"), resnet, values, form="vlen")
        opt = f.create_group("optimizer_weights")
        opt.attrs["weight_names"] = [b"Adam/iter:0", b"Adam/conv1_conv/kernel/m:0"]
        opt.create_dataset("Adam/iter:0", data=np.int64(1))
        opt.create_dataset("Adam/conv1_conv/kernel/m:0", data=np.zeros((7, 7, 3, 64), np.float32))
    write_keras3(valid("good_keras3.weights.h5", "keras3", fmt="keras3 .weights.h5, Keras-2 names"), resnet, values)
    # Transfer learning: Sequential([ResNet50(include_top=False), GlobalAveragePooling2D(),
    # Dense(5)]): the base in one group, trainable weights first (docs/keras.md).
    base = kl.resnet50_keras2(top=False)
    head = kl.dense("dense", 2048, 5)
    with h5py.File(valid("good_nested.h5", "nested", classes=5,
                         fmt="keras-h5 save_weights, Keras-2 names, nested base + new head 'dense', keras 2.21.0"),
                   "w") as f:
        f.attrs["layer_names"] = [b"resnet50", b"global_average_pooling2d", b"dense"]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.21.0"
        g = f.create_group("resnet50")
        trainable = [(n, v, s) for n, vs in base for v, s in vs if not v.startswith("moving")]
        frozen = [(n, v, s) for n, vs in base for v, s in vs if v.startswith("moving")]
        g.attrs["weight_names"] = [f"{n}/{v}:0".encode() for n, v, _ in trainable + frozen]
        for n, v, s in trainable + frozen:
            value = values(n, v, s)
            if value is None:
                g.create_dataset(f"{n}/{v}:0", shape=s, dtype=np.float32, chunks=True)
            else:
                g.create_dataset(f"{n}/{v}:0", data=value)
        f.create_group("global_average_pooling2d").attrs["weight_names"] = np.zeros((0,), np.float64)
        d = f.create_group("dense")
        d.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        for v, s in head[1]:
            d.create_dataset(f"dense/{v}:0", data=values("dense", v, s))
    write_keras3(valid("good_nested_keras3.weights.h5", "nested-keras3", classes=5,
                       fmt="keras3 .weights.h5, Keras-2 names, nested base + new head 'dense'"),
                 None, values, nested=(base, head))
    # Keras 3's .keras archives of the same weights: config.json (as data: its Conv2D layers
    # and Dense head are checked against the weights), metadata.json, model.weights.h5 stored
    # (as Keras writes it) or deflated.
    write_archive(valid("good_archive.keras", "keras-archive",
                        fmt="keras3 .keras archive (keras3 .weights.h5, Keras-2 names, model 'resnet50')"),
                  keras_config("resnet50", resnet), os.path.join(out, "good_keras3.weights.h5"))
    write_archive(valid("good_archive_deflated.keras", "keras-archive-deflated",
                        fmt="keras3 .keras archive (keras3 .weights.h5, Keras-2 names, model 'resnet50')"),
                  keras_config("resnet50", resnet), os.path.join(out, "good_keras3.weights.h5"),
                  compression=zipfile.ZIP_DEFLATED)
    nested_config = {"class_name": "Sequential", "config": {"name": "transfer", "layers": [
        keras_config("resnet50", base), {"class_name": "GlobalAveragePooling2D", "config": {}},
        {"class_name": "Dense", "config": {"units": 5}}]}}
    write_archive(valid("good_nested_archive.keras", "nested-keras-archive", classes=5,
                        fmt="keras3 .keras archive (keras3 .weights.h5, Keras-2 names, nested base + new head "
                            "'dense', model 'transfer')"),
                  nested_config, os.path.join(out, "good_nested_keras3.weights.h5"))
    # VGG16 with a corner of fc1 written (rows 0..1023 = the first 2 positions x 512
    # channels in Keras's HWC order, columns 0..63) to check the HWC -> CHW permutation.
    rng = np.random.default_rng(9)
    fc1_corner = rng.standard_normal((1024, 64)).astype(np.float32)
    with h5py.File(valid("good_vgg16.h5", "vgg16", arch="vgg16", classes=1000, eps=0,
                         fmt="keras-h5 save_weights, Keras-2 names, keras 2.21.0"), "w") as f:
        kl.write_legacy(f, kl.vgg16(), lambda layer, variable, shape: None, form="fixed")
        f["fc1/fc1/kernel:0"][0:1024, 0:64] = fc1_corner
    keras_fc1 = np.zeros((25088, 64), np.float32)
    keras_fc1[:1024] = fc1_corner
    # W[o][c*49 + h*7 + w] = K[(h*7 + w)*512 + c][o]  (docs/keras.md, VGG16)
    torch_fc1 = keras_fc1.reshape(7, 7, 512, 64).transpose(3, 2, 0, 1).reshape(64, 25088)
    np.save(os.path.join(out, "expect_vgg16_fc1_rows0to63.npy"), torch_fc1)
    np.save(os.path.join(out, "expect_conv1_weight.npy"),
            np.ascontiguousarray(values("conv1_conv", "kernel", (7, 7, 3, 64)).transpose(3, 2, 0, 1)))
    np.save(os.path.join(out, "expect_fc_weight.npy"),
            np.ascontiguousarray(values("predictions", "kernel", (2048, classes)).T))
    np.save(os.path.join(out, "expect_bn1_running_var.npy"), values("conv1_bn", "moving_variance", (64,)))
    manifest["expect"] = {"vgg16_fc1_rows0to63": "expect_vgg16_fc1_rows0to63.npy",
                          "conv1.weight": "expect_conv1_weight.npy", "fc.weight": "expect_fc_weight.npy",
                          "bn1.running_var": "expect_bn1_running_var.npy"}

    # ---- malformed files ----------------------------------------------------------------
    good = os.path.join(out, "good_k2_vlen.h5")

    def case(name, message, edit=None, kind="format", source=good):
        path = os.path.join(out, name + ".h5")
        shutil.copyfile(source, path)
        if edit is not None:
            with h5py.File(path, "a") as f:
                edit(f)
        manifest["cases"].append({"file": os.path.basename(path), "kind": kind, "message": message})

    def listed(obj, key):
        return [n.decode() if isinstance(n, bytes) else str(n) for n in obj.attrs[key]]

    def names_without(f, layer):
        return [n for n in listed(f, "layer_names") if n != layer]

    def replace(path, data, attrs=None):
        def edit(f):
            del f[path]
            f[path] = data
            for k, v in (attrs or {}).items():
                f[path].attrs[k] = v
        return edit

    kernel = "conv1_conv/conv1_conv/kernel:0"
    k = values("conv1_conv", "kernel", (7, 7, 3, 64))
    case("missing_layer_names", "{path}: attribute 'layer_names' of / is missing (nor its split form "
         "layer_names0, layer_names1, ...)", lambda f: f.attrs.__delitem__("layer_names"))
    case("listed_without_group", "{path}: /conv2_block1_2_bn: layer 'conv2_block1_2_bn' is listed in layer_names "
         "but has no group", lambda f: f.__delitem__("conv2_block1_2_bn"))
    case("kernel_swapped_axes", "{path}: /" + kernel + ": expected shape (7, 7, 3, 64), found (7, 7, 64, 3)",
         replace(kernel, k.transpose(0, 1, 3, 2)))
    case("theano_kernel", "{path}: /" + kernel + ": expected shape (7, 7, 3, 64), found (64, 3, 7, 7): a "
         "Theano-ordered (channels_first, th kernels) file; igcam reads TensorFlow-ordered kernels (kh, kw, in, "
         "out), the *_tf_dim_ordering_tf_kernels.h5 files", replace(kernel, k.transpose(3, 2, 0, 1)))
    case("theano_backend", "{path}: written by Keras on the Theano backend, whose convolution kernels are flipped "
         "(Theano convolves, TensorFlow correlates); igcam reads TensorFlow-ordered files only (the "
         "*_tf_dim_ordering_tf_kernels.h5 files, or re-save the model with Keras on TensorFlow)",
         lambda f: f.attrs.__setitem__("backend", b"theano"))
    case("weight_names_count", "{path}: /conv1_conv: layer 'conv1_conv' has 1 weights (conv1_conv/kernel:0); a "
         "Conv2D layer has 2 (kernel, bias)",
         lambda f: f["conv1_conv"].attrs.__setitem__("weight_names", [b"conv1_conv/kernel:0"]))
    case("weight_names_extra", "{path}: /conv1_bn: layer 'conv1_bn' has 5 weights (conv1_bn/gamma:0, "
         "conv1_bn/beta:0, conv1_bn/moving_mean:0, conv1_bn/moving_variance:0, conv1_bn/renorm_mean:0); a "
         "BatchNormalization layer has 4 (gamma, beta, moving_mean, moving_variance)",
         lambda f: (f["conv1_bn"].attrs.__setitem__("weight_names", [n.encode() for n in listed(f["conv1_bn"], "weight_names")] +
                                                     [b"conv1_bn/renorm_mean:0"]),
                    f.create_dataset("conv1_bn/conv1_bn/renorm_mean:0", data=np.zeros(64, np.float32))))
    case("unknown_weight_name", "{path}: /conv1_conv: layer 'conv1_conv' has no 'kernel' weight (it lists "
         "conv1_conv/weights:0, conv1_conv/bias:0; a Conv2D layer has kernel, bias)",
         lambda f: (f["conv1_conv"].attrs.__setitem__("weight_names", [b"conv1_conv/weights:0", b"conv1_conv/bias:0"]),
                    f.move(kernel, "conv1_conv/conv1_conv/weights:0")))
    case("non_string_layer_names", "{path}: attribute 'layer_names' of / holds int64, not strings",
         lambda f: f.attrs.__setitem__("layer_names", np.arange(177, dtype=np.int64)))
    case("non_string_weight_names", "{path}: attribute 'weight_names' of /conv1_bn holds float64, not strings",
         lambda f: f["conv1_bn"].attrs.__setitem__("weight_names", np.ones(4)))
    long_name = "x" * 2000
    case("oversized_attribute", "{path}: attribute 'layer_names' of /: entry 177 is 2000 bytes long (a Keras name "
         "has at most 1024)", lambda f: f.attrs.__setitem__("layer_names", [n.encode() for n in listed(f, "layer_names")] +
                                                           [long_name.encode()]))
    case("soft_link_group", "{path}: /conv1_bn: is a soft link; links are not followed",
         lambda f: (f.__delitem__("conv1_bn"), f.__setitem__("conv1_bn", h5py.SoftLink("/conv1_conv"))))
    case("soft_link_dataset", "{path}: /conv1_conv/conv1_conv/bias:0: is a soft link; links are not followed",
         lambda f: (f.__delitem__("conv1_conv/conv1_conv/bias:0"),
                    f.__setitem__("conv1_conv/conv1_conv/bias:0", h5py.SoftLink("/conv1_bn/conv1_bn/beta:0"))))
    case("external_link_group", "{path}: /conv1_bn: is an external link to another file; links are not followed",
         lambda f: (f.__delitem__("conv1_bn"), f.__setitem__("conv1_bn", h5py.ExternalLink("other.h5", "/conv1_bn"))))
    case("dataset_for_group", "{path}: /conv1_bn: is a dataset, expected a group",
         lambda f: (f.__delitem__("conv1_bn"), f.create_dataset("conv1_bn", data=np.zeros(3))))
    case("listed_weight_missing", "{path}: /conv1_conv/conv1_conv/bias:0: listed in weight_names of /conv1_conv but "
         "missing", lambda f: f.__delitem__("conv1_conv/conv1_conv/bias:0"))
    case("float16_kernel", "{path}: /" + kernel + ": has dtype float16; igcam reads float32 or float64 only: convert "
         "the weights to float32 on purpose first (float16 would change the model's outputs)",
         replace(kernel, k.astype(np.float16)))
    case("bfloat16_kernel", "{path}: /" + kernel + ": holds bfloat16 data (Keras 3 stores it as 2-byte opaque "
         "values); igcam reads float32 or float64 only: convert the weights to float32 on purpose first",
         replace(kernel, np.zeros((7, 7, 3, 64), dtype="V2"), {"dtype": "bfloat16"}))
    case("int_kernel", "{path}: /" + kernel + ": has dtype int64, expected float32 or float64",
         replace(kernel, k.astype(np.int64)))
    case("scalar_bias", "{path}: /conv1_conv/conv1_conv/bias:0: expected shape (64), found a scalar ()",
         replace("conv1_conv/conv1_conv/bias:0", np.float32(1)))
    case("bn_length", "{path}: /conv2_block1_1_bn/conv2_block1_1_bn/moving_variance:0: expected shape (64), found "
         "(65)", replace("conv2_block1_1_bn/conv2_block1_1_bn/moving_variance:0", np.ones(65, np.float32)))
    nan_bias = values("conv1_conv", "bias", (64,)).copy()
    nan_bias[5] = np.nan
    case("nan_bias", "{path}: /conv1_conv/conv1_conv/bias:0: holds a non-finite value (NaN or infinity) at flat index 5",
         replace("conv1_conv/conv1_conv/bias:0", nan_bias))
    case("missing_layer", "{path}: missing layer 'conv3_block2_2_conv' (Keras ResNet (Keras-2 names) needs a Conv2D "
         "layer with kernel (3, 3, 128, 128), bias (128))",
         lambda f: (f.__delitem__("conv3_block2_2_conv"),
                    kl.set_names(f, "layer_names", names_without(f, "conv3_block2_2_conv"), "vlen")))
    case("unexpected_layer", "{path}: /dense_7: unexpected layer 'dense_7' with 2 weights (not part of Keras ResNet "
         "(Keras-2 names))", lambda f: (kl.set_names(f, "layer_names", names_without(f, "") + ["dense_7"], "vlen"),
                                        f.create_group("dense_7").attrs.__setitem__(
                                            "weight_names", [b"dense_7/kernel:0", b"dense_7/bias:0"]),
                                        f.create_dataset("dense_7/dense_7/kernel:0", data=np.zeros((4, 4), np.float32)),
                                        f.create_dataset("dense_7/dense_7/bias:0", data=np.zeros(4, np.float32))))
    case("listed_twice", "{path}: attribute 'layer_names' of /: layer 'conv1_conv' is listed twice",
         lambda f: kl.set_names(f, "layer_names", names_without(f, "") + ["conv1_conv"], "vlen"))
    case("classes_mismatch", "{path}: /predictions/predictions/bias:0: expected shape (12), found (10)",
         replace("predictions/predictions/kernel:0", np.zeros((2048, 12), np.float32)))
    case("notop", "{path}: a Keras ResNet without its classifier (include_top=False, a _notop file): igcam explains "
         "class scores, which this file cannot give; load the file with the top, or a model with its own Dense head",
         lambda f: (f.__delitem__("predictions"), kl.set_names(f, "layer_names", names_without(f, "predictions"), "vlen")))
    case("mixed_generations", "{path}: mixes Keras-1 ResNet layer names (res2a_branch2a) with Keras-2 ones "
         "(conv1_bn)", lambda f: (f.move("conv2_block1_1_conv", "res2a_branch2a"),
                                             kl.set_names(f, "layer_names", [("res2a_branch2a" if n == "conv2_block1_1_conv"
                                                                               else n) for n in names_without(f, "")],
                                                          "vlen")))
    case("resnet_v2", "{path}: /conv2_block1_preact_bn: layer 'conv2_block1_preact_bn' belongs to a pre-activation "
         "ResNet (ResNet50V2); igcam loads the Keras ResNet v1 (ResNet50/101/152) and VGG16/19",
         lambda f: (f.move("conv2_block1_1_bn", "conv2_block1_preact_bn"),
                    kl.set_names(f, "layer_names", [("conv2_block1_preact_bn" if n == "conv2_block1_1_bn" else n)
                                                    for n in names_without(f, "")], "vlen")))
    case("max_pool_head", "{path}: layer 'global_max_pooling2d' pools with the maximum; igcam's ResNet head pools "
         "with the average (GlobalAveragePooling2D / pooling='avg')",
         lambda f: (kl.set_names(f, "layer_names", names_without(f, "") + ["global_max_pooling2d"], "vlen"),
                    f.create_group("global_max_pooling2d").attrs.__setitem__("weight_names", np.zeros((0,))),))
    case("nested_two_dense", "{path}: more than one layer on top of the Keras ResNet base (dense, dense_1); igcam "
         "loads a ResNet base with one Dense head after global average pooling", source=os.path.join(out, "good_nested.h5"),
         edit=lambda f: (f.attrs.__setitem__("layer_names", [b"resnet50", b"global_average_pooling2d", b"dense",
                                                             b"dense_1"]),
                         f.copy("dense", "dense_1"),
                         f["dense_1"].attrs.__setitem__("weight_names", [b"dense_1/kernel:0", b"dense_1/bias:0"]),
                         f.move("dense_1/dense", "dense_1/dense_1")))
    case("nested_flatten_head", "{path}: /dense/dense/kernel:0: expected shape (2048, 5), found (100352, 5)",
         source=os.path.join(out, "good_nested.h5"),
         edit=replace("dense/dense/kernel:0", np.zeros((100352, 5), np.float32)))
    # Keras 3 .weights.h5 before 3.6 (no 'name' attributes) and Keras 2.13's layout.
    old3 = os.path.join(out, "keras3_before_3_6.weights.h5")
    write_keras3(old3, resnet, values, name_attrs=False)
    manifest["cases"].append({"file": os.path.basename(old3), "kind": "format", "message":
                              "{path}: /layers/activation/vars: no attribute 'name': a Keras 3 .weights.h5 file "
                              "written before Keras 3.6 names its groups by layer class (conv2d, conv2d_1, ...), not "
                              "by layer, and igcam loads by layer name only; re-save it with Keras 3.6 or later, or "
                              "with model.save('x.h5')"})
    k213 = os.path.join(out, "keras2_13.weights.h5")
    with h5py.File(k213, "w") as f:
        f.create_group("_layer_checkpoint_dependencies/conv2d/vars").create_dataset("0", data=np.zeros(3))
        f.create_group("vars")
    manifest["cases"].append({"file": os.path.basename(k213), "kind": "format", "message":
                              "{path}: a Keras 2.13 .weights.h5 file (/_layer_checkpoint_dependencies) names its groups "
                              "by layer class, not by layer, and igcam loads by layer name only; re-save it with "
                              "save_weights('x.h5') or model.save('x.h5')"})
    k3dup = os.path.join(out, "keras3_duplicate_name.weights.h5")
    shutil.copyfile(os.path.join(out, "good_keras3.weights.h5"), k3dup)
    with h5py.File(k3dup, "a") as f:
        f["layers/conv2d_1/vars"].attrs["name"] = "conv1_conv"
    manifest["cases"].append({"file": os.path.basename(k3dup), "kind": "format", "message":
                              "{path}: /layers/conv2d_1/vars: a second layer named 'conv1_conv' (the first is "
                              "/layers/conv2d/vars)"})
    # Malformed .keras archives.
    good3 = os.path.join(out, "good_keras3.weights.h5")
    with open(good3, "rb") as f:
        good3_bytes = f.read()
    config = keras_config("resnet50", resnet)

    def archive_case(name, message, *args, **kwargs):
        write_archive(os.path.join(out, name + ".keras"), *args, **kwargs)
        manifest["cases"].append({"file": name + ".keras", "kind": "format", "message": message})

    with open(os.path.join(out, "good_archive.keras"), "rb") as f:
        archive_bytes = f.read()
    for name, cut in (("archive_truncated_half", len(archive_bytes) // 2), ("archive_truncated_tail", -8)):
        with open(os.path.join(out, name + ".keras"), "wb") as f:
            f.write(archive_bytes[:cut])
        manifest["cases"].append({"file": name + ".keras", "kind": "format", "message":
                                  "{path}: is a truncated zip archive (its end-of-central-directory record is "
                                  "missing or cut)"})
    archive_case("archive_no_weights", "{path}: is a .keras archive without model.weights.h5 (it was saved without "
                 "weights, or is damaged)", config)
    archive_case("archive_weights_not_hdf5", "{path}: model.weights.h5: not an HDF5 file", config,
                 b"this is not an HDF5 file")
    archive_case("archive_weights_empty", "{path}: model.weights.h5: empty (0 bytes), not an HDF5 file", config, b"")
    archive_case("archive_weights_truncated", "{path}: model.weights.h5: truncated or corrupt HDF5 file (the library "
                 "cannot open it)", config, good3_bytes[: len(good3_bytes) // 2])
    with h5py.File(os.path.join(out, "plain.h5"), "w") as f:
        f.create_dataset("x", data=np.zeros(3, np.float32))
    archive_case("archive_weights_not_keras", "{path}: model.weights.h5 is an HDF5 file but not Keras weights",
                 config, os.path.join(out, "plain.h5"))
    os.remove(os.path.join(out, "plain.h5"))
    archive_case("archive_bomb", "", config, good3, extra=[("padding.bin", b"\0" * (300 << 20), zipfile.ZIP_DEFLATED)])
    with zipfile.ZipFile(os.path.join(out, "archive_bomb.keras")) as z:
        info = z.getinfo("padding.bin")
    manifest["cases"][-1]["message"] = (f"{{path}}: the zip member 'padding.bin' would expand from {info.compress_size} "
                                        f"to {info.file_size} bytes (a zip bomb?); refused")
    archive_case("archive_escape", "{path}: the zip member '../model.weights.h5' has a path outside the archive; "
                 "refused", config, good3, extra=[("../model.weights.h5", b"x", zipfile.ZIP_STORED)])
    archive_case("archive_absolute", "{path}: the zip member '/etc/model.weights.h5' has a path outside the "
                 "archive; refused", config, good3, extra=[("/etc/model.weights.h5", b"x", zipfile.ZIP_STORED)])
    archive_case("archive_wrong_head", "{path}: config.json describes 53 Conv2D layers and a Dense head of 7 units, "
                 "but model.weights.h5 holds a resnet50 with 53 convolutions and 10 classes",
                 keras_config("resnet50", kl.resnet50_keras2(7)), good3)
    archive_case("archive_wrong_architecture", "{path}: config.json describes 13 Conv2D layers and a Dense head of "
                 "1000 units, but model.weights.h5 holds a resnet50 with 53 convolutions and 10 classes",
                 keras_config("vgg16", kl.vgg16()), good3)
    # nlohmann-json counts the bytes read up to the bad token's first character: 16 here.
    archive_case("archive_config_not_json", "{path}: config.json: not valid JSON (a syntax error at byte 16)", None,
                 good3, config_text='{"class_name": Functional}')
    archive_case("archive_config_deep", "{path}: config.json: nests deeper than 64 levels", None, good3,
                 config_text="[" * 100 + "]" * 100)
    archive_case("archive_config_lambda", "{path}: config.json: describes a 'TFOpLambda', not a Functional or "
                 "Sequential model", {"class_name": "TFOpLambda", "config": {}}, good3)
    archive_case("archive_config_bad_dense", "{path}: config.json: a Dense layer without a positive integer "
                 "\"units\"", {"class_name": "Functional", "config": {"layers": [
                     {"class_name": "Dense", "config": {"units": "many"}}]}}, good3)
    # A stored member whose bytes were changed after its CRC was written.
    corrupt = bytearray(archive_bytes)
    at = corrupt.find(good3_bytes[4096:4160])
    corrupt[at + 10] ^= 0xFF
    with open(os.path.join(out, "archive_crc.keras"), "wb") as f:
        f.write(bytes(corrupt))
    manifest["cases"].append({"file": "archive_crc.keras", "kind": "format", "message":
                              "{path}: the zip member 'model.weights.h5' fails its CRC check (corrupt)"})
    other_zip = os.path.join(out, "other.zip")
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("readme.txt", "not weights")
    manifest["cases"].append({"file": "other.zip", "kind": "format",
                              "message": "{path}: is a zip archive without <name>/data.pkl or model.weights.h5, so "
                                         "neither a torch.save file nor a .keras archive"})
    vgg_head = os.path.join(out, "vgg_new_head.h5")
    with h5py.File(vgg_head, "w") as f:
        layers = kl.vgg16(top=False) + [("global_average_pooling2d", []), kl.dense("dense", 512, 3)]
        kl.write_legacy(f, layers, lambda layer, variable, shape: None)
    manifest["cases"].append({"file": "vgg_new_head.h5", "kind": "format", "message":
                              "{path}: /dense: a Keras VGG base with a new head ('dense') is not supported; igcam's "
                              "Keras VGG is VGG16/19 with fc1, fc2 and predictions"})
    vgg_notop = os.path.join(out, "vgg16_notop.h5")
    with h5py.File(vgg_notop, "w") as f:
        kl.write_legacy(f, kl.vgg16(top=False), lambda layer, variable, shape: None, form="fixed")
    manifest["cases"].append({"file": "vgg16_notop.h5", "kind": "format", "message":
                              "{path}: a Keras VGG without its classifier (include_top=False, a _notop file): igcam "
                              "explains class scores, which this file cannot give; load the file with the top, or a "
                              "model with its own Dense head"})

    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"keras_bad_weights.py: {len(manifest['valid'])} valid forms, {len(manifest['cases'])} malformed files")


if __name__ == "__main__":
    main()
