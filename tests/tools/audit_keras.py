#!/usr/bin/python3
"""igcam-audit against tools/reference_keras.py (Keras 3 and tf.GradientTape), float32.

Usage: audit_keras.py IGCAM_RUN IGCAM_AUDIT KERAS_FIXTURES IMAGE WORK

The seeded random-weight Keras 3 ResNet50 archive of the Keras fixtures
(tests/reference/keras_models.py: k3_resnet50.keras) explained by igcam-run --dump and by
the reference script in tools/install_keras_env.sh's environment, on IMAGE with Keras'
own preprocessing (caffe-bgr: 224 x 224, BGR, ImageNet means), every method the reference
computes, 8 IG-CAM steps, at the default layer and at an earlier one (conv4_block6_out,
where the gradient changes along the path): every tensor agrees at rtol 1e-4. Where the
Keras environment cannot be installed the comparison is reported skipped, as the fixtures
step does.
"""
import json
import pathlib
import shutil
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
METHODS = "gradcam,gradcam++,xgradcam,layercam,hirescam,gradcam-elementwise,eigencam,eigengradcam,fem,igcam"


def run(command, expect=0):
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True)
    if expect is not None and done.returncode != expect:
        sys.exit(f"FAIL: {' '.join(map(str, command))}: exit {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done


def main(argv):
    igcam_run, igcam_audit, fixtures, image, work = argv[1], argv[2], pathlib.Path(argv[3]), argv[4], pathlib.Path(argv[5])
    manifest = json.loads((fixtures / "keras.json").read_text()) if (fixtures / "keras.json").exists() else {}
    if "skipped" in manifest:
        print(f"keras reference skipped: {manifest['skipped']}")
        return 0
    python = subprocess.run([REPO / "tools" / "install_keras_env.sh", "--python"], capture_output=True, text=True)
    if python.returncode != 0:
        print("keras reference skipped: the Keras environment is not installed (tools/install_keras_env.sh)")
        return 0
    keras_python = python.stdout.strip().splitlines()[-1]
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    weights = fixtures / "k3_resnet50.keras"
    failures = 0
    for layer in (None, "conv4_block6_out"):
        name = layer or "default"
        common = ["--weights", weights, "--image", image, "--method", METHODS, "--steps", "8"]
        if layer:
            common += ["--layer", layer]
        ours, reference = work / f"{name}-ours.h5", work / f"{name}-reference.h5"
        run([igcam_run, *common, "--dump", ours, "--out", work / f"{name}-out", "-q"])
        run([keras_python, REPO / "tools" / "reference_keras.py", *common, "--out", reference])
        done = run([igcam_audit, "--ours", ours, "--reference", reference, "--rtol", "1e-4", "--json"], expect=None)
        result = json.loads(done.stdout)
        worst = max(result["tensors"], key=lambda t: t.get("relative") or 0)
        print(f"layer {name}: {result['passed']} of {result['compared']} tensors pass at rtol 1e-4; worst "
              f"{worst['name']} {worst.get('relative')}")
        if done.returncode != 0 or not result["pass"] or result["compared"] < 18:
            failures += 1
            print(run([igcam_audit, "--ours", ours, "--reference", reference, "--rtol", "1e-4"], expect=None).stdout)
    if failures:
        print(f"FAIL: {failures} audits failed")
        return 1
    print("igcam-audit against Keras: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
