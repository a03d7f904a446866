#!/usr/bin/python3
"""How far igcam's float32 results are from its float64 ones, per convolution algorithm.

Usage: tools/conv_accuracy.py [--models resnet50,vgg16] [--conv winograd,direct,bf16] [--images 20]
                              [--igcam-images 4] [--steps 16] [--dir build/bench/accuracy]
                              [--igcam-run PATH] [--igcam-audit PATH]

For each model (torchvision's architecture, random weights with seed 0, as tools/bench.sh
uses; written by tools/export_torchvision.py) and each --conv setting: --images seeded
random 224 x 224 images (bf16: igcam-run --bf16, bfloat16 convolution inputs) explained with Grad-CAM in float32 and in float64 (igcam-run
--dump), the first --igcam-images of them with IG-CAM too (--steps steps); igcam-audit
gives each tensor's max |f32 - f64| / max |f64|; printed per model and setting: the worst
over the images for the logits, the Grad-CAM map and the IG-CAM map, and how many images'
top-1 class agrees. The float64 side never uses Winograd (it runs on im2col + OpenBLAS).
"""
import argparse
import json
import pathlib
import subprocess
import sys

import h5py
import numpy as np
from PIL import Image

REPO = pathlib.Path(__file__).resolve().parent.parent


def run(command):
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True)
    if done.returncode not in (0, 1):  # igcam-audit exits 1 when something is beyond its tolerance
        sys.exit(f"conv_accuracy: {' '.join(map(str, command))} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def explain(args, weights, images, methods, dtype, conv, dump):
    flags = [f for image in images for f in ("--image", image)]
    setting = ["--bf16"] if conv == "bf16" else ["--conv", conv]
    run([args.igcam_run, "--weights", weights, *flags, "--method", methods, "--steps", args.steps, "--dtype", dtype,
         *setting, "--dump", dump, "--out", dump.with_suffix(""), "-q"])


def worst(audit, suffix):
    values = [t["relative"] for t in audit["tensors"] if t["name"].endswith(suffix) and t.get("relative") is not None]
    return max(values) if values else float("nan")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default="resnet50,vgg16")
    p.add_argument("--conv", default="winograd,direct,bf16")
    p.add_argument("--images", type=int, default=20)
    p.add_argument("--igcam-images", type=int, default=4)
    p.add_argument("--steps", type=int, default=16)
    p.add_argument("--dir", default="build/bench/accuracy")
    p.add_argument("--igcam-run", default=str(REPO / "build" / "bin" / "igcam-run"))
    p.add_argument("--igcam-audit", default=str(REPO / "build" / "bin" / "igcam-audit"))
    args = p.parse_args()
    work = pathlib.Path(args.dir)
    work.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    images = []
    for i in range(args.images):
        images.append(work / f"image{i:02d}.png")
        if not images[-1].exists():
            Image.fromarray(rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)).save(images[-1])
    print("| model | --conv | logits | Grad-CAM map | IG-CAM map | top-1 agreement |")
    print("|---|---|---|---|---|---|")
    for model in args.models.split(","):
        weights = work.parent / f"{model}.h5"
        if not weights.exists():
            run([sys.executable, REPO / "tools" / "export_torchvision.py", "--arch", model, "--seed", "0",
                 "--out", weights])
        reference = {}
        for methods, chosen in (("gradcam", images), ("gradcam,igcam", images[:args.igcam_images])):
            reference[methods] = work / f"{model}.{methods.replace(',', '-')}.f64.h5"
            if not reference[methods].exists():
                explain(args, weights, chosen, methods, "f64", "direct", reference[methods])
        for conv in args.conv.split(","):
            errors = {}
            for methods, chosen in (("gradcam", images), ("gradcam,igcam", images[:args.igcam_images])):
                ours = work / f"{model}.{methods.replace(',', '-')}.f32.{conv}.h5"
                explain(args, weights, chosen, methods, "f32", conv, ours)
                audit = json.loads(run([args.igcam_audit, "--ours", ours, "--reference", reference[methods], "--json"]))
                errors[methods] = audit
                if methods == "gradcam":
                    with h5py.File(ours) as a, h5py.File(reference[methods]) as b:
                        stems = [k for k in a.keys()]
                        agree = sum(int(np.argmax(a[s]["logits"][()]) == np.argmax(b[s]["logits"][()])) for s in stems)
            print(f"| {model} | {conv} | {worst(errors['gradcam'], '/logits'):.2g} | "
                  f"{worst(errors['gradcam'], '/maps/gradcam'):.2g} | {worst(errors['gradcam,igcam'], '/maps/igcam'):.2g} | "
                  f"{agree} of {len(stems)} |", flush=True)


if __name__ == "__main__":
    main()
