#!/usr/bin/python3
"""Malformed weight files, each paired with the exact error igcam must give.

Usage: bad_weights.py OUTDIR

Starts from a valid small ResNet exported by tools/export_torchvision.py (and its bare
state_dict form) and breaks one thing per file. Writes OUTDIR/cases.json: a list of
{"file", "kind": "format"|"io", "message"} where message is the full error text with
{path} standing for the file's path. tests/models/test_bad_weights.cpp checks each one.
"""
import json
import os
import shutil
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import export_torchvision  # noqa: E402


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = export_torchvision.randomize(export_torchvision.build_custom("resnet", 10), 0)
    good = os.path.join(out, "good.h5")
    export_torchvision.export(model, "resnet", "torchvision", good)
    bare = os.path.join(out, "good_bare.h5")
    with h5py.File(bare, "w") as f:
        for k, v in model.state_dict().items():
            f.create_dataset(k, data=v.numpy())  # num_batches_tracked included, as ad-hoc dumps do
    cases = []

    def case(name, message, edit=None, kind="format", source=good):
        path = os.path.join(out, name + ".h5")
        shutil.copyfile(source, path)
        if edit is not None:
            with h5py.File(path, "a") as f:
                edit(f)
        cases.append({"file": os.path.basename(path), "kind": kind, "message": message})
        return path

    sd = "state_dict/"

    def replace(key, data):
        def edit(f):
            del f[sd + key]
            f[sd + key] = data
        return edit

    w = model.state_dict()["conv1.weight"].numpy()
    case("wrong_dtype_int", "{path}: /state_dict/conv1.weight: has dtype int64, expected float32 or float64",
         replace("conv1.weight", w.astype(np.int64)))
    case("wrong_dtype_float16", "{path}: /state_dict/conv1.weight: has dtype float16, expected float32 or float64",
         replace("conv1.weight", w.astype(np.float16)))
    case("wrong_dtype_string", "{path}: /state_dict/fc.bias: has dtype string, expected float32 or float64",
         replace("fc.bias", np.array([b"x"] * 10)))
    case("wrong_rank", "{path}: /state_dict/conv1.weight: expected shape (8, 3, 7, 7), found (8, 3, 49)",
         replace("conv1.weight", w.reshape(8, 3, 49)))
    case("wrong_dims", "{path}: /state_dict/conv1.weight: expected shape (8, 3, 7, 7), found (8, 3, 3, 3)",
         replace("conv1.weight", w[:, :, :3, :3].copy()))
    case("scalar_for_vector", "{path}: /state_dict/bn1.bias: expected shape (8), found a scalar ()",
         replace("bn1.bias", np.float32(0.5)))
    case("missing_tensor",
         "{path}: /state_dict/layer2.0.bn2.running_var: missing tensor (resnet needs shape (16))",
         lambda f: f.__delitem__(sd + "layer2.0.bn2.running_var"))
    case("extra_tensor", "{path}: /state_dict/head.weight: unexpected tensor (not a parameter of resnet)",
         lambda f: f.create_dataset(sd + "head.weight", data=np.zeros((2, 2), np.float32)))
    nan = model.state_dict()["layer1.0.conv2.weight"].numpy().copy()
    nan.flat[17] = np.nan
    case("nan_value", "{path}: /state_dict/layer1.0.conv2.weight: holds a non-finite value (NaN or infinity) "
         "at flat index 17", replace("layer1.0.conv2.weight", nan))
    inf = model.state_dict()["fc.weight"].numpy().copy()
    inf.flat[5] = -np.inf
    case("inf_value", "{path}: /state_dict/fc.weight: holds a non-finite value (NaN or infinity) at flat index 5",
         replace("fc.weight", inf))
    case("soft_link", "{path}: /state_dict/bn1.weight: is a soft link; links are not followed",
         lambda f: (f.__delitem__(sd + "bn1.weight"), f.__setitem__(sd + "bn1.weight", h5py.SoftLink("/state_dict/bn1.bias"))))
    case("external_link", "{path}: /state_dict/bn1.weight: is an external link to another file; links are not followed",
         lambda f: (f.__delitem__(sd + "bn1.weight"),
                    f.__setitem__(sd + "bn1.weight", h5py.ExternalLink("good.h5", "/state_dict/bn1.weight"))))
    case("lzf_filter", "{path}: /state_dict/fc.weight: is compressed with the HDF5 filter 'lzf' (id 32000), which "
         "this build cannot decode; save it uncompressed or with gzip",
         lambda f: (f.__delitem__(sd + "fc.weight"),
                    f.create_dataset(sd + "fc.weight", data=model.state_dict()["fc.weight"].numpy(), compression="lzf")))
    case("nested_group", "{path}: /state_dict/extra: unexpected group (tensors must be datasets directly in /state_dict)",
         lambda f: f.create_group(sd + "extra"))
    case("unknown_format", "{path}: unknown format 'igcam-torch-h5x' (expected igcam-torch-h5)",
         lambda f: f.attrs.__setitem__("format", np.bytes_("igcam-torch-h5x")))
    case("future_version", "{path}: unsupported igcam-torch-h5 format_version 2 (this build reads version 1)",
         lambda f: f.attrs.__setitem__("format_version", np.int32(2)))
    case("arch_mismatch", "{path}: attribute arch says 'vgg16' but the tensors describe resnet",
         lambda f: f.attrs.__setitem__("arch", np.bytes_("vgg16")))
    case("classes_mismatch", "{path}: attribute num_classes says 12 but the last layer has 10 outputs",
         lambda f: f.attrs.__setitem__("num_classes", np.int32(12)))
    case("unknown_variant", "{path}: unknown variant 'timm' (expected torchvision, torchvision-v1.5 or "
         "torchray-voc-caffe)", lambda f: f.attrs.__setitem__("variant", np.bytes_("timm")))
    case("class_names_count", "{path}: /meta/class_names lists 3 names for 10 classes",
         lambda f: (f.__delitem__("meta/class_names"), f.create_dataset("meta/class_names", data=np.array([b"a", b"b", b"c"]))))
    case("mean_count", "{path}: attribute 'mean' must hold 3 numbers, found 2",
         lambda f: f.attrs.__setitem__("mean", np.array([0.5, 0.5], np.float32)))
    case("mean_nan", "{path}: attribute 'mean' holds a non-finite value (NaN or infinity)",
         lambda f: f.attrs.__setitem__("mean", np.array([0.5, np.nan, 0.5], np.float64)))
    case("std_infinite", "{path}: attribute 'std' holds a non-finite value (NaN or infinity)",
         lambda f: f.attrs.__setitem__("std", np.array([0.5, np.inf, 0.5], np.float64)))
    case("scale_nan", "{path}: attribute 'input_scale' must be a finite, non-zero number",
         lambda f: f.attrs.__setitem__("input_scale", np.float64(np.nan)))
    # A hostile long attribute (60 kB, near the largest HDF5 keeps in an object header) is quoted cut.
    case("arch_huge", "{path}: attribute arch says '" + "v" * 60 + "...' (60000 bytes) but the tensors describe "
         "resnet", lambda f: f.attrs.__setitem__("arch", np.bytes_("v" * 60_000)))
    case("no_state_dict", "{path}: missing group /state_dict", lambda f: f.__delitem__("state_dict"))
    # A bare dump with Keras's layer_names attribute is read as a Keras file, whose layer
    # groups it then lacks.
    case("keras_file", "{path}: /conv1: layer 'conv1' is listed in layer_names but has no group", source=bare,
         edit=lambda f: f.attrs.__setitem__("layer_names", np.array([b"conv1"])))
    case("bare_unknown", "{path}: holds neither a ResNet (fc.weight, layer1.0.conv1.weight) nor a VGG "
         "(features.0.weight)", source=bare,
         edit=lambda f: [f.__delitem__(k) for k in list(f.keys()) if k.startswith(("fc", "layer"))])
    case("bare_wrong_dims", "{path}: /layer1.0.conv1.weight: expected shape (8, 8, 3, 3), found (8, 8, 1, 1)",
         source=bare, edit=lambda f: (f.__delitem__("layer1.0.conv1.weight"),
                                      f.create_dataset("layer1.0.conv1.weight", data=np.zeros((8, 8, 1, 1), np.float32))))

    # Files that are not (whole) HDF5.
    def raw(name, data, message, kind="format"):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        cases.append({"file": name, "kind": kind, "message": message})

    raw("empty.h5", b"", "{path}: empty file (0 bytes), not an HDF5 file")
    raw("text.h5", b"this is not a weight file\n" * 20, "{path}: not an HDF5 file")
    raw("zip.h5", b"PK\x03\x04" + b"\0" * 100, "{path}: is a truncated zip archive (its end-of-central-directory record is missing or cut)")
    data = open(good, "rb").read()
    raw("truncated.h5", data[: len(data) // 2], "{path}: truncated or corrupt HDF5 file (the library cannot open it)")
    cases.append({"file": "does_not_exist.h5", "kind": "io", "message": "{path}: cannot open for reading"})

    # Inputs for the command-line tests: a sample image and PyTorch's top-3 for it through
    # torchvision's preprocessing (the file's default), and a corrupt copy of the image.
    from PIL import Image
    import torchvision.transforms as T
    rng = np.random.default_rng(7)
    pixels = (rng.random((90, 120, 3)) * 255).astype(np.uint8)
    Image.fromarray(pixels).save(os.path.join(out, "sample.png"))
    png = open(os.path.join(out, "sample.png"), "rb").read()
    with open(os.path.join(out, "corrupt.png"), "wb") as f:
        f.write(png[: len(png) // 2])
    transform = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                           T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    with torch.no_grad():
        logits = model(transform(Image.open(os.path.join(out, "sample.png")).convert("RGB"))[None])[0]
    top = torch.topk(logits, 3)
    sample = {"image": "sample.png", "top_classes": top.indices.tolist(), "top_logits": top.values.tolist()}

    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump({"good": "good.h5", "good_bare": "good_bare.h5", "cases": cases, "sample": sample}, f, indent=1)
    print(f"bad_weights.py: {len(cases)} malformed weight files in {out}")


if __name__ == "__main__":
    main()
