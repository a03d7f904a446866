"""Keras weight-file layouts written with h5py alone, following the layouts
of docs/keras.md exactly (shared by keras_models.py, which runs under Keras, and
keras_bad_weights.py, which needs only h5py and numpy).

A layer list is [(layer_name, [(variable, shape), ...]), ...] in the model's layer order,
weight-less layers with an empty variable list. Variables use the Keras-2 spelling
(kernel, bias, gamma, beta, moving_mean, moving_variance); write_legacy() spells them for
the file's generation:
  generation 2  weight_names "<layer>/kernel:0", datasets /<layer>/<layer>/kernel:0
  generation 1  weight_names "<layer>_W:0", "<layer>_running_std:0" (the variance), datasets
                /<layer>/<layer>_W:0 one level deep (the 2016 ImageNet files)
String attributes in the forms h5py has written: "vlen" (h5py 3: list of bytes), "utf8"
(list of str: vlen UTF-8), "fixed" (h5py 2 / numpy S<n>: fixed-length NULLPAD, the longest
name filling the width with no terminator), "split" (Keras's layer_names0, layer_names1, ...
fixed-length chunks). Empty lists are float64 of shape (0,), as h5py writes [].
"""
import numpy as np

STAGES = [(2, 3, 64), (3, 4, 128), (4, 6, 256), (5, 3, 512)]  # (stage, blocks, filters) of ResNet50
KERAS1_VARIABLES = {"kernel": "W", "bias": "b", "gamma": "gamma", "beta": "beta",
                    "moving_mean": "running_mean", "moving_variance": "running_std"}


def conv(name, kh, kw, cin, cout):
    return (name, [("kernel", (kh, kw, cin, cout)), ("bias", (cout,))])


def bn(name, channels):
    return (name, [(v, (channels,)) for v in ("gamma", "beta", "moving_mean", "moving_variance")])


def dense(name, fin, fout):
    return (name, [("kernel", (fin, fout)), ("bias", (fout,))])


def resnet50_keras2(classes=1000, head="predictions", top=True):
    """tf.keras's ResNet50 (keras/applications/resnet.py), layer order included."""
    layers = [("input_1", []), ("conv1_pad", []), conv("conv1_conv", 7, 7, 3, 64), bn("conv1_bn", 64),
              ("conv1_relu", []), ("pool1_pad", []), ("pool1_pool", [])]
    cin = 64
    for stage, blocks, f in STAGES:
        for k in range(1, blocks + 1):
            p = f"conv{stage}_block{k}"
            if k == 1:
                layers += [conv(p + "_0_conv", 1, 1, cin, 4 * f)]
            layers += [conv(p + "_1_conv", 1, 1, cin, f), bn(p + "_1_bn", f), (p + "_1_relu", []),
                       conv(p + "_2_conv", 3, 3, f, f), bn(p + "_2_bn", f), (p + "_2_relu", [])]
            if k == 1:
                layers += [bn(p + "_0_bn", 4 * f)]
            layers += [conv(p + "_3_conv", 1, 1, f, 4 * f), bn(p + "_3_bn", 4 * f), (p + "_add", []),
                       (p + "_out", [])]
            cin = 4 * f
    if top:
        layers += [("avg_pool", []), dense(head, 2048, classes)]
    return layers


def keras1_name(name):
    """The 2016 Keras-1 name of a Keras-2 ResNet50 layer (docs/keras.md)."""
    if name == "conv1_conv":
        return "conv1"
    if name == "conv1_bn":
        return "bn_conv1"
    if name in ("predictions", "probs"):
        return "fc1000"
    stage, block, index, kind = name.split("_")  # conv2, block1, 1, conv
    stage, block, index = stage[4:], int(block[5:]), int(index)
    letter = "abcdefghijklmnopqrstuvwxyz"[block - 1]
    branch = "branch1" if index == 0 else "branch2" + "abc"[index - 1]
    return ("res" if kind == "conv" else "bn") + f"{stage}{letter}_{branch}"


def resnet50_keras1(classes=1000):
    """The Keras-1 ResNet50 (fchollet/deep-learning-models resnet50.py as in the 2016 file):
    Keras-1 names and Keras 1's layer order (the shortcut after branch2c), ZeroPadding and
    Activation layers with Keras 1's automatic names."""
    weighted = {n: v for n, v in resnet50_keras2(classes) if v}
    layers = [("input_1", []), ("zeropadding2d_1", []), ("conv1", weighted["conv1_conv"]),
              ("bn_conv1", weighted["conv1_bn"]), ("activation_1", []), ("maxpooling2d_1", [])]
    activation, merge = 2, 1
    for stage, blocks, _ in STAGES:
        for k in range(1, blocks + 1):
            p = f"conv{stage}_block{k}"
            for i in (1, 2, 3):
                layers += [(keras1_name(f"{p}_{i}_conv"), weighted[f"{p}_{i}_conv"]),
                           (keras1_name(f"{p}_{i}_bn"), weighted[f"{p}_{i}_bn"])]
                if i < 3:
                    layers += [(f"activation_{activation}", [])]
                    activation += 1
            if k == 1:
                layers += [(keras1_name(p + "_0_conv"), weighted[p + "_0_conv"]),
                           (keras1_name(p + "_0_bn"), weighted[p + "_0_bn"])]
            layers += [(f"merge_{merge}", []), (f"activation_{activation}", [])]
            merge += 1
            activation += 1
    layers += [("avg_pool", []), ("flatten_1", []), ("fc1000", weighted["predictions"])]
    return layers


def vgg16(classes=1000, top=True):
    layers = [("input_1", [])]
    cin = 3
    for block, (convs, width) in enumerate([(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)], start=1):
        for k in range(1, convs + 1):
            layers.append(conv(f"block{block}_conv{k}", 3, 3, cin, width))
            cin = width
        layers.append((f"block{block}_pool", []))
    if top:
        layers += [("flatten", []), dense("fc1", 25088, 4096), dense("fc2", 4096, 4096),
                   dense("predictions", 4096, classes)]
    return layers


def string_list(names, form):
    """An attribute value holding `names` in the given h5py form."""
    if not names:
        return np.zeros((0,), np.float64)  # h5py's [] (what Keras writes for weight-less layers)
    if form == "vlen":
        return [n.encode("utf8") for n in names]
    if form == "utf8":
        return list(names)
    if form in ("fixed", "split"):
        return np.array([n.encode("utf8") for n in names])  # S<max>: fixed-length, NULLPAD
    raise ValueError(form)


def set_names(obj, key, names, form):
    """Writes a names attribute; "split" writes key0, key1, key2 (three chunks) as Keras
    does for lists over HDF5's object-header limit."""
    for k in [k for k in obj.attrs if k == key or (k.startswith(key) and k[len(key):].isdigit())]:
        del obj.attrs[k]
    if form == "split" and len(names) >= 3:
        for i, chunk in enumerate(np.array_split(np.array([n.encode("utf8") for n in names]), 3)):
            obj.attrs[f"{key}{i}"] = chunk
    else:
        obj.attrs[key] = string_list(names, "fixed" if form == "split" else form)


def weight_names(layer, variables, generation):
    if generation == 1:
        return [f"{layer}_{KERAS1_VARIABLES[v]}:0" for v, _ in variables]
    return [f"{layer}/{v}:0" for v, _ in variables]


def write_legacy(group, layers, values, generation=2, form="vlen", root_attrs=True, dtype=np.float32):
    """A save_weights layout into the h5py group `group` ("/" or /model_weights).

    values(layer, variable, shape) returns an array, or None for a dataset left
    unallocated (chunked, never written: it reads as zeros and costs no space)."""
    set_names(group, "layer_names", [n for n, _ in layers], form)
    if root_attrs and generation == 2:
        group.attrs["backend"] = b"tensorflow"
        group.attrs["keras_version"] = b"2.21.0"
    for name, variables in layers:
        g = group.create_group(name)
        names = weight_names(name, variables, generation)
        set_names(g, "weight_names", names, "fixed" if form == "split" else form)
        for listed, (variable, shape) in zip(names, variables):
            value = values(name, variable, shape)
            if value is None:
                g.create_dataset(listed, shape=shape, dtype=dtype, chunks=True)
            else:
                g.create_dataset(listed, data=np.asarray(value))
    return group
