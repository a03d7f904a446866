#!/usr/bin/python3
"""igcam-run on PyTorch's own weight files, end to end.

Usage: weights_cli.py IGCAM_RUN FIXTURES OUTDIR

FIXTURES is tests/reference/torch_files.py's folder. Every malformed safetensors and
torch.save file, given as --weights with --method gradcam --out DIR: exit code 3, nothing on
stdout, one "error: <file>: ..." line on stderr, DIR not created; the hostile pickles' marker
file never appears. A good file of each format classifies (exit 0) and names its format in --info.
"""
import json
import os
import shutil
import subprocess
import sys


def main():
    tool, fixtures, out = sys.argv[1:4]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    with open(os.path.join(fixtures, "torch_files.json")) as f:
        manifest = json.load(f)
    image = os.path.join(fixtures, "sample.png")
    marker = os.path.join(fixtures, manifest["marker"])
    failures = []
    for i, case in enumerate(manifest["malformed"]):
        path = os.path.join(fixtures, case["file"])
        target = os.path.join(out, f"case{i}")
        r = subprocess.run([tool, "--weights", path, "--image", image, "--method", "gradcam", "--out", target, "-q"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
        lines = r.stderr.splitlines()
        problems = []
        if "\ufffd" in r.stderr:
            problems.append("the message is not UTF-8 text")
        if r.returncode != 3:
            problems.append(f"exit code {r.returncode}, expected 3")
        if r.stdout:
            problems.append(f"stdout not empty: {r.stdout[:200]!r}")
        if len(lines) != 1 or not lines[0].startswith(f"error: {path}: ") or case["message"] not in lines[0]:
            problems.append(f"stderr {r.stderr[:400]!r}, expected one line 'error: {path}: ...{case['message']}...'")
        if os.path.exists(target):
            problems.append(f"{target} was created")
        if os.path.exists(marker):
            problems.append("the marker file exists: a pickle ran code")
        if problems:
            failures.append(f"{case['file']}: " + "; ".join(problems))
    for name, fmt in (("resnet18.pth", "torch.save"), ("resnet18.bf16.safetensors", "safetensors")):
        path = os.path.join(fixtures, name)
        r = subprocess.run([tool, "--weights", path, "--info"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
        if r.returncode != 0 or fmt not in r.stdout:
            failures.append(f"{name} --info: exit {r.returncode}, expected '{fmt}' in: {r.stdout}{r.stderr}")
        r = subprocess.run([tool, "--weights", path, "--image", image, "--topk", "2"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        if r.returncode != 0 or "rank" not in r.stdout:
            failures.append(f"{name} classify: exit {r.returncode}: {r.stdout}{r.stderr}")
    if failures:
        sys.exit("weights_cli: " + str(len(failures)) + " failures:\n" + "\n".join(failures))
    print(f"weights_cli: {len(manifest['malformed'])} malformed files: exit code 3, one error line, no output "
          f"folder; no pickle ran code; torch.save and safetensors files classify")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main()
