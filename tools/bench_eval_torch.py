#!/usr/bin/env python3
"""The Python stack's side of tools/bench_eval.sh: the evaluation igcam-eval runs, done the
way a Python user would put it together. Maps from pytorch-grad-cam (GradCAM,
GradCAMPlusPlus: the library most CAM users reach for), localisation (EBPG, Bbox with ties
in raster order) in numpy on the map resized to the image, Average Drop and Increase in
Confidence by torchcam's rule (relu(Y - O) / Y and O > Y on the logits, torchcam's default
score: a random network's softmax is saturated, 1 or 0 in float32, and Increase's strict
O > Y then turns on rounding; the model input
multiplied by the map, as torchcam's ClassificationMetric and pytorch-grad-cam mask) with
one batched no-grad forward of the masked inputs. Every image's class is its annotated
class (igcam-eval --target gt).

  bench_eval_torch.py --make-data DIR --weights FILE.h5 [--images 32] [--seed 0]
      writes DIR/images/*.jpg (VOC-sized synthetic scenes: 500 x 375 and 375 x 500, one to
      three objects, two of one class in some, labelled with the model's top classes) and
      DIR/boxes.csv (igcam-eval's CSV: image,class,xmin,ymin,xmax,ymax,difficult, 0-based
      half-open pixel boxes, class indices).
  bench_eval_torch.py --weights FILE.h5 --data DIR/boxes.csv [--methods gradcam,gradcam++]
      [--batch 16] [--threads 2] [--frozen]
      evaluates and prints one JSON object: seconds (from loading the weights to the last
      number, images decoded on the way), images, images_per_s and each method's means.

pytorch-grad-cam needs parameters that require grad (its gradient hook sits on the layer's
output), so its backward computes every weight's gradient too; --frozen freezes the
parameters and asks for the input's gradient instead (compute_input_gradient=True), which a
careful user might try: the backward then runs to the input but computes no weight gradient.
Runs in the reference environment (tools/install_metrics_env.sh), which has pytorch-grad-cam.
"""
import argparse
import csv
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def load_model(weights):
    """The weight file's torchvision network (eval mode) and its preprocessing."""
    import h5py
    import torch
    import torchvision.transforms as T
    sys.path.insert(0, HERE)
    import export_torchvision
    with h5py.File(weights, "r") as f:
        arch = f.attrs["arch"].decode()
        state = {k: torch.from_numpy(v[()]) for k, v in f["state_dict"].items()}
        mean, std = [float(v) for v in f.attrs["mean"]], [float(v) for v in f.attrs["std"]]
        resize, crop = int(f.attrs["resize"]), int(f.attrs["crop"])
    model = export_torchvision.build(arch, "torchvision", state["fc.weight"].shape[0])
    model.load_state_dict(state, strict=False)
    preprocess = T.Compose([T.Resize(resize), T.CenterCrop(crop), T.ToTensor(), T.Normalize(mean, std)])
    return model.eval(), preprocess, resize, crop


def make_data(out, count, seed, weights):
    """Scenes whose objects are labelled with the model's top classes for the scene (the
    first object its top-1, the next ones the following ranks; in some scenes two objects
    share the top-1), so that the scores are large and positive, as a trained model's are
    for the classes present (Average Drop divides by the score)."""
    import torch
    from PIL import Image, ImageDraw
    model, preprocess, _, _ = load_model(weights)
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    rows = []
    for i in range(count):
        width, height = (500, 375) if i % 2 == 0 else (375, 500)
        pixels = rng.integers(60, 196, size=(height, width, 3), dtype=np.uint8)
        image = Image.fromarray(pixels)
        draw = ImageDraw.Draw(image)
        boxes = []
        for _ in range(int(rng.integers(1, 4))):
            w, h = int(rng.integers(40, width // 2)), int(rng.integers(40, height // 2))
            x0, y0 = int(rng.integers(0, width - w)), int(rng.integers(0, height - h))
            colour = tuple(int(v) for v in rng.integers(0, 256, size=3))
            draw.rectangle([x0, y0, x0 + w - 1, y0 + h - 1], fill=colour)
            boxes.append((x0, y0, x0 + w, y0 + h))
        name = f"images/{i:04d}.jpg"
        image.save(os.path.join(out, name), quality=90)
        with torch.no_grad():
            ranked = model(preprocess(Image.open(os.path.join(out, name)).convert("RGB"))[None])[0].argsort(descending=True)
        classes = [int(c) for c in ranked[:len(boxes)]]
        if len(boxes) >= 2 and i % 3 == 0:
            classes[1] = classes[0]  # two objects of one class: the mask is their union
        rows += [(name, cls, *box, 0) for cls, box in zip(classes, boxes)]
    with open(os.path.join(out, "boxes.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["image", "class", "xmin", "ymin", "xmax", "ymax", "difficult"])
        writer.writerows(rows)


def read_dataset(path):
    """[(image path, {class: [(y0, y1, x0, x1)]})] in file order."""
    images = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            boxes = images.setdefault(os.path.join(os.path.dirname(path), row["image"]), {})
            boxes.setdefault(int(row["class"]), []).append(
                (int(row["ymin"]), int(row["ymax"]), int(row["xmin"]), int(row["xmax"])))
    return list(images.items())


def crop_window(height, width, resize, crop):
    """The region of the image that torchvision's Resize(resize) + CenterCrop(crop) keeps,
    in image pixels: (y0, y1, x0, x1)."""
    short, long = min(height, width), max(height, width)
    resized_long = int(resize * long / short)
    rh, rw = (resize, resized_long) if height <= width else (resized_long, resize)
    top, left = int(round((rh - crop) / 2.0)), int(round((rw - crop) / 2.0))
    return (round(top * height / rh), round((top + crop) * height / rh),
            round(left * width / rw), round((left + crop) * width / rw))


def localisation(cam, height, width, boxes, resize, crop):
    """EBPG and Bbox (ties in raster order) of one map cam [crop, crop] against boxes."""
    import cv2
    y0, y1, x0, x1 = crop_window(height, width, resize, crop)
    frame = np.zeros((height, width), np.float32)
    frame[y0:y1, x0:x1] = cv2.resize(cam, (x1 - x0, y1 - y0))
    mask = np.zeros((height, width), bool)
    for by0, by1, bx0, bx1 in boxes:
        mask[by0:by1, bx0:bx1] = True
    total = frame.sum()
    ebpg = float(frame[mask].sum() / total) if total > 0 else None
    n = int(mask.sum())
    order = np.argsort(-frame.ravel(), kind="stable")[:n]
    bbox = float(mask.ravel()[order].mean())
    return ebpg, bbox


def evaluate(args):
    import torch
    from PIL import Image
    from pytorch_grad_cam import GradCAM, GradCAMPlusPlus
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    model, preprocess, resize, crop = load_model(args.weights)
    if args.frozen:
        for p in model.parameters():
            p.requires_grad_(False)
    kinds = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus}
    cams = {m: kinds[m](model=model, target_layers=[model.layer4[-1]]) for m in args.methods.split(",")}
    for cam in cams.values():
        cam.compute_input_gradient = args.frozen  # BaseCAM's switch; GradCAM's constructor does not pass it on
    results = {m: {"ebpg": [], "bbox": [], "drop": [], "increase": []} for m in cams}

    dataset = read_dataset(args.data)
    pairs = [(path, cls, boxes) for path, classes in dataset for cls, boxes in classes.items()]
    for first in range(0, len(pairs), args.batch):
        chunk = pairs[first:first + args.batch]
        images = [Image.open(path).convert("RGB") for path, _, _ in chunk]
        x = torch.stack([preprocess(image) for image in images])
        targets = [ClassifierOutputTarget(cls) for _, cls, _ in chunk]
        index = torch.tensor([cls for _, cls, _ in chunk])
        for method, cam in cams.items():
            maps = cam(input_tensor=x, targets=targets)  # [B, crop, crop] in [0, 1]
            rows = torch.arange(len(chunk))
            scores = cam.outputs.detach()[rows, index]
            with torch.no_grad():
                masked = model(x * torch.from_numpy(maps)[:, None])[rows, index]
            for i, (_, _, boxes) in enumerate(chunk):
                ebpg, bbox = localisation(maps[i], images[i].height, images[i].width, boxes, resize, crop)
                y, o = float(scores[i]), float(masked[i])
                results[method]["ebpg"].append(ebpg)
                results[method]["bbox"].append(bbox)
                results[method]["drop"].append(100.0 * max(0.0, y - o) / y if y > 0 else None)
                results[method]["increase"].append(100.0 if o > y else 0.0)
    seconds = time.perf_counter() - start

    def mean_of(values, scale):
        kept = [v for v in values if v is not None]
        return scale * sum(kept) / len(kept) if kept else None

    means = {m: {"ebpg": mean_of(r["ebpg"], 100), "bbox": mean_of(r["bbox"], 100),
                 "drop": mean_of(r["drop"], 1), "increase": mean_of(r["increase"], 1)}
             for m, r in results.items()}
    print(json.dumps({"seconds": seconds, "images": len(dataset), "pairs": len(pairs),
                      "images_per_s": len(dataset) / seconds, "frozen": args.frozen, "means": means}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--make-data", metavar="DIR")
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weights")
    parser.add_argument("--data")
    parser.add_argument("--methods", default="gradcam,gradcam++")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frozen", action="store_true")
    args = parser.parse_args()
    if args.make_data:
        if not args.weights:
            parser.error("--make-data needs --weights (the model labels the scenes)")
        make_data(args.make_data, args.images, args.seed, args.weights)
    elif args.weights and args.data:
        evaluate(args)
    else:
        parser.error("give --make-data DIR, or --weights and --data")


if __name__ == "__main__":
    main()
