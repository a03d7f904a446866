#!/usr/bin/python3
"""PyTorch's side of the benchmark: the same weights (an igcam-torch-h5 file), input and
class as igcam-bench, computed the way a good PyTorch user would: eval mode, parameters
that do not require grad, torch.no_grad wherever no gradient is needed, a forward hook on
the target layer that makes its output the leaf of the backward pass (so no parameter
gradient and no backward below it), strict float32 (no TF32, highest matmul precision;
--tf32 allows TF32 in cuDNN and cuBLAS, as igcam-bench --tf32 does),
IG-CAM steps and Score-CAM masks batched: the whole --batch at once and in chunks of 10,
the better reported with its variant; batched-gradcam explains --images images (the input,
then seeded random others) in batches of each of --batches and reports the fastest, with
images per second. Prints one JSON object like igcam-bench, with the
peak resident memory growth of each method (Linux's VmHWM, reset before the method) and,
with --device cuda, the peak of the GPU memory PyTorch's allocator hands to tensors above
what was in use before the method (torch.cuda.max_memory_allocated). GPU runs are timed
after torch.cuda.synchronize().

Usage: tools/bench_torch.py --weights FILE.h5 [--input X.npy] [--class 0]
       [--methods forward,gradcam,gradcam++,igcam,scorecam,batched-gradcam] [--size 224]
       [--repeats 10] [--warmup 2] [--steps 50] [--batch 50] [--only-batch] [--images 64]
       [--batches 1,8,16,32,64] [--threads 2] [--device cpu|cuda] [--tf32]
"""
import argparse
import ctypes
import gc
import json
import os
import re
import sys
import time

import h5py
import numpy as np
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
    return model.eval(), arch, ("layer4" if arch.startswith("resnet") else "features.29")


class Cut:
    """Forward hook: with `on`, the layer's output becomes a leaf that requires grad."""

    def __init__(self, module):
        module.register_forward_hook(self)
        self.on = False

    def __call__(self, module, inputs, output):
        if self.on:
            output = output.detach().requires_grad_(True)
        self.a = output
        return output


def capture(model, cut, x, c):
    """Activations and d score / d activations at the cut layer, for class c."""
    cut.on = True
    try:
        model(x)[:, c].sum().backward()
    finally:
        cut.on = False
    return cut.a.detach(), cut.a.grad


def status_kib(field):
    with open("/proc/self/status") as f:
        return float(re.search(rf"^{field}:\s+(\d+)", f.read(), re.M).group(1))


def release_free_memory():
    """Hands the allocator's free memory back to the system, so that the memory measured
    starts from what is in use (loading the model frees a copy of the weights)."""
    gc.collect()
    process = ctypes.CDLL(None)
    for name in ("MallocExtension_ReleaseFreeMemory", "malloc_trim"):  # tcmalloc, glibc
        if hasattr(process, name):
            getattr(process, name)(*([0] if name == "malloc_trim" else []))


def timed(warmup, repeats, fn, device="cpu"):
    cuda = device.startswith("cuda")

    def run():
        fn()
        if cuda:
            torch.cuda.synchronize()

    release_free_memory()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current resident size
    resident = status_kib("VmRSS")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        in_use = torch.cuda.memory_allocated()
    for _ in range(warmup):
        run()
    ms = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        ms.append((time.perf_counter() - start) * 1e3)
    ms.sort()
    result = {"median_ms": ms[len(ms) // 2], "min_ms": ms[0], "repeats": repeats,
              "peak_rss_growth_mib": max(0.0, status_kib("VmHWM") - resident) / 1024}
    if cuda:
        result["peak_device_growth_mib"] = max(0, torch.cuda.max_memory_allocated() - in_use) / 2**20
    return result


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", required=True)
    p.add_argument("--input", help="(1, 3, H, W) .npy, already preprocessed; default uniform in [-2, 2]")
    p.add_argument("--class", dest="target", type=int, default=0)
    p.add_argument("--methods", default="forward,gradcam,gradcam++,igcam")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--only-batch", action="store_true",
                   help="time IG-CAM and Score-CAM in passes of --batch only, not also of 10")
    p.add_argument("--images", type=int, default=64, help="batched-gradcam: images explained")
    p.add_argument("--batches", default="1,8,16,32,64", help="batched-gradcam: images per pass to time")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    p.add_argument("--tf32", action="store_true", help="allow TF32 in cuDNN and cuBLAS (GPU)")
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    if hasattr(torch.backends.cudnn, "conv"):
        # PyTorch 2.9 and later (torch.backends.cudnn.conv is new there): the allow_tf32 flags
        # are deprecated for these. Older versions' backend modules refuse unknown names.
        precision = "tf32" if args.tf32 else "ieee"
        torch.backends.cuda.matmul.fp32_precision = precision
        torch.backends.cudnn.conv.fp32_precision = precision
    else:
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
        torch.set_float32_matmul_precision("high" if args.tf32 else "highest")
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # what a good GPU user sets for fixed shapes
    model, arch, layer = load(args.weights)
    model = model.to(device)
    cut = Cut(dict(model.named_modules())[layer])
    if args.input:
        x = torch.from_numpy(np.load(args.input).astype(np.float32))
    else:
        x = torch.rand(1, 3, args.size, args.size, generator=torch.Generator().manual_seed(7)) * 4 - 2
    x = x.to(device)
    baseline = torch.zeros_like(x)
    c = args.target
    out = {"tool": "pytorch " + torch.__version__, "model": arch, "layer": layer, "size": x.shape[2],
           "class": c, "threads": torch.get_num_threads(),
           "allocator": "tcmalloc" if "tcmalloc" in os.environ.get("LD_PRELOAD", "") else "glibc malloc",
           "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu", "tf32": args.tf32,
           "methods": {}}

    def forward():
        with torch.no_grad():
            model(x)

    def gradcam():
        a, g = capture(model, cut, x, c)
        torch.relu((g.mean((2, 3), keepdim=True) * a).sum(1))

    def gradcampp():
        a, g = capture(model, cut, x, c)
        g2 = g * g
        alpha = g2 / (2 * g2 + a.sum((2, 3), keepdim=True) * g2 * g + 1e-6)
        torch.relu(((alpha * torch.relu(g)).sum((2, 3), keepdim=True) * a).sum(1))

    # batched-gradcam's images: the input, then seeded random others (as igcam-bench's, not
    # the same values: both sides get images of the same kind and count).
    generator = torch.Generator().manual_seed(1000)
    images = torch.cat([x.cpu()] + [torch.rand(1, 3, *x.shape[2:], generator=generator) * 4 - 2
                                     for _ in range(args.images - 1)]).to(device)

    def batched_gradcam(chunk):
        """Grad-CAM for every image, `chunk` images per forward and backward."""
        def run():
            for i in range(0, images.shape[0], chunk):
                a, g = capture(model, cut, images[i:i + chunk], c)
                torch.relu((g.mean((2, 3), keepdim=True) * a).sum(1))
        return run

    def igcam(chunk):
        """Right Riemann sum, delta against the baseline's maps, ReLU per step, mean."""
        def run():
            with torch.no_grad():
                model(baseline)
                a0 = cut.a
            total = 0
            ts = torch.arange(1, args.steps + 1, dtype=x.dtype, device=x.device) / args.steps
            for i in range(0, args.steps, chunk):
                t = ts[i:i + chunk].view(-1, 1, 1, 1)
                a, g = capture(model, cut, baseline + t * (x - baseline), c)
                total = total + torch.relu((g.mean((2, 3), keepdim=True) * (a - a0)).sum(1)).sum(0)
            return total / args.steps
        return run

    def scorecam(chunk):
        """Masks: each channel upsampled (bilinear, half-pixel) and min-max scaled; weights:
        softmax over channels of the masked inputs' class scores."""
        def run():
            with torch.no_grad():
                model(x)
                a = cut.a
                up = torch.nn.functional.interpolate(a, size=x.shape[2:], mode="bilinear", align_corners=False)
                lo = up.amin((2, 3), keepdim=True)
                hi = up.amax((2, 3), keepdim=True)
                masks = ((up - lo) / (hi - lo + torch.finfo(x.dtype).tiny)).transpose(0, 1)  # (K, 1, H, W)
                scores = torch.cat([model(x * masks[k:k + chunk])[:, c] for k in range(0, masks.shape[0], chunk)])
                w = torch.softmax(scores, 0).view(1, -1, 1, 1)
                return torch.relu((w * a).sum(1))
        return run

    batched = {"igcam": igcam, "scorecam": scorecam, "batched-gradcam": batched_gradcam}
    methods = {"forward": forward, "gradcam": gradcam, "gradcam++": gradcampp}
    for name in args.methods.split(","):
        if name in batched:
            results = []
            chunks = sorted({min(int(b), args.images) for b in args.batches.split(",") if b}) \
                if name == "batched-gradcam" else ([args.batch] if args.only_batch else sorted({args.batch, 10}, reverse=True))
            for chunk in chunks:
                r = timed(args.warmup, args.repeats, batched[name](chunk), args.device)
                r["variant"] = f"batch {chunk}"
                if name == "batched-gradcam":
                    r["images"] = args.images
                    r["images_per_s"] = args.images / (r["median_ms"] / 1e3)
                results.append(r)
                print(f"pytorch {name} ({r['variant']}): {r['median_ms']:.1f} ms", file=sys.stderr)
            best = min(results, key=lambda r: r["median_ms"])
            best["others"] = [{k: r[k] for k in ("variant", "median_ms")} for r in results if r is not best]
            out["methods"][name] = best
        elif name in methods:
            out["methods"][name] = timed(args.warmup, args.repeats, methods[name], args.device)
            print(f"pytorch {name}: {out['methods'][name]['median_ms']:.1f} ms", file=sys.stderr)
        else:
            sys.exit(f"error: unknown method '{name}'")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
