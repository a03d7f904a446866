#!/usr/bin/python3
"""igcam-eval's metrics against implementations we did not write, on the maps it dumps.

  eval_references.py IGCAM_EVAL WEIGHTS WORK

Runs igcam-eval in float64 with --dump on synthetic VOC scenes (tools/demo_scenes.py: several
objects, one class twice, difficult boxes) and recomputes every row from the dumped raw maps,
the VOC XML and the model (the same weights in PyTorch):
  - the frames: torch's F.interpolate (bilinear, align_corners=False) of the raw map to the
    image, the box mask from the XML by TorchRay's rule [ymin-1:ymax, xmin-1:xmax];
  - EBPG: quantus.RelevanceMassAccuracy; Bbox (--ties raster): quantus.RelevanceRankAccuracy
    on maps without ties at the n-th value, and a stable-sort numpy rule on all (Quantus's
    np.argsort breaks ties in an order numpy does not define); Bbox (fraction): numpy;
  - pointing game: torchray.benchmark.pointing_game.PointingGame (tolerance 15), its
    per-class hits and misses, and the summary's per-class mean;
  - Drop / Increase: the masked input rebuilt in pixel space (and in normalised space, as
    torchcam's ClassificationMetric masks) and scored by the PyTorch model, with torchcam's
    formula relu(Y - O) / Y and O > Y;
  - deletion / insertion: RISE's rule re-derived in numpy (scipy's gaussian_filter kernel,
    torch's conv2d with zero padding), scored by the PyTorch model;
and compares each with rows.jsonl: <= 1e-6 relative (1e-9 absolute for values near 0).
Needs the reference environment (tools/install_metrics_env.sh); where it cannot be installed
the test prints "eval reference skipped: REASON" and ctest reports it skipped.
"""
import contextlib
import functools
import json
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
TOLERANCE = 1e-6

sys.path.insert(0, HERE)
import metrics_env  # noqa: E402


def skip(reason):
    print(f"eval reference skipped: {reason}", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    metrics_env.reexec_in_metrics_env(__file__, ["quantus", "torchray", "scipy", "torch"], skip)

import numpy as np  # noqa: E402
import h5py  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import quantus  # noqa: E402
import scipy.ndimage  # noqa: E402
from torchray.benchmark.pointing_game import PointingGame  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tools"))
import demo_scenes  # noqa: E402
import export_torchvision  # noqa: E402

EVAL, WEIGHTS, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
failures, compared = [], {}


def close(name, ours, ref, where):
    compared[name] = compared.get(name, 0) + 1
    if ours is None or ref is None or (isinstance(ref, float) and math.isnan(ref)):
        ok = ours is None and (ref is None or math.isnan(ref))
    else:
        ok = abs(ours - ref) <= max(TOLERANCE * abs(ref), 1e-9)
    if not ok:
        failures.append(f"{name} {where}: igcam {ours!r}, reference {ref!r}")


def torch_model():
    """The weights file's network in PyTorch, float64."""
    with h5py.File(WEIGHTS, "r") as f:
        state = {k: torch.from_numpy(np.asarray(v)) for k, v in f["state_dict"].items()}
        mean, std, scale = np.asarray(f.attrs["mean"]), np.asarray(f.attrs["std"]), float(f.attrs["input_scale"])
    training = json.load(open(os.path.join(os.path.dirname(WEIGHTS), "training.json")))["architecture"]
    model = export_torchvision.build_custom("resnet", training["num_classes"], block=training["block"],
                                            blocks=training["blocks"], width=training["width"])
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    return model.double().eval(), mean, std, scale


def boxes_of(xml):
    """{class name: ([(y0, y1, x0, x1)] 0-based half-open, all difficult)} by TorchRay's rule."""
    out = {}
    for obj in ET.parse(xml).getroot().iter("object"):
        b = obj.find("bndbox")
        xmin, ymin, xmax, ymax = (int(b.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax"))
        entry = out.setdefault(obj.find("name").text, [[], True])
        entry[0].append((ymin - 1, ymax, xmin - 1, xmax))
        entry[1] = entry[1] and obj.find("difficult").text == "1"
    return out


def safe(image):
    """The image's name in dump files (igcam-eval replaces / and spaces)."""
    return image.replace("/", "_").replace("\\", "_").replace(" ", "_")


def annotations(data, image):
    """The image's boxes from its VOC XML, or from the CSV igcam-eval read (0-based half-open)."""
    if os.path.isdir(data):
        return boxes_of(os.path.join(data, "Annotations", image + ".xml"))
    out = {}
    for line in open(data).read().splitlines()[1:]:
        name, cls, x0, y0, x1, y1, difficult = line.split(",")
        if name == image:
            entry = out.setdefault(cls, [[], True])
            entry[0].append((int(y0), int(y1), int(x0), int(x1)))
            entry[1] = entry[1] and difficult == "1"
    return out


def mask_of(boxes, h, w):
    m = np.zeros((h, w), bool)
    for y0, y1, x0, x1 in boxes:
        m[y0:y1, x0:x1] = True
    return m


def upsample(raw, h, w):
    return F.interpolate(torch.from_numpy(raw), size=(h, w), mode="bilinear", align_corners=False)[0, 0].numpy()


def rise_kernel():
    delta = np.zeros((11, 11))
    delta[5, 5] = 1
    return scipy.ndimage.gaussian_filter(delta, 5)  # RISE's gkern(11, 5)


def rise_curves(model, x, sal, c, steps, substrate_value):
    """RISE's deletion and insertion scores (softmax of class c), its rule in numpy/torch."""
    _, _, h, w = x.shape
    hw = h * w
    per = (hw + steps - 1) // steps
    n = (hw + per - 1) // per
    order = np.argsort(-sal.reshape(-1), kind="stable")  # descending, ties in raster order
    kern = torch.zeros(3, 3, 11, 11, dtype=torch.float64)
    for i in range(3):
        kern[i, i] = torch.from_numpy(rise_kernel())
    blurred = F.conv2d(torch.from_numpy(x), kern, padding=5).numpy()
    curves = []
    for start, finish in ((x, substrate_value), (blurred, x)):
        rows = []
        for i in range(n + 1):
            img = start.copy().reshape(1, 3, hw)
            idx = order[:min(i * per, hw)]
            target = np.broadcast_to(finish, x.shape).reshape(1, 3, hw) if not np.isscalar(finish) else None
            if target is None:
                img[0, :, idx] = finish
            else:
                img[0, :, idx] = target[0][:, idx].T
            rows.append(img.reshape(x.shape))
        with torch.no_grad():
            p = torch.softmax(model(torch.from_numpy(np.concatenate(rows))), 1)[:, c].numpy()
        curves.append((p.sum() - p[0] / 2 - p[-1] / 2) / (len(p) - 1))
    return curves


def raster_bbox(a, s):
    n = int(s.sum())
    top = np.argsort(-a.reshape(-1), kind="stable")[:n]
    return s.reshape(-1)[top].sum() / n


def fraction_bbox(a, s):
    n = int(s.sum())
    v = a.reshape(-1)
    nth = np.sort(v)[::-1][n - 1]
    above, tied = v > nth, v == nth
    sv = s.reshape(-1)
    return (sv[above].sum() + (n - above.sum()) * sv[tied].sum() / tied.sum()) / n


def check_localisation(rows, data, dump):
    rma = quantus.RelevanceMassAccuracy(abs=False, normalise=False, disable_warnings=True)
    rra = quantus.RelevanceRankAccuracy(abs=False, normalise=False, disable_warnings=True)
    names = ["circle", "square", "triangle", "star", "cross", "diamond"]
    games = {}
    quantus_ties_skipped = 0
    for r in rows:
        if not r["localisation"]:
            continue
        stem = f"{safe(r['image'])}.{r['class_index']}.{r['method']}"
        where = stem
        raw = np.load(os.path.join(dump, stem + ".raw.npy"))
        frame = np.load(os.path.join(dump, stem + ".loc.npy"))
        h, w = frame.shape
        ref_frame = upsample(raw, h, w)
        close("frame", float(np.abs(frame - ref_frame).max()), 0.0, where)
        boxes, all_difficult = annotations(data, r["image"])[r["class"]]
        s = mask_of(boxes, h, w)
        ours_mask = np.load(os.path.join(dump, f"{safe(r['image'])}.{r['class_index']}.mask.npy")) > 0.5
        close("mask", float((ours_mask != s).sum()), 0.0, where)
        # The metrics on igcam's own frame (checked against torch's just above): a map whose
        # values tie in one and differ in the last bit in the other would change Bbox's ties.
        ref_frame = frame
        a = ref_frame[None, None]
        sb = s[None, None].astype(np.float64)
        m = r["metrics"]
        if "ebpg" in m:
            ebpg = rma.evaluate_batch(a_batch=a, s_batch=sb)[0]
            close("ebpg vs quantus.RelevanceMassAccuracy", m["ebpg"], None if ref_frame.sum() == 0 else float(ebpg),
                  where)
        if "pointing" in m:  # the fraction run
            close("bbox (fraction) vs numpy", m["bbox"], float(fraction_bbox(ref_frame, s)), where)
        n = int(s.sum())
        nth = np.sort(ref_frame.reshape(-1))[::-1][n - 1]
        r["_raster"] = float(raster_bbox(ref_frame, s))
        if (ref_frame == nth).sum() == 1:
            q = rra.evaluate_batch(a_batch=a, s_batch=sb)[0]
            r["_quantus_raster"] = float(q)
        else:
            quantus_ties_skipped += 1
        game = games.setdefault(r["method"], PointingGame(len(names), tolerance=15))
        if "pointing" not in m:
            continue
        if not all_difficult:
            row, col = np.unravel_index(np.argmax(ref_frame), ref_frame.shape)
            hit = game.evaluate(torch.from_numpy(s), (int(col), int(row)))  # TorchRay's point is (x, y)
            game.aggregate(hit, names.index(r["class"]))
            close("pointing vs torchray.PointingGame", m["pointing"], 1.0 if hit == 1 else 0.0, where)
        else:
            close("pointing (difficult only) is skipped", m["pointing"], None, where)
    return games, quantus_ties_skipped


def check_fidelity(rows, dump, model, mean, std, scale, space, steps):
    for r in rows:
        if not r["fidelity"]:
            continue
        stem = f"{r['image']}.{r['class_index']}.{r['method']}"
        x = np.load(os.path.join(dump, r["image"] + ".input.npy"))
        raw = np.load(os.path.join(dump, stem + ".raw.npy"))
        _, _, h, w = x.shape
        up = upsample(raw, h, w)
        rng = up.max() - up.min()
        sal = (up - up.min()) / rng if rng > 0 else np.zeros_like(up)
        ours_sal = np.load(os.path.join(dump, stem + ".fid.npy"))
        close("fidelity frame", float(np.abs(ours_sal - sal).max()), 0.0, stem)
        sal = ours_sal  # the pixel order of the curves, on igcam's own Ln (as for the localisation frame)
        m4 = lambda v: np.asarray(v).reshape(1, 3, 1, 1)  # noqa: E731
        if space == "pixel":  # mask the pixels, then preprocess again
            pixels = (x * m4(std) + m4(mean)) / scale
            masked = (pixels * sal * scale - m4(mean)) / m4(std)
            substrate = (0 * scale - m4(mean)) / m4(std)
        else:  # torchcam: the normalised input times the map
            masked = x * sal
            substrate = 0.0
        with torch.no_grad():
            logits = model(torch.from_numpy(np.concatenate([x, masked])))
        probs = torch.softmax(logits, 1)[:, r["class_index"]].numpy()
        y, o = float(probs[0]), float(probs[1])
        close("score", r["score"], y, stem)
        close("masked score", r["masked_score"], o, stem)
        m = r["metrics"]
        close("drop vs torchcam's formula", m["drop"], float(100 * max(0.0, y - o) / y), stem)
        close("increase vs torchcam's formula", m["increase"], 100.0 if o > y else 0.0, stem)
        if "deletion" in m:
            deletion, insertion = rise_curves(model, x, sal, r["class_index"], steps,
                                              substrate if space == "pixel" else 0.0)
            close("deletion vs RISE's rule", m["deletion"], float(deletion), stem)
            close("insertion vs RISE's rule", m["insertion"], float(insertion), stem)


class FixedMap:
    """A torchcam CAM extractor that returns given maps (igcam's Ln at the input's size, so
    torchcam's own bilinear resize is the identity)."""

    def __init__(self, model, maps):
        self.model, self.maps = model, maps

    def __call__(self, class_idx=None, scores=None, normalized=True, **kwargs):
        return [self.maps.clone()]

    def fuse_cams(self, cams):
        return cams[0]

    @contextlib.contextmanager
    def _hooks_off(self):
        yield


def check_torchcam(rows, dump, model, score):
    from torchcam.metrics import ClassificationMetric
    logits_fn = functools.partial(torch.softmax, dim=-1) if score == "softmax" else None
    for r in rows:
        if not r["fidelity"]:
            continue
        stem = f"{safe(r['image'])}.{r['class_index']}.{r['method']}"
        x = torch.from_numpy(np.load(os.path.join(dump, safe(r["image"]) + ".input.npy")))
        sal = torch.from_numpy(np.load(os.path.join(dump, stem + ".fid.npy")))[None]
        metric = ClassificationMetric(FixedMap(model, sal), logits_fn=logits_fn)
        metric.update(x, class_idx=r["class_index"])
        s = metric.summary()
        # torchcam divides by Y + 1e-7 where the definition divides by Y: a relative difference
        # of 1e-7 / Y, within the 1e-6 tolerance only for |Y| >= 0.1. Rows with a smaller Y
        # are checked against the definition by check_fidelity instead.
        if abs(r["score"]) >= 0.1:
            close(f"drop vs torchcam.ClassificationMetric ({score})", r["metrics"]["drop"], 100 * float(s["avg_drop"]), stem)
        close(f"increase vs torchcam.ClassificationMetric ({score})", r["metrics"]["increase"],
              100 * float(s["conf_increase"]), stem)


def unit_range(m):
    rng = m.max() - m.min()
    return 2 * (m - m.min()) / rng - 1 if rng > 0 else -np.ones_like(m)


def check_sanity(data):
    from scipy.stats import spearmanr
    from skimage.metrics import structural_similarity
    out, dump = os.path.join(WORK, "out-sanity"), os.path.join(WORK, "dump-sanity")
    subprocess.run(["rm", "-rf", out, dump])
    cmd = [EVAL, "--weights", WEIGHTS, "--data", data, "--out", out, "--dump", dump, "--dtype", "f64", "--quiet",
           "--method", "gradcam,gradcam++,igcam", "--igcam-steps", "8", "--metrics", "ebpg", "--limit", "6",
           "--sanity", "6"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        failures.append(f"igcam-eval --sanity exited {p.returncode}: {p.stderr}")
        return
    for line in open(os.path.join(out, "sanity.jsonl")):
        r = json.loads(line)
        stem = f"{safe(r['image'])}.{r['method']}"
        a = np.load(os.path.join(dump, stem + ".sanity0.npy"))
        b = np.load(os.path.join(dump, stem + f".sanity{r['step']}.npy"))
        where = f"{stem} step {r['step']}"
        ref = spearmanr(a.ravel(), b.ravel()).correlation
        close("sanity spearman vs scipy.stats.spearmanr", r["spearman"], None if np.isnan(ref) else float(ref), where)
        ref = spearmanr(np.abs(a).ravel(), np.abs(b).ravel()).correlation
        close("sanity spearman (abs) vs scipy.stats.spearmanr", r["spearman_abs"], None if np.isnan(ref) else float(ref),
              where)
        ref = structural_similarity(unit_range(a), unit_range(b), win_size=5, data_range=2)
        close("sanity ssim vs skimage.metrics.structural_similarity", r["ssim"], float(ref), where)


def run_eval(data, out, dump, extra):
    cmd = [EVAL, "--weights", WEIGHTS, "--data", data, "--out", out, "--dump", dump, "--dtype", "f64", "--quiet",
           "--method", "gradcam,gradcam++,igcam", "--igcam-steps", "8", "--target", "gt"] + extra
    subprocess.run(["rm", "-rf", out, dump])
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        failures.append(f"igcam-eval exited {p.returncode}: {p.stderr}")
        return []
    return [json.loads(line) for line in open(os.path.join(out, "rows.jsonl"))][1:]


def main():
    started = time.time()
    os.makedirs(WORK, exist_ok=True)
    data = os.path.join(WORK, "scenes")
    subprocess.run(["rm", "-rf", data])
    demo_scenes.write_voc(data, 24, seed=21, size=112)
    # Every class boxed on each of 12 scenes, most of them where the class is not: maps of
    # absent classes (all zero after Grad-CAM's ReLU, some of them), through the CSV reader.
    csv = os.path.join(data, "boxes.csv")
    rng = np.random.default_rng(4)
    with open(csv, "w") as f:
        f.write("image,class,xmin,ymin,xmax,ymax,difficult\n")
        for i in range(12):
            for cls in ["circle", "square", "triangle", "star", "cross", "diamond"]:
                for _ in range(int(rng.integers(1, 3))):
                    x0, y0 = (int(v) for v in rng.integers(0, 80, 2))
                    x1, y1 = x0 + int(rng.integers(5, 32)), y0 + int(rng.integers(5, 32))
                    f.write(f"JPEGImages/scene_{i:04d}.jpg,{cls},{x0},{y0},{x1},{y1},{int(rng.uniform() < 0.2)}\n")
    model, mean, std, scale = torch_model()

    # Localisation, Drop / Increase in pixel space, deletion / insertion on a few images.
    rows = run_eval(data, os.path.join(WORK, "out-pixel"), os.path.join(WORK, "dump-pixel"),
                    ["--metrics", "all", "--steps", "10", "--ties", "fraction"])
    games, ties_skipped = check_localisation(rows, data, os.path.join(WORK, "dump-pixel"))
    check_fidelity(rows, os.path.join(WORK, "dump-pixel"), model, mean, std, scale, "pixel", 10)
    # The summary's pointing game is TorchRay's per-class mean over the classes evaluated.
    summary = json.load(open(os.path.join(WORK, "out-pixel", "summary.json")))
    for method in summary["methods"]:
        game = games[method["method"]]
        hits, misses = np.asarray(game.hits, float), np.asarray(game.misses, float)
        evaluated = hits + misses > 0
        ref = 100 * float(np.mean(hits[evaluated] / (hits[evaluated] + misses[evaluated])))
        close("pointing summary vs torchray per-class accuracy", method["metrics"]["pointing"]["value"], ref,
              method["method"])

    csv_rows = run_eval(csv, os.path.join(WORK, "out-csv"), os.path.join(WORK, "dump-csv"),
                        ["--metrics", "ebpg,bbox,pointing"])
    check_localisation(csv_rows, csv, os.path.join(WORK, "dump-csv"))

    # Bbox in raster order: vs Quantus where the n-th value is not tied, vs the stable numpy rule always.
    raster = run_eval(data, os.path.join(WORK, "out-raster"), os.path.join(WORK, "dump-raster"),
                      ["--metrics", "bbox", "--ties", "raster"])
    check_localisation(raster, data, os.path.join(WORK, "dump-raster"))
    for r in raster:
        if r["localisation"]:
            close("bbox (raster) vs numpy stable argsort", r["metrics"]["bbox"], r["_raster"], r["image"])
            if "_quantus_raster" in r:
                close("bbox (raster) vs quantus.RelevanceRankAccuracy", r["metrics"]["bbox"], r["_quantus_raster"],
                      r["image"])

    # Drop / Increase with the normalised-space masks of pytorch-grad-cam and torchcam, against
    # torchcam's ClassificationMetric itself (softmax and logit scores).
    for score in ("softmax", "logit"):
        normalised = run_eval(data, os.path.join(WORK, "out-" + score), os.path.join(WORK, "dump-" + score),
                              ["--metrics", "drop,increase", "--mask-space", "normalised", "--score", score])
        if score == "softmax":
            check_fidelity(normalised, os.path.join(WORK, "dump-" + score), model, mean, std, scale, "normalised", 10)
        check_torchcam(normalised, os.path.join(WORK, "dump-" + score), model, score)

    loc = [(r, data) for r in rows if r["localisation"]] + [(r, csv) for r in csv_rows if r["localisation"]]
    # The sanity check's similarities against scipy and scikit-image on its dumped maps.
    check_sanity(data)

    pairs = {(r["image"], r["class_index"]) for r, _ in loc}
    zero = sum(1 for r, _ in loc if r["metrics"]["ebpg"] is None)
    multi = sum(1 for r, where in loc if len(annotations(where, r["image"])[r["class"]][0]) > 1)
    difficult = sum(1 for r, _ in loc if r["metrics"]["pointing"] is None)
    print(f"{len(pairs)} (image, class) pairs, {len(loc)} localisation rows: {multi} multi-box rows, {difficult} difficult-only, "
          f"{zero} all-zero maps; Bbox raster vs Quantus skipped on {ties_skipped} tied rows")
    for name, count in sorted(compared.items()):
        print(f"  {count:5d} x {name}")
    if len(pairs) < 50:
        failures.append(f"only {len(pairs)} (image, class) pairs; at least 50 are needed")
    print(f"eval references: {len(failures)} mismatches in {time.time() - started:.0f} s")
    for f in failures[:30]:
        print("  " + f)
    sys.exit(1 if failures else 0)


main()
