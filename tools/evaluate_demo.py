#!/usr/bin/python3
"""How well the bundled demo model classifies and localises, measured through igcam-run.

Usage: tools/evaluate_demo.py [--igcam-run build/bin/igcam-run] [--count 100] [--seed 3000]

Generates `count` held-out shape images (tools/demo_shapes.py, a seed unused by training),
runs igcam-run on them with Grad-CAM and IG-CAM, and reports the classification accuracy
and, per method, how often the maximum of the map falls inside the object's bounding box.
The map's maximum is taken on the map as displayed: the raw map from the .npy upsampled to
the image with bilinear half-pixel interpolation (what the overlay shows), first maximum in
row-major order. Prints one JSON object.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import demo_shapes  # noqa: E402


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = os.path.dirname(HERE)
    p.add_argument("--igcam-run", default=os.path.join(root, "build", "bin", "igcam-run"))
    p.add_argument("--weights", default=os.path.join(root, "demo", "model", "shapes_resnet.h5"))
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--seed", type=int, default=3000)
    args = p.parse_args(argv)
    methods = ["gradcam", "igcam"]
    with tempfile.TemporaryDirectory() as work:
        images = os.path.join(work, "images")
        demo_shapes.write_dataset(images, args.count, args.seed)
        boxes = {e["file"]: e for e in json.load(open(os.path.join(images, "boxes.json")))["images"]}
        out = os.path.join(work, "out")
        subprocess.run([args.igcam_run, "--weights", args.weights, "--image", images, "--method", ",".join(methods),
                        "--out", out, "--quiet"], check=True, stdout=subprocess.DEVNULL)
        report = json.load(open(os.path.join(out, "report.json")))
        correct, hits = 0, {m: 0 for m in methods}
        for image in report["images"]:
            entry = boxes[os.path.basename(image["path"])]
            correct += image["class"]["index"] == entry["label"]
            height, width = image["input_shape"][2], image["input_shape"][3]
            x0, y0, x1, y1 = entry["box"]
            for m in image["methods"]:
                raw = torch.from_numpy(np.load(os.path.join(out, m["npy"])).astype(np.float64))[None, None]
                heat = F.interpolate(raw, size=(height, width), mode="bilinear", align_corners=False)[0, 0]
                y, x = divmod(int(torch.argmax(heat)), width)
                hits[m["name"]] += x0 <= x < x1 and y0 <= y < y1  # boxes are pixel edges
    n = len(report["images"])
    print(json.dumps({"images": n, "seed": args.seed, "accuracy": correct / n,
                      "max_in_box": {m: hits[m] / n for m in methods}}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
