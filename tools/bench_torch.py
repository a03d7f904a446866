#!/usr/bin/python3
"""PyTorch's side of the benchmark: the same weights (an igcam-torch-h5 file) and input size
as igcam-bench, computed the way a good PyTorch user would: eval mode, torch.no_grad for
the forward pass, a hook that cuts the graph at the target layer (so no parameter gradient
and no backward below it), IG-CAM steps batched (the whole path at once and in chunks of
10; the better is reported). Prints one JSON object like igcam-bench.

Usage: tools/bench_torch.py --weights FILE.h5 [--methods forward,gradcam,gradcam++,igcam]
       [--size 224] [--repeats 10] [--warmup 2] [--steps 50] [--threads 2]
"""
import argparse
import json
import os
import sys
import time

import h5py
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_torchvision  # noqa: E402


def load(path):
    with h5py.File(path, "r") as f:
        arch = f.attrs["arch"].decode()
        variant = f.attrs["variant"].decode()
        state = {k: torch.from_numpy(v[()]) for k, v in f["state_dict"].items()}
    head = "fc.weight" if "fc.weight" in state else "classifier.6.weight"
    model = export_torchvision.build(arch, "torchray-voc" if "torchray" in variant else "torchvision",
                                     state[head].shape[0])
    model.load_state_dict(state, strict=False)
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval(), ("layer4" if arch.startswith("resnet") else "features.29")


class Cut:
    """Forward hook: the layer's output becomes a leaf that requires grad."""

    def __init__(self, module):
        module.register_forward_hook(self)
        self.on = False

    def __call__(self, module, inputs, output):
        if self.on:
            output = output.detach().requires_grad_(True)
        self.a = output
        return output


def capture(model, cut, x, c):
    cut.on = True
    model(x)[:, c].sum().backward()
    cut.on = False
    return cut.a.detach(), cut.a.grad


def timed(warmup, repeats, fn):
    for _ in range(warmup):
        fn()
    ms = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - start) * 1e3)
    ms.sort()
    return {"median_ms": ms[len(ms) // 2], "min_ms": ms[0], "repeats": repeats}


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", required=True)
    p.add_argument("--methods", default="forward,gradcam,gradcam++,igcam")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, layer = load(args.weights)
    cut = Cut(dict(model.named_modules())[layer])
    x = torch.rand(1, 3, args.size, args.size) * 4 - 2
    baseline = torch.zeros_like(x)
    out = {"tool": "pytorch " + torch.__version__, "threads": torch.get_num_threads(), "methods": {}}

    def forward():
        with torch.no_grad():
            model(x)

    def gradcam():
        a, g = capture(model, cut, x, 0)
        torch.relu((g.mean((2, 3), keepdim=True) * a).sum(1))

    def gradcampp():
        a, g = capture(model, cut, x, 0)
        g2 = g * g
        alpha = g2 / (2 * g2 + a.sum((2, 3), keepdim=True) * g2 * g + 1e-6)
        torch.relu(((alpha * torch.relu(g)).sum((2, 3), keepdim=True) * a).sum(1))

    def igcam(chunk):
        def run():
            with torch.no_grad():
                model(baseline)
                a0 = cut.a
            total = 0
            ts = torch.arange(1, args.steps + 1, dtype=x.dtype) / args.steps
            for i in range(0, args.steps, chunk):
                t = ts[i:i + chunk].view(-1, 1, 1, 1)
                a, g = capture(model, cut, baseline + t * (x - baseline), 0)
                total = total + torch.relu((g.mean((2, 3), keepdim=True) * (a - a0)).sum(1)).sum(0)
            return total / args.steps
        return run

    methods = {"forward": forward, "gradcam": gradcam, "gradcam++": gradcampp}
    for name in args.methods.split(","):
        if name == "igcam":
            full = timed(args.warmup, args.repeats, igcam(args.steps))
            chunks = timed(args.warmup, args.repeats, igcam(10))
            best = min(full, chunks, key=lambda r: r["median_ms"])
            best["variant"] = "full batch" if best is full else "chunks of 10"
            out["methods"][name] = best
        else:
            out["methods"][name] = timed(args.warmup, args.repeats, methods[name])
        print(f"{name}: {out['methods'][name]['median_ms']:.1f} ms", file=sys.stderr)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
