#!/usr/bin/python3
"""Reference fixtures for every op of core/ops.h, computed by PyTorch in float64.

Usage: torch_ops.py OUTDIR

For each case it writes the inputs, a random output gradient `gy`, PyTorch's forward
output `y` and the gradients of every differentiable input (`g_<name>`) as .npy files,
and lists the cases in OUTDIR/cases.json. tests/reference/test_torch_ops.cpp runs the same
ops through igcam's autograd and compares. Run by Debian's python3 (python3-torch).
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(0)
DT = torch.float64


def uniform(*shape):
    return torch.rand(*shape, dtype=DT) * 2 - 1


def tie_free(*shape):
    """A permutation of evenly spaced values: no two elements of a window tie."""
    n = int(np.prod(shape))
    values = (torch.randperm(n, dtype=DT) + 0.5) / n * 2 - 1
    return values.reshape(*shape)


class Writer:
    def __init__(self, outdir):
        self.outdir = outdir
        self.cases = []

    def case(self, name, op, params, inputs, fn, differentiable):
        """inputs: dict name -> tensor; fn(**inputs) -> output; differentiable: input names."""
        leaves = {k: v.clone().requires_grad_(k in differentiable) for k, v in inputs.items()}
        y = fn(**leaves)
        gy = uniform(*y.shape)
        y.backward(gy)
        tensors = dict(inputs)
        tensors["y"] = y.detach()
        tensors["gy"] = gy
        for k in differentiable:
            tensors["g_" + k] = leaves[k].grad
        files = {}
        for k, v in tensors.items():
            filename = f"{name}.{k}.npy"
            np.save(os.path.join(self.outdir, filename), v.detach().numpy().astype(np.float64))
            files[k] = filename
        self.cases.append({"name": name, "op": op, "params": params, "files": files,
                           "differentiable": list(differentiable)})

    def finish(self):
        with open(os.path.join(self.outdir, "cases.json"), "w") as f:
            json.dump({"torch_version": torch.__version__, "cases": self.cases}, f, indent=1)


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    w = Writer(outdir)

    # ---- convolution: padding as (top, bottom, left, right), applied by F.pad ----
    conv_cases = [
        ("conv_same", (2, 3, 7, 6), (4, 3, 3, 3), (1, 1), (1, 1, 1, 1)),
        ("conv_stride2_asym", (2, 2, 9, 8), (3, 2, 3, 2), (2, 2), (0, 1, 1, 0)),
        ("conv_stem", (1, 3, 15, 15), (4, 3, 7, 7), (2, 2), (3, 3, 3, 3)),
        ("conv_pointwise", (3, 5, 4, 4), (6, 5, 1, 1), (1, 1), (0, 0, 0, 0)),
        ("conv_pointwise_stride2", (2, 4, 5, 5), (3, 4, 1, 1), (2, 2), (0, 0, 0, 0)),
    ]
    for name, xs, ws, stride, pad in conv_cases:
        top, bottom, left, right = pad
        w.case(name, "conv2d", {"stride": list(stride), "pad": list(pad)},
               {"x": uniform(*xs), "w": uniform(*ws), "b": uniform(ws[0])},
               lambda x, w, b, s=stride, p=(left, right, top, bottom): F.conv2d(F.pad(x, p), w, b, stride=s),
               ["x", "w", "b"])

    w.case("linear", "linear", {}, {"x": uniform(3, 7), "w": uniform(5, 7), "b": uniform(5)},
           lambda x, w, b: F.linear(x, w, b), ["x", "w", "b"])
    w.case("relu", "relu", {}, {"x": uniform(2, 3, 4, 5)}, lambda x: F.relu(x), ["x"])

    # ---- pooling (PyTorch pads symmetrically) ----
    pools = [
        ("max_k2s2", "max_pool2d", (2, 3, 6, 7), 2, 2, 0, False, True),
        ("max_k3s2p1", "max_pool2d", (2, 2, 9, 9), 3, 2, 1, False, True),
        ("max_k3s2_ceil", "max_pool2d", (1, 3, 8, 11), 3, 2, 0, True, True),
        ("max_k2s2_ceil_pad", "max_pool2d", (2, 1, 7, 6), 2, 2, 1, True, True),
        ("avg_k2s2", "avg_pool2d", (2, 3, 6, 7), 2, 2, 0, False, True),
        ("avg_k3s2p1_ceil", "avg_pool2d", (1, 2, 8, 9), 3, 2, 1, True, True),
        ("avg_k3s2p1_nopad", "avg_pool2d", (2, 2, 7, 7), 3, 2, 1, True, False),
    ]
    for name, op, shape, k, s, p, ceil, include in pools:
        params = {"kernel": [k, k], "stride": [s, s], "pad": [p, p, p, p], "ceil_mode": ceil,
                  "count_include_pad": include}
        if op == "max_pool2d":
            fn = lambda x, k=k, s=s, p=p, c=ceil: F.max_pool2d(x, k, s, p, ceil_mode=c)
            x = tie_free(*shape)
        else:
            fn = lambda x, k=k, s=s, p=p, c=ceil, i=include: F.avg_pool2d(x, k, s, p, ceil_mode=c,
                                                                         count_include_pad=i)
            x = uniform(*shape)
        w.case(name, op, params, {"x": x}, fn, ["x"])

    for name, shape, out in [("adaptive_global", (2, 3, 7, 5), (1, 1)),
                             ("adaptive_7to3", (1, 2, 7, 7), (3, 3)),
                             ("adaptive_up", (2, 1, 3, 4), (5, 7))]:
        w.case(name, "adaptive_avg_pool2d", {"out": list(out)}, {"x": uniform(*shape)},
               lambda x, o=out: F.adaptive_avg_pool2d(x, o), ["x"])

    c = 4
    bn_inputs = {"x": uniform(2, c, 5, 3), "gamma": uniform(c), "beta": uniform(c), "mean": uniform(c),
                 "var": torch.rand(c, dtype=DT) + 0.1}
    w.case("batch_norm", "batch_norm", {"eps": 1e-5}, bn_inputs,
           lambda x, gamma, beta, mean, var: F.batch_norm(x, mean, var, gamma, beta, training=False, eps=1e-5),
           ["x"])

    for axis in (-1, 1):
        w.case(f"softmax_axis{axis}", "softmax", {"axis": axis}, {"x": uniform(3, 5, 2) * 3},
               lambda x, a=axis: F.softmax(x, dim=a), ["x"])

    for name, shape, out in [("resize_up", (2, 2, 7, 7), (224, 224)), ("resize_down", (1, 3, 9, 8), (4, 3)),
                             ("resize_ratio", (2, 1, 5, 6), (7, 13))]:
        w.case(name, "resize_bilinear", {"out": list(out)}, {"x": uniform(*shape)},
               lambda x, o=out: F.interpolate(x, size=o, mode="bilinear", align_corners=False), ["x"])

    w.case("pad2d", "pad2d", {"pad": [1, 2, 3, 0]}, {"x": uniform(2, 2, 3, 4)},
           lambda x: F.pad(x, (3, 0, 1, 2)), ["x"])
    w.case("sum_axes", "sum", {"axes": [0, 2], "keepdim": False}, {"x": uniform(3, 4, 5)},
           lambda x: x.sum(dim=(0, 2)), ["x"])
    w.case("mean_keepdim", "mean", {"axes": [-1, -2], "keepdim": True}, {"x": uniform(2, 3, 4, 5)},
           lambda x: x.mean(dim=(-1, -2), keepdim=True), ["x"])
    w.case("mul_broadcast", "mul", {}, {"a": uniform(2, 4, 3, 3), "b": uniform(2, 4, 1, 1)},
           lambda a, b: a * b, ["a", "b"])
    w.case("add_broadcast", "add", {}, {"a": uniform(2, 1, 3), "b": uniform(5, 1)},
           lambda a, b: a + b, ["a", "b"])
    w.case("sub_broadcast", "sub", {}, {"a": uniform(4), "b": uniform(3, 4)},
           lambda a, b: a - b, ["a", "b"])
    w.finish()
    print(f"torch_ops.py: {len(w.cases)} cases written to {outdir} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
