"""Model.explain gives igcam-run's maps bit for bit, and Explanation.overlay its PNGs."""
import os

import numpy as np
import pytest
from PIL import Image

import igcam
from conftest import DEMO_IMAGES, DEMO_WEIGHTS, run_cli


@pytest.mark.parametrize("dtype", ["f32", "f64"])
def test_maps_equal_igcam_run(work, igcam_run, dtype):
    methods = "all" if dtype == "f32" else "gradcam,gradcam++,eigencam,igcam"
    out = os.path.join(work, f"cli-{dtype}")
    code, err = run_cli(igcam_run, "--weights", DEMO_WEIGHTS, "--image", *DEMO_IMAGES, "--method", methods,
                        "--dtype", dtype, "--batch", "2", "--steps", "20", "--out", out, "--quiet")
    assert code == 0, err
    model = igcam.load(DEMO_WEIGHTS, device="cpu", dtype=dtype)
    result = model.explain(DEMO_IMAGES, methods=methods, steps=20, batch=2)
    assert result.methods == (list(igcam.methods()) if methods == "all" else methods.split(","))
    compared = 0
    for i, path in enumerate(DEMO_IMAGES):
        stem = os.path.splitext(os.path.basename(path))[0]
        for method in result.methods:
            expected = np.load(os.path.join(out, f"{stem}.{method}.npy"))
            got = result.map(method, i)
            assert got.dtype == expected.dtype and got.shape == expected.shape
            assert np.array_equal(got, expected), f"{stem} {method}: max |diff| {np.abs(got - expected).max()}"
            if dtype == "f32":
                png = np.asarray(Image.open(os.path.join(out, f"{stem}.{method}.png")).convert("RGB"))
                assert np.array_equal(result.overlay(method, i), png), f"{stem} {method}: the overlay differs"
            compared += 1
    assert compared == len(DEMO_IMAGES) * len(result.methods)


def test_report_numbers_equal_igcam_run(work, igcam_run):
    """The classes, scores and IG-CAM audit igcam-run writes into report.json."""
    import json
    out = os.path.join(work, "cli-report")
    code, err = run_cli(igcam_run, "--weights", DEMO_WEIGHTS, "--image", *DEMO_IMAGES, "--method", "gradcam,igcam",
                        "--batch", "2", "--out", out, "--quiet")
    assert code == 0, err
    report = json.load(open(os.path.join(out, "report.json")))
    result = igcam.load(DEMO_WEIGHTS, device="cpu").explain(DEMO_IMAGES, methods=["gradcam", "igcam"], batch=2)
    assert len(report["images"]) == len(result)
    for i, entry in enumerate(report["images"]):
        assert entry["class"]["index"] == result.classes[i]
        assert entry["class"]["name"] == result.class_names[i]
        assert entry["class"]["logit"] == result.scores[i]
        assert entry["layer_shape"][1:] == list(result.layer_shape)
        audit = next(m for m in entry["methods"] if m["name"] == "igcam")["params"]["completeness"]
        assert audit["score_input"] == result.igcam.score_input[i]
        assert audit["score_baseline"] == result.igcam.score_baseline[i]
        assert audit["stieltjes_sum"] == result.igcam.stieltjes_sum[i]
        assert audit["relative_gap"] == result.igcam.relative_gap[i]
