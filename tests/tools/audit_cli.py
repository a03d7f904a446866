#!/usr/bin/python3
"""igcam-audit against tools/reference_torch.py (PyTorch's autograd), float64.

Usage: audit_cli.py IGCAM_RUN IGCAM_AUDIT WORK

Seeded random-weight ResNet-50 (at layer3, where the gradient changes along IG-CAM's path)
and VGG16 (its default layer, features.29) from tools/export_torchvision.py, two 64x64
images each, "raw" preprocessing, every method the reference computes, 8 IG-CAM steps:
igcam-run --dump and the reference agree on every tensor at rtol 1e-9 (exit 0, each name
listed as passing, the same tensor count on both sides); then the audit's other answers: a
deliberately perturbed element fails with its tensor's name and index (exit 1), an .npz
reference passes, a tensor of another shape fails as a shape mismatch, names in one file
only are listed without failing, no common name fails, a changed class attribute fails,
and unreadable files give one error line and exit 3.
"""
import json
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np
from PIL import Image

REPO = pathlib.Path(__file__).resolve().parents[2]
METHODS = "gradcam,gradcam++,xgradcam,layercam,hirescam,gradcam-elementwise,eigencam,eigengradcam,fem,igcam"
FAILURES = []


def check(condition, message):
    if not condition:
        FAILURES.append(message)
        print("FAIL:", message)


def run(command, expect=0):
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True)
    if done.returncode != expect:
        sys.exit(f"FAIL: {' '.join(map(str, command))}: exit {done.returncode}, expected {expect}\n"
                 f"{done.stdout}\n{done.stderr}")
    return done


def audit(igcam_audit, ours, reference, *extra, expect=0):
    return run([igcam_audit, "--ours", ours, "--reference", reference, *extra], expect)


def tensor_names(path):
    names = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, item: names.append(name) if isinstance(item, h5py.Dataset) else None)
    return sorted(names)


def main(argv):
    igcam_run, igcam_audit, work = argv[1], argv[2], pathlib.Path(argv[3])
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    rng = np.random.default_rng(5)
    images = []
    for i in range(2):
        images.append(work / f"image{i}.png")
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(images[-1])
    image_flags = [flag for image in images for flag in ("--image", image)]

    for arch, seed, layer in (("resnet50", 21, "layer3"), ("vgg16", 22, None)):
        weights = work / f"{arch}.h5"
        run([sys.executable, REPO / "tools" / "export_torchvision.py", "--arch", arch, "--seed", seed, "--out", weights])
        common = ["--weights", weights, *image_flags, "--preprocess", "raw", "--dtype", "f64", "--method", METHODS,
                  "--steps", "8"] + (["--layer", layer] if layer else [])
        ours, reference = work / f"{arch}-ours.h5", work / f"{arch}-reference.h5"
        run([igcam_run, *common, "--dump", ours, "--out", work / f"{arch}-out", "-q"])
        run([sys.executable, REPO / "tools" / "reference_torch.py", *common, "--out", reference])

        # Every tensor, at rtol 1e-9.
        names = tensor_names(ours)
        check(names == tensor_names(reference), f"{arch}: ours holds {names}, the reference {tensor_names(reference)}")
        result = json.loads(audit(igcam_audit, ours, reference, "--rtol", "1e-9", "--json").stdout)
        check(result["pass"] and result["compared"] == len(names) and result["failed"] == 0,
              f"{arch}: {result['passed']} of {result['compared']} pass, {len(names)} tensors")
        for t in result["tensors"]:
            check(t["pass"], f"{arch}: {t['name']} {t['result']} (relative {t.get('relative')})")
        worst = max(result["tensors"], key=lambda t: t["relative"] or 0)
        print(f"{arch}: {result['compared']} tensors pass at rtol 1e-9; worst {worst['name']} {worst['relative']:.3g}")
        check(any(a["name"].endswith("/class") and a["equal"] for a in result["attributes"]),
              f"{arch}: the images' classes were not compared")
        table = audit(igcam_audit, ours, reference, "--rtol", "1e-9").stdout
        check("AUDIT PASSED" in table and f"{len(names)} tensors compared: {len(names)} pass, 0 fail" in table,
              f"{arch}: table summary\n{table}")

    ours, reference = work / "resnet50-ours.h5", work / "resnet50-reference.h5"
    # One element perturbed by 1e-6 of the tensor's scale: named, with its index.
    perturbed = work / "perturbed.h5"
    shutil.copy(reference, perturbed)
    with h5py.File(perturbed, "r+") as f:
        g = f["image1/igcam/step_gradients"]
        values = g[()]
        scale = np.abs(values).max()
        values[5, 17, 2, 3] += 1e-6 * scale
        g[...] = values
    done = audit(igcam_audit, ours, perturbed, "--rtol", "1e-9", expect=1)
    failing = [line for line in done.stdout.splitlines() if "FAIL" in line and line.startswith("image")]
    check(len(failing) == 1 and failing[0].startswith("image1/igcam/step_gradients") and "[5,17,2,3]" in failing[0],
          f"perturbed: failing rows {failing}")
    check("AUDIT FAILED" in done.stdout, "perturbed: no AUDIT FAILED line")
    result = json.loads(audit(igcam_audit, ours, perturbed, "--rtol", "1e-9", "--json", expect=1).stdout)
    bad = [t for t in result["tensors"] if not t["pass"]]
    check(len(bad) == 1 and bad[0]["worst_index"] == [5, 17, 2, 3] and abs(bad[0]["relative"] - 1e-6) < 1e-9,
          f"perturbed: JSON {bad}")
    # At a tolerance above the perturbation it passes again.
    audit(igcam_audit, ours, perturbed, "--rtol", "2e-6")

    # The same reference as .npz (numpy.savez keys, attributes in the archive comment).
    npz = work / "reference.npz"
    run([sys.executable, REPO / "tools" / "reference_torch.py", "--weights", work / "resnet50.h5", *image_flags,
         "--preprocess", "raw", "--dtype", "f64", "--method", METHODS, "--steps", "8", "--layer", "layer3",
         "--out", npz])
    result = json.loads(audit(igcam_audit, ours, npz, "--rtol", "1e-9", "--json").stdout)
    check(result["pass"] and result["compared"] == len(tensor_names(ours)) and result["reference"]["format"] == "npz",
          f"npz: {result['passed']} of {result['compared']} pass")
    check(any(a["name"] == "image0/class" and a["equal"] for a in result["attributes"]), "npz: class not compared")

    # A tensor of another shape, a tensor only in the reference, a class that differs.
    edited = work / "edited.h5"
    shutil.copy(reference, edited)
    with h5py.File(edited, "r+") as f:
        maps = f["image0/maps/gradcam"][()]
        del f["image0/maps/gradcam"]
        f["image0/maps/gradcam"] = np.concatenate([maps, maps], axis=3)
        f["image0/maps/extra"] = maps
        f["image1"].attrs["class"] = int(f["image1"].attrs["class"]) + 1
    done = audit(igcam_audit, ours, edited, "--rtol", "1e-9", expect=1)
    rows = {line.split()[0]: line for line in done.stdout.splitlines() if line.startswith("image")}
    check("FAIL (shape)" in rows.get("image0/maps/gradcam", ""), f"shape: {rows.get('image0/maps/gradcam')}")
    check("only in reference" in rows.get("image0/maps/extra", ""), f"extra: {rows.get('image0/maps/extra')}")
    check("FAIL attribute image1/class" in done.stdout, f"class: {done.stdout[-600:]}")
    # Squeezed maps ((h, w) instead of (1, 1, h, w)) are the same tensor.
    squeezed = work / "squeezed.h5"
    shutil.copy(reference, squeezed)
    with h5py.File(squeezed, "r+") as f:
        maps = f["image0/maps/igcam"][()]
        del f["image0/maps/igcam"]
        f["image0/maps/igcam"] = maps[0, 0]
    audit(igcam_audit, ours, squeezed, "--rtol", "1e-9")

    # Nothing in common; unreadable files.
    empty = work / "unrelated.h5"
    with h5py.File(empty, "w") as f:
        f["something"] = np.zeros(3)
    done = audit(igcam_audit, ours, empty, expect=1)
    check("no tensor name is in both files" in done.stdout, f"unrelated: {done.stdout[-300:]}")
    not_hdf5 = work / "not-hdf5.h5"
    not_hdf5.write_bytes(b"this is not a tensor file\n")
    done = audit(igcam_audit, ours, not_hdf5, expect=3)
    check(done.stderr.strip() == f"error: {not_hdf5}: neither an HDF5 file nor an .npz archive",
          f"not hdf5: {done.stderr!r}")
    truncated = work / "truncated.h5"
    truncated.write_bytes(reference.read_bytes()[:4096])
    done = audit(igcam_audit, ours, truncated, expect=3)
    check(done.stderr.startswith(f"error: {truncated}") and done.stderr.count("\n") == 1,
          f"truncated: {done.stderr!r}")
    done = audit(igcam_audit, ours, work / "missing.h5", expect=2)
    check(done.stderr.startswith("error: ") and "missing.h5" in done.stderr, f"missing: {done.stderr!r}")

    if FAILURES:
        print(f"{len(FAILURES)} failures")
        return 1
    print("igcam-audit: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
