#!/usr/bin/python3
"""Deterministic synthetic shapes on cluttered backgrounds: the data of igcam's demo model.

Each image holds exactly one object of one of six classes (CLASS_NAMES) at a random
position, scale (20-45% of the side), rotation (where the class allows one) and colour, on a
cluttered background: a two-colour gradient, random line segments, small blobs (ellipses
smaller than any object) and pixel noise, so that a classifier has to find the object.

  tools/demo_shapes.py --count 6 --seed 7 --size 96 --out demo/images

writes DIR/NNNN_<class>.png and DIR/boxes.json:
  {"classes": [...], "images": [{"file", "label", "class", "box": [x0, y0, x1, y1]}, ...]}
Boxes are in pixels, pixel-edge coordinates rounded outwards: the object lies in
x0 <= x < x1, y0 <= y < y1. Labels cycle through the classes (image i has label i % 6), so
--count 6 gives one image per class.

Only numpy and PIL. The same (seed, count, size) gives byte-identical PNGs and boxes.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

CLASS_NAMES = ["circle", "square", "triangle", "star", "cross", "diamond"]
SUPERSAMPLE = 2             # shapes are drawn at 2x and box-filtered down (anti-aliasing)
SCALE_RANGE = (0.20, 0.45)  # object extent (larger of box width and height) / image side


def _star(rng):
    inner = rng.uniform(0.38, 0.5)
    return [(math.cos(math.pi / 2 + k * math.pi / 5) * (1.0 if k % 2 == 0 else inner),
             -math.sin(math.pi / 2 + k * math.pi / 5) * (1.0 if k % 2 == 0 else inner)) for k in range(10)]


def _cross(rng):
    t = rng.uniform(0.16, 0.22)  # half the arm thickness, arms of half-length 1
    return [(-t, -1), (t, -1), (t, -t), (1, -t), (1, t), (t, t), (t, 1), (-t, 1), (-t, t), (-1, t), (-1, -t), (-t, -t)]


def _shape(label, rng):
    """Unit polygon (or None for the circle) and its rotation in degrees."""
    name = CLASS_NAMES[label]
    if name == "circle":
        return None, 0.0
    if name == "square":
        return [(-1, -1), (1, -1), (1, 1), (-1, 1)], rng.uniform(-15, 15)
    if name == "triangle":
        return [(math.cos(math.pi / 2 + k * 2 * math.pi / 3), -math.sin(math.pi / 2 + k * 2 * math.pi / 3))
                for k in range(3)], rng.uniform(0, 360)
    if name == "star":
        return _star(rng), rng.uniform(0, 360)
    if name == "cross":
        return _cross(rng), rng.uniform(0, 90)
    a = rng.uniform(0.5, 0.68)  # diamond: a rhombus, clearly taller than wide, near upright
    return [(0, -1), (a, 0), (0, 1), (-a, 0)], rng.uniform(-20, 20)


def _colour(rng, avoid, min_dist=110.0):
    """A random saturated-ish colour at least min_dist (RGB L2) from `avoid`."""
    for _ in range(100):
        c = rng.integers(0, 256, 3).astype(np.float64)
        if np.linalg.norm(c - avoid) >= min_dist:
            return c
    return 255.0 - avoid  # practically unreachable; still deterministic


def _background(rng, side):
    """Two-colour linear gradient in a random direction, as uint8 RGB (side, side, 3)."""
    c0, c1 = rng.uniform(0, 255, 3).astype(np.float32), rng.uniform(0, 255, 3).astype(np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    coords = ((np.arange(side, dtype=np.float32) + 0.5) / side - 0.5)
    t = np.float32(math.cos(angle)) * coords[None, :] + np.float32(math.sin(angle)) * coords[:, None]
    t = (t - t.min()) / (t.max() - t.min())
    return (c0 + (c1 - c0) * t[..., None] + 0.5).astype(np.uint8)


def make_sample(rng, size=96, label=None):
    """One image: (uint8 array (size, size, 3) RGB, label, box (x0, y0, x1, y1) in pixels).

    rng is a numpy Generator; label None draws one. Deterministic given the generator state.
    """
    if label is None:
        label = int(rng.integers(len(CLASS_NAMES)))
    s = SUPERSAMPLE
    big = size * s
    bg = _background(rng, size)  # smooth: computed at the output size, upsampled bilinearly
    img = Image.fromarray(bg).resize((big, big), Image.BILINEAR)
    draw = ImageDraw.Draw(img)

    # Clutter below the object: line segments and small blobs of random colours.
    for _ in range(int(rng.integers(4, 10))):
        x0, y0 = rng.uniform(0, big, 2)
        length, angle = rng.uniform(0.1, 0.5) * big, rng.uniform(0, 2 * math.pi)
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        draw.line([(x0, y0), (x0 + length * math.cos(angle), y0 + length * math.sin(angle))],
                  fill=colour, width=int(rng.integers(1, 3)) * s)
    for _ in range(int(rng.integers(3, 9))):
        cx, cy = rng.uniform(0, big, 2)
        rx, ry = rng.uniform(0.015, 0.05, 2) * big  # at most 10% of the side across
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=colour)

    # The object: unit shape, rotated, scaled so its larger extent is a fraction of the side.
    poly, rotation = _shape(label, rng)
    extent = rng.uniform(*SCALE_RANGE) * big
    if poly is None:
        half_w = half_h = extent / 2
    else:
        th = math.radians(rotation)
        pts = np.array([(x * math.cos(th) - y * math.sin(th), x * math.sin(th) + y * math.cos(th)) for x, y in poly])
        pts -= (pts.min(0) + pts.max(0)) / 2
        pts *= extent / (pts.max(0) - pts.min(0)).max()
        half_w, half_h = pts.max(0)
    margin = 1.0 * s
    cx = rng.uniform(half_w + margin, big - half_w - margin)
    cy = rng.uniform(half_h + margin, big - half_h - margin)
    colour = _colour(rng, bg[int(cy / s), int(cx / s)].astype(np.float64))
    fill = tuple(int(v) for v in colour)
    if poly is None:
        draw.ellipse([cx - half_w, cy - half_h, cx + half_w, cy + half_h], fill=fill)
    else:
        draw.polygon([(cx + x, cy + y) for x, y in pts], fill=fill)

    img = img.reduce(s)  # box filter back to `size`
    noise = rng.standard_normal((size, size, 3), dtype=np.float32) * np.float32(rng.uniform(3.0, 12.0))
    out = np.asarray(img, dtype=np.float32) + noise
    out = np.rint(np.clip(out, 0, 255, out=out), out=out).astype(np.uint8)
    box = (max(0, math.floor((cx - half_w) / s)), max(0, math.floor((cy - half_h) / s)),
           min(size, math.ceil((cx + half_w) / s)), min(size, math.ceil((cy + half_h) / s)))
    return out, label, box


def make_dataset(count, seed, size=96):
    """count images from one seeded generator, labels cycling through the classes.
    Returns (uint8 (count, size, size, 3), int64 labels (count,), int64 boxes (count, 4))."""
    rng = np.random.default_rng(seed)
    images = np.empty((count, size, size, 3), np.uint8)
    labels = np.empty(count, np.int64)
    boxes = np.empty((count, 4), np.int64)
    for i in range(count):
        images[i], labels[i], boxes[i] = make_sample(rng, size, label=i % len(CLASS_NAMES))
    return images, labels, boxes


def write_dataset(out, count, seed, size=96):
    os.makedirs(out, exist_ok=True)
    images, labels, boxes = make_dataset(count, seed, size)
    entries = []
    for i in range(count):
        name = CLASS_NAMES[labels[i]]
        fname = f"{i:04d}_{name}.png"
        Image.fromarray(images[i]).save(os.path.join(out, fname), optimize=True)
        entries.append({"file": fname, "label": int(labels[i]), "class": name,
                        "box": [int(v) for v in boxes[i]]})
    with open(os.path.join(out, "boxes.json"), "w") as f:  # one image a line
        f.write(f'{{"classes": {json.dumps(CLASS_NAMES)}, "size": {size}, "seed": {seed}, "images": [\n')
        f.write(",\n".join(" " + json.dumps(e) for e in entries))
        f.write("\n]}\n")
    return entries


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--count", type=int, required=True, help="number of images (labels cycle through the classes)")
    p.add_argument("--seed", type=int, required=True, help="numpy generator seed")
    p.add_argument("--size", type=int, default=96, help="image side in pixels")
    p.add_argument("--out", required=True, help="output folder (created)")
    args = p.parse_args(argv)
    if args.count < 1 or args.size < 16:
        p.error("--count must be >= 1 and --size >= 16")
    write_dataset(args.out, args.count, args.seed, args.size)
    print(f"wrote {args.count} images of {args.size}x{args.size} and boxes.json to {args.out}")


if __name__ == "__main__":
    main(sys.argv[1:])
