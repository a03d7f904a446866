"""Bad input raises the right Python exception, with igcam-run's message."""
import os

import numpy as np
import pytest

import igcam
from conftest import DEMO_IMAGES, DEMO_WEIGHTS, run_cli


def cli_error(igcam_run, *args):
    code, err = run_cli(igcam_run, *args)
    lines = err.strip().splitlines()
    assert code in (2, 3) and len(lines) == 1 and lines[0].startswith("error: "), (code, err)
    return code, lines[0][len("error: "):]


@pytest.fixture(scope="module")
def model():
    return igcam.load(DEMO_WEIGHTS, device="cpu")


def test_missing_weight_file(work, igcam_run):
    missing = os.path.join(work, "no-such-weights.h5")
    code, message = cli_error(igcam_run, "--weights", missing, "--image", DEMO_IMAGES[0])
    with pytest.raises(FileNotFoundError) as raised:
        igcam.load(missing)
    assert code == 3 and str(raised.value) == message


def test_bad_weight_file(work, igcam_run):
    truncated = os.path.join(work, "truncated.h5")
    with open(DEMO_WEIGHTS, "rb") as f:
        data = f.read()
    with open(truncated, "wb") as f:
        f.write(data[: len(data) // 3])
    not_weights = os.path.join(work, "not-weights.pth")
    with open(not_weights, "wb") as f:
        f.write(b"PK\x03\x04" + b"\x00" * 60)
    for path in (truncated, not_weights):
        code, message = cli_error(igcam_run, "--weights", path, "--image", DEMO_IMAGES[0])
        with pytest.raises(igcam.WeightFileError) as raised:
            igcam.load(path)
        assert code == 3 and str(raised.value) == message
        assert isinstance(raised.value, ValueError) and path in message


def test_missing_and_bad_images(work, igcam_run, model):
    missing = os.path.join(work, "no-such-image.png")
    code, message = cli_error(igcam_run, "--weights", DEMO_WEIGHTS, "--image", missing, "--method", "gradcam",
                              "--out", os.path.join(work, "never"))
    with pytest.raises(FileNotFoundError) as raised:
        model.explain(missing, methods="gradcam")
    assert code == 3 and str(raised.value) == message
    not_image = os.path.join(work, "not-an-image.png")
    with open(not_image, "wb") as f:
        f.write(b"this is text, not a PNG\n")
    code, message = cli_error(igcam_run, "--weights", DEMO_WEIGHTS, "--image", not_image, "--method", "gradcam",
                              "--out", os.path.join(work, "never"))
    with pytest.raises(igcam.FileFormatError) as raised:
        model.explain([DEMO_IMAGES[0], not_image], methods="gradcam")
    assert code == 3 and str(raised.value) == message
    assert not os.path.exists(os.path.join(work, "never"))


def test_bad_layer_method_and_class(igcam_run, model):
    for flag, value, keyword in (("--layer", "layer9", "layer"), ("--method", "gradcamm", "methods"),
                                 ("--class", "unicorn", "target")):
        flags = {"--method": "gradcam", flag: value}
        code, message = cli_error(igcam_run, "--weights", DEMO_WEIGHTS, "--image", DEMO_IMAGES[0], "--json",
                                  *[part for item in flags.items() for part in item])
        with pytest.raises(ValueError) as raised:
            model.explain(DEMO_IMAGES[0], **{"methods": "gradcam", keyword: value})
        assert code == 2 and str(raised.value) == message, flag
    with pytest.raises(ValueError, match="class 6 is out of range"):
        model.explain(DEMO_IMAGES[:2], methods="gradcam", target=[0, 6])
    with pytest.raises(ValueError, match="target names 1 classes for 2 images"):
        model.explain(DEMO_IMAGES[:2], methods="gradcam", target=[0])


def test_bad_arrays(model):
    cases = [
        (np.zeros((3, 64, 64), np.int32), TypeError, "images of dtype int32 are not supported"),
        (np.zeros((64, 64, 3), np.float16), TypeError, "images of dtype float16 are not supported"),
        (np.zeros((64, 64), np.uint8), ValueError, r"a uint8 image must be \(H, W, 3\) RGB"),
        (np.zeros((64, 64, 4), np.uint8), ValueError, r"a uint8 image must be \(H, W, 3\) RGB"),
        (np.zeros((2, 4, 64, 64), np.float32), ValueError, r"a preprocessed input must be \(N, 3, H, W\)"),
        (np.zeros((1, 3, 0, 64), np.float32), ValueError, "at least one pixel"),
        (np.full((1, 3, 64, 64), np.nan, np.float32), ValueError, "NaN or infinite"),
        ([], ValueError, "no images given"),
        ([np.zeros((8, 8, 3), np.uint8), np.zeros((1, 3, 8, 8), np.float32)], TypeError, "not both"),
        (42, TypeError, "images must be a path"),
    ]
    for images, error, pattern in cases:
        with pytest.raises(error, match=pattern):
            model.explain(images, methods="gradcam")
        with pytest.raises(error, match=pattern):
            model.predict(images)
    # A picture the preprocessing cannot crop (torchvision crops 224 after resizing the shorter
    # side to 256, so this one is fine; "raw" has no minimum): the C++ check names the image.
    tiny = igcam.load(DEMO_WEIGHTS, device="cpu", preprocess="torchvision")
    assert tiny.explain(np.zeros((1, 1, 3), np.uint8), methods="gradcam").maps["gradcam"].shape[0] == 1


def test_bad_options(model):
    with pytest.raises(ValueError, match="unknown dtype 'float16'"):
        igcam.load(DEMO_WEIGHTS, dtype="float16")
    with pytest.raises(ValueError, match="unknown device"):
        igcam.load(DEMO_WEIGHTS, device="tpu")
    with pytest.raises(ValueError, match="preset"):
        igcam.load(DEMO_WEIGHTS, preprocess="imagenet")
    with pytest.raises(ValueError, match="steps must be at least 1"):
        model.explain(DEMO_IMAGES[0], methods="igcam", steps=-3)
    with pytest.raises(ValueError, match="topk"):
        model.predict(DEMO_IMAGES[0], topk=0)
    with pytest.raises(ValueError, match="unknown colormap"):
        igcam.overlay(np.zeros((4, 4, 3), np.uint8), np.zeros((2, 2)), colormap="viridis")
    with pytest.raises(ValueError, match="alpha"):
        igcam.overlay(np.zeros((4, 4, 3), np.uint8), np.zeros((2, 2)), alpha=1.5)
    with pytest.raises(TypeError, match="uint8"):
        igcam.overlay(np.zeros((4, 4, 3), np.float32), np.zeros((2, 2)))
