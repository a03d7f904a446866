"""Fixtures of the Python module's tests, built at test time (nothing generated is committed):
the bundled demo model and images, igcam-run's own output on them, and a seeded random-weight
torchvision ResNet-18 saved by torch.save, with the same network in PyTorch as the reference."""
import glob
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))

DEMO_WEIGHTS = os.path.join(ROOT, "demo", "model", "shapes_resnet.h5")
DEMO_IMAGES = sorted(glob.glob(os.path.join(ROOT, "demo", "images", "*.png")))[:4]
CLASSES = 10


@pytest.fixture(scope="session")
def work():
    path = os.environ.get("IGCAM_PYTHON_TEST_WORK")
    assert path, "IGCAM_PYTHON_TEST_WORK is not set (run the tests through tests/python/run_tests.py)"
    os.makedirs(path, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def igcam_run():
    path = os.environ.get("IGCAM_RUN")
    assert path and os.access(path, os.X_OK), "IGCAM_RUN must name the igcam-run binary"
    return path


def run_cli(igcam_run, *args):
    """igcam-run's exit code and stderr."""
    result = subprocess.run([igcam_run, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return result.returncode, result.stderr


@pytest.fixture(scope="session")
def resnet18(work):
    """(path of a torch.save state dict, the PyTorch model in float64, eval mode)."""
    import torch
    import export_torchvision
    model = export_torchvision.randomize(export_torchvision.build("resnet18", "torchvision", CLASSES), 5)
    path = os.path.join(work, "resnet18.pth")
    torch.save(model.state_dict(), path)
    return path, model.double().eval()


@pytest.fixture(scope="session")
def pictures():
    """Two seeded random RGB pictures of different sizes, uint8 (H, W, 3): smooth blobs plus
    noise, so that the CAMs have structure."""
    rng = np.random.default_rng(3)
    out = []
    for height, width in ((150, 130), (120, 170)):
        y, x = np.mgrid[0:height, 0:width]
        base = np.stack([np.sin(x / (9.0 + 4 * c)) * np.cos(y / (7.0 + 3 * c)) for c in range(3)], axis=2)
        noisy = 127.5 + 90 * base + rng.normal(0, 20, (height, width, 3))
        out.append(np.clip(np.round(noisy), 0, 255).astype(np.uint8))
    return out
