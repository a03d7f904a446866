#!/usr/bin/python3
"""Reference fixtures for image decoding and the preprocessing presets (PIL + torchvision).

Usage: pil_images.py OUTDIR

Synthesises a handful of seeded images (noise + shapes) and saves them as PNG (every colour
type, bit depths 1..16, palette with tRNS, Adam7 interlacing) and JPEG (quality 90: 4:2:0,
4:2:2, 4:4:4, progressive, greyscale). For every file it writes what PIL decodes,
`Image.open(p).convert("RGB")`, and what each reference pipeline feeds the model:
  torchvision   Resize(256) + CenterCrop(224) + ToTensor + Normalize(ImageNet)
  torchray-voc  ToTensor, F.interpolate(bilinear, align_corners=False) of the shorter side
                to 224, Normalize(mean=[123.68, 116.779, 103.939]/255, std=[1/255]*3)
  caffe-bgr     keras load_img(target_size=(224, 224)) = PIL NEAREST, BGR minus the mean
plus direct PIL resizes (BILINEAR, NEAREST) at awkward sizes. Pixels are uint8 .npy
(H, W, 3), model inputs float32 .npy (1, 3, H, W); OUTDIR/cases.json lists them with shapes.
tests/reference/test_pil_images.cpp does the same in C++ and compares.
Run by Debian's python3 (python3-pil 9.4, python3-torchvision 0.14).
"""
import json
import os
import struct
import sys
import warnings
import zlib

import numpy as np
import PIL
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image, ImageDraw
from torchvision import transforms

RNG = np.random.default_rng(20240611)
# convert("RGB") of a palette image with tRNS is what is being tested; PIL's advice is noise.
warnings.filterwarnings("ignore", message="Palette images with Transparency")


def synthetic_rgb(height, width):
    """Smooth colour gradients + noise + a few filled shapes: edges, texture and flat areas."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    base = np.stack([255 * x / max(width - 1, 1), 255 * y / max(height - 1, 1),
                     127.5 + 127.5 * np.sin((x + 2 * y) / 17.0)], axis=-1)
    noisy = base + RNG.normal(0, 25, size=base.shape)
    image = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, x1 = sorted(RNG.integers(0, width, 2).tolist())
        y0, y1 = sorted(RNG.integers(0, height, 2).tolist())
        colour = tuple(RNG.integers(0, 256, 3).tolist())
        if RNG.random() < 0.5:
            draw.rectangle([x0, y0, x1, y1], fill=colour)
        else:
            draw.ellipse([x0, y0, x1, y1], fill=colour, outline=(255, 255, 255))
    return image


# ---- a raw PNG writer for what PIL cannot save (16-bit colour, low-bit grey, interlacing) ----

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def row_bytes(row, bit_depth):
    """row: (W, C) integer samples -> the PNG row bytes (big-endian, sub-byte packed MSB first)."""
    samples = row.reshape(-1)
    if bit_depth == 16:
        return samples.astype(">u2").tobytes()
    if bit_depth == 8:
        return samples.astype(np.uint8).tobytes()
    bits = np.unpackbits(samples.astype(np.uint8)[:, None], axis=1)[:, 8 - bit_depth:]
    return np.packbits(bits.reshape(-1)).tobytes()


def raw_png(path, samples, color_type, bit_depth, interlace=False, extra=b""):
    """samples: (H, W, C) integers; extra: chunks placed before IDAT (PLTE, tRNS)."""
    height, width = samples.shape[:2]
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    data = b""
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        data += b"".join(b"\0" + row_bytes(r, bit_depth) for r in sub)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(data))
                + chunk(b"IEND", b""))


# ---- the reference pipelines -------------------------------------------------------------

def torchvision_input(image):
    pipeline = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                                   transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])
    return pipeline(image).unsqueeze(0)


def torchray_voc_input(image, size=224):
    x = transforms.ToTensor()(image).unsqueeze(0)
    h, w = x.shape[2:]
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    x = F.interpolate(x, size=(new_h, new_w), mode="bilinear", align_corners=False)
    bgr_mean = [103.939, 116.779, 123.68]
    normalize = transforms.Normalize(mean=[m / 255.0 for m in reversed(bgr_mean)], std=[1 / 255.0] * 3)
    return normalize(x[0]).unsqueeze(0)


def caffe_bgr_input(image):
    # keras.utils.load_img(path, target_size=(224, 224)): convert("RGB"), then resize NEAREST
    # unless already that size; imagenet_utils.preprocess_input(mode="caffe") in float32.
    if image.size != (224, 224):
        image = image.resize((224, 224), Image.NEAREST)
    x = np.asarray(image, dtype=np.float32)[..., ::-1] - np.array([103.939, 116.779, 123.68], np.float32)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)[None]))


PRESETS = {"torchvision": torchvision_input, "torchray-voc": torchray_voc_input, "caffe-bgr": caffe_bgr_input}


class Writer:
    def __init__(self, outdir):
        self.outdir = outdir
        self.images = []
        self.resizes = []

    def save_pixels(self, name, image):
        array = np.ascontiguousarray(np.asarray(image, dtype=np.uint8))
        np.save(os.path.join(self.outdir, name), array)
        return {"npy": name, "shape": list(array.shape)}

    def save_input(self, name, tensor):
        array = np.ascontiguousarray(tensor.numpy().astype(np.float32))
        np.save(os.path.join(self.outdir, name), array)
        return {"npy": name, "shape": list(array.shape)}

    def image(self, filename, kind, presets=True):
        """Registers a saved file: PIL's decoded pixels and (optionally) every preset's input."""
        path = os.path.join(self.outdir, filename)
        rgb = Image.open(path).convert("RGB")
        stem = filename.replace(".", "_")
        entry = {"file": filename, "kind": kind, "decoded": self.save_pixels(stem + ".decoded.npy", rgb),
                 "presets": {}}
        if presets:
            for preset, pipeline in PRESETS.items():
                entry["presets"][preset] = self.save_input(f"{stem}.{preset}.npy", pipeline(rgb))
        self.images.append(entry)

    def resize(self, filename, resample, height, width):
        rgb = Image.open(os.path.join(self.outdir, filename)).convert("RGB")
        filter_name = {Image.BILINEAR: "pil_bilinear", Image.NEAREST: "pil_nearest"}[resample]
        out = rgb.resize((width, height), resample)
        name = f"{filename.replace('.', '_')}.{filter_name}_{height}x{width}.npy"
        self.resizes.append({"file": filename, "filter": filter_name, "size": [height, width],
                             "expected": self.save_pixels(name, out)})

    def finish(self):
        with open(os.path.join(self.outdir, "cases.json"), "w") as f:
            json.dump({"pil_version": PIL.__version__, "torch_version": torch.__version__,
                       "torchvision_version": torchvision.__version__, "images": self.images,
                       "resizes": self.resizes}, f, indent=1)


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    w = Writer(outdir)
    join = lambda name: os.path.join(outdir, name)

    # ---- RGB images of awkward sizes (height x width), as PNG and JPEG -----------------------
    sizes = {"rgb_300x400": (300, 400), "rgb_257x256": (257, 256), "rgb_500x333": (500, 333),
             "rgb_224x224": (224, 224), "rgb_100x180": (100, 180)}
    for stem, (h, wd) in sizes.items():
        image = synthetic_rgb(h, wd)
        image.save(join(stem + ".png"))
        w.image(stem + ".png", "png")
        image.save(join(stem + ".jpg"), quality=90)  # PIL's default: 4:2:0 subsampling
        w.image(stem + ".jpg", "jpeg")
    image = synthetic_rgb(300, 400)
    image.save(join("rgb_300x400_444.jpg"), quality=90, subsampling=0)
    w.image("rgb_300x400_444.jpg", "jpeg")
    image.save(join("rgb_300x400_422.jpg"), quality=90, subsampling=1)
    w.image("rgb_300x400_422.jpg", "jpeg")
    synthetic_rgb(333, 500).save(join("rgb_333x500_progressive.jpg"), quality=90, progressive=True)
    w.image("rgb_333x500_progressive.jpg", "jpeg")

    # ---- other PIL modes ---------------------------------------------------------------------
    grey = synthetic_rgb(240, 320).convert("L")
    grey.save(join("grey_240x320.png"))
    w.image("grey_240x320.png", "png")
    grey.save(join("grey_240x320.jpg"), quality=90)
    w.image("grey_240x320.jpg", "jpeg")

    rgba = synthetic_rgb(200, 260).convert("RGBA")
    alpha = RNG.integers(0, 256, (200, 260), dtype=np.uint8)
    rgba.putalpha(Image.fromarray(alpha, "L"))
    rgba.save(join("rgba_200x260.png"))  # convert("RGB") drops alpha, no compositing
    w.image("rgba_200x260.png", "png")

    palette = synthetic_rgb(150, 210).quantize(colors=37)
    palette.info["transparency"] = bytes(RNG.integers(0, 256, 37, dtype=np.uint8).tolist())
    palette.save(join("palette_150x210.png"), transparency=palette.info["transparency"])
    w.image("palette_150x210.png", "png")

    grey16 = (RNG.integers(0, 65536, (64, 48))).astype(np.uint16)
    grey16[:8] = RNG.integers(0, 300, (8, 48))  # values around 255, where PIL's clipping shows
    Image.fromarray(grey16, "I;16").save(join("grey16_64x48.png"))
    w.image("grey16_64x48.png", "png", presets=False)

    # ---- raw PNGs: 16-bit colour, low-bit grey, grey+alpha, 4-bit palette, interlacing ---------
    def samples(h, wd, channels, maximum):
        return RNG.integers(0, maximum + 1, (h, wd, channels))

    raw_cases = [
        ("rgb16_33x47.png", samples(33, 47, 3, 65535), 2, 16, False, b""),
        ("rgba16_21x19.png", samples(21, 19, 4, 65535), 6, 16, False, b""),
        ("greyalpha16_17x23.png", samples(17, 23, 2, 65535), 4, 16, False, b""),
        ("greyalpha8_17x23.png", samples(17, 23, 2, 255), 4, 8, False, b""),
        ("grey1_13x29.png", samples(13, 29, 1, 1), 0, 1, False, b""),
        ("grey2_13x29.png", samples(13, 29, 1, 3), 0, 2, False, b""),
        ("grey4_13x29.png", samples(13, 29, 1, 15), 0, 4, False, b""),
        ("grey8_trns_13x29.png", samples(13, 29, 1, 255), 0, 8, False, chunk(b"tRNS", struct.pack(">H", 7))),
        ("palette4_11x13.png", samples(11, 13, 1, 15), 3, 4, False,
         chunk(b"PLTE", RNG.integers(0, 256, 48, dtype=np.uint8).tobytes()) + chunk(b"tRNS", b"\x00\x80\xff")),
        # 2 PLTE entries, indices up to 3: PIL reads the missing entries as its grey ramp (i, i, i).
        ("palette_short_plte_4x3.png", samples(4, 3, 1, 3), 3, 8, False, chunk(b"PLTE", b"\x10\x20\x30\x40\x50\x60")),
        ("rgb8_interlaced_37x41.png", samples(37, 41, 3, 255), 2, 8, True, b""),
        ("grey16_interlaced_9x7.png", samples(9, 7, 1, 400), 0, 16, True, b""),
        ("rgba8_interlaced_5x3.png", samples(5, 3, 4, 255), 6, 8, True, b""),
    ]
    for name, data, color_type, depth, interlace, extra in raw_cases:
        raw_png(join(name), data, color_type, depth, interlace, extra)
        w.image(name, "png", presets=False)
    # An interlaced photo-sized one through the presets as well.
    raw_png(join("rgb8_interlaced_300x400.png"), np.asarray(synthetic_rgb(300, 400)), 2, 8, True)
    w.image("rgb8_interlaced_300x400.png", "png")

    # ---- direct PIL resizes: down, up, one axis only, odd factors, tiny ------------------------
    for name in ["rgb_300x400.png", "rgb_257x256.png"]:
        for h, wd in [(37, 50), (224, 225), (300, 123), (611, 401), (1, 1), (3, 500), (256, 341)]:
            w.resize(name, Image.BILINEAR, h, wd)
            w.resize(name, Image.NEAREST, h, wd)
    w.finish()


if __name__ == "__main__":
    main()
