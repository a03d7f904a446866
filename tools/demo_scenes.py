#!/usr/bin/python3
"""Synthetic scenes in the PASCAL VOC layout: the evaluation data of igcam's demo model.

Each scene holds one to three objects of tools/demo_shapes.py's six classes (a quarter of
the scenes show one class twice), each drawn as demo_shapes draws them, at the sizes the demo
model was trained on (larger side 20-42 px), without overlapping, on demo_shapes' cluttered
background, plus one or two unannotated distractors (hexagon rings and bars, shapes no class
has). About one object in six is marked difficult.

  tools/demo_scenes.py --count 60 --seed 11 --size 160 --out demo-voc

writes the VOC layout igcam-eval reads:
  OUT/JPEGImages/scene_NNNN.jpg        (JPEG quality 95)
  OUT/Annotations/scene_NNNN.xml       (VOC XML: size, objects with name, difficult and
                                        bndbox in VOC's 1-based inclusive pixels)
  OUT/ImageSets/Main/test.txt          (every id)
Only numpy and PIL. The same (count, seed, size) gives byte-identical files.
"""
import argparse
import math
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_shapes  # noqa: E402

EXTENT_PX = (20.0, 42.0)  # object extent in output pixels (demo_shapes: 20-45 % of 96)


def _polygon_points(label, rng, extent):
    poly, rotation = demo_shapes._shape(label, rng)
    if poly is None:
        return None, extent / 2, extent / 2
    th = math.radians(rotation)
    pts = np.array([(x * math.cos(th) - y * math.sin(th), x * math.sin(th) + y * math.cos(th)) for x, y in poly])
    pts -= (pts.min(0) + pts.max(0)) / 2
    pts *= extent / (pts.max(0) - pts.min(0)).max()
    half_w, half_h = pts.max(0)
    return pts, half_w, half_h


def _place(rng, big, half_w, half_h, taken, margin):
    """A centre whose box does not meet the boxes in `taken`; None after 200 tries."""
    for _ in range(200):
        cx = rng.uniform(half_w + margin, big - half_w - margin)
        cy = rng.uniform(half_h + margin, big - half_h - margin)
        box = (cx - half_w - margin, cy - half_h - margin, cx + half_w + margin, cy + half_h + margin)
        if all(box[2] <= t[0] or t[2] <= box[0] or box[3] <= t[1] or t[3] <= box[1] for t in taken):
            return cx, cy, box
    return None


def _distractor(draw, rng, cx, cy, radius, s):
    colour = tuple(int(v) for v in rng.integers(0, 256, 3))
    if rng.uniform() < 0.5:  # a hexagon ring
        pts = [(cx + radius * math.cos(k * math.pi / 3), cy + radius * math.sin(k * math.pi / 3)) for k in range(7)]
        draw.line(pts, fill=colour, width=int(rng.integers(2, 4)) * s)
    else:  # two parallel bars
        for d in (-0.35, 0.35):
            draw.rectangle([cx - radius, cy + d * radius - 0.12 * radius, cx + radius, cy + d * radius + 0.12 * radius],
                           fill=colour)


def make_scene(rng, size):
    """One scene: (uint8 (size, size, 3) RGB, [(label, (x0, y0, x1, y1) half-open pixels, difficult)])."""
    s = demo_shapes.SUPERSAMPLE
    big = size * s
    bg = demo_shapes._background(rng, size)
    img = Image.fromarray(bg).resize((big, big), Image.BILINEAR)
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(4, 10))):
        x0, y0 = rng.uniform(0, big, 2)
        length, angle = rng.uniform(0.1, 0.4) * big, rng.uniform(0, 2 * math.pi)
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        draw.line([(x0, y0), (x0 + length * math.cos(angle), y0 + length * math.sin(angle))],
                  fill=colour, width=int(rng.integers(1, 3)) * s)

    count = int(rng.integers(1, 4))
    labels = [int(rng.integers(len(demo_shapes.CLASS_NAMES))) for _ in range(count)]
    if count >= 2 and rng.uniform() < 0.25:
        labels[1] = labels[0]  # one class twice
    taken, objects = [], []
    margin = 2.0 * s
    for label in labels:
        extent = rng.uniform(*EXTENT_PX) * s
        pts, half_w, half_h = _polygon_points(label, rng, extent)
        spot = _place(rng, big, half_w, half_h, taken, margin)
        if spot is None:
            continue
        cx, cy, box = spot
        taken.append(box)
        colour = demo_shapes._colour(rng, bg[int(cy / s), int(cx / s)].astype(np.float64))
        fill = tuple(int(v) for v in colour)
        if pts is None:
            draw.ellipse([cx - half_w, cy - half_h, cx + half_w, cy + half_h], fill=fill)
        else:
            draw.polygon([(cx + x, cy + y) for x, y in pts], fill=fill)
        pixel_box = (max(0, math.floor((cx - half_w) / s)), max(0, math.floor((cy - half_h) / s)),
                     min(size, math.ceil((cx + half_w) / s)), min(size, math.ceil((cy + half_h) / s)))
        objects.append((label, pixel_box, bool(rng.uniform() < 1 / 6)))
    for _ in range(int(rng.integers(1, 3))):
        radius = rng.uniform(8.0, 14.0) * s
        spot = _place(rng, big, radius, radius, taken, margin)
        if spot is not None:
            taken.append(spot[2])
            _distractor(draw, rng, spot[0], spot[1], radius, s)

    img = img.reduce(s)
    noise = rng.standard_normal((size, size, 3), dtype=np.float32) * np.float32(rng.uniform(3.0, 10.0))
    out = np.asarray(img, dtype=np.float32) + noise
    out = np.rint(np.clip(out, 0, 255, out=out), out=out).astype(np.uint8)
    return out, objects


def voc_xml(name, size, objects):
    lines = ["<annotation>", "  <folder>demo-voc</folder>", f"  <filename>{name}.jpg</filename>",
             f"  <size><width>{size}</width><height>{size}</height><depth>3</depth></size>"]
    for label, (x0, y0, x1, y1), difficult in objects:
        # half-open [x0, x1) is 1-based inclusive [x0 + 1, x1]
        lines += ["  <object>", f"    <name>{demo_shapes.CLASS_NAMES[label]}</name>", "    <truncated>0</truncated>",
                  f"    <difficult>{int(difficult)}</difficult>",
                  f"    <bndbox><xmin>{x0 + 1}</xmin><ymin>{y0 + 1}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox>",
                  "  </object>"]
    return "\n".join(lines + ["</annotation>"]) + "\n"


def write_voc(out, count, seed, size=160):
    rng = np.random.default_rng(seed)
    for sub in ("JPEGImages", "Annotations", os.path.join("ImageSets", "Main")):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    ids = []
    for i in range(count):
        name = f"scene_{i:04d}"
        pixels, objects = make_scene(rng, size)
        Image.fromarray(pixels).save(os.path.join(out, "JPEGImages", name + ".jpg"), quality=95)
        with open(os.path.join(out, "Annotations", name + ".xml"), "w") as f:
            f.write(voc_xml(name, size, objects))
        ids.append(name)
    with open(os.path.join(out, "ImageSets", "Main", "test.txt"), "w") as f:
        f.write("\n".join(ids) + "\n")
    return ids


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--count", type=int, required=True, help="number of scenes")
    p.add_argument("--seed", type=int, required=True, help="numpy generator seed")
    p.add_argument("--size", type=int, default=160, help="scene side in pixels (at least 96)")
    p.add_argument("--out", required=True, help="output folder (created)")
    args = p.parse_args(argv)
    if args.count < 1 or args.size < 96:
        p.error("--count must be >= 1 and --size >= 96")
    write_voc(args.out, args.count, args.seed, args.size)
    print(f"wrote {args.count} scenes of {args.size}x{args.size} in the VOC layout to {args.out}")


if __name__ == "__main__":
    main(sys.argv[1:])
