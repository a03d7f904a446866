"""igcam.load reads Keras 3's .keras archives as --weights does: the archive and the
.weights.h5 file it holds give the same model, bit for bit (the fixture files come from
tests/reference/keras_bad_weights.py, which writes Keras layouts with h5py alone)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import igcam

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def layouts(work):
    out = os.path.join(work, "keras-layouts")
    script = os.path.join(HERE, "..", "reference", "keras_bad_weights.py")
    subprocess.run([sys.executable, script, out], check=True, stdout=subprocess.DEVNULL)
    return out


def test_keras_archive_equals_its_weights_file(layouts):
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    bare = igcam.load(os.path.join(layouts, "good_keras3.weights.h5"), device="cpu")
    for name in ("good_archive.keras", "good_archive_deflated.keras"):
        archive = igcam.load(os.path.join(layouts, name), device="cpu")
        assert archive.format == "keras3 .keras archive (keras3 .weights.h5, Keras-2 names, model 'resnet50')"
        assert archive.architecture == bare.architecture == "resnet50"
        assert np.array_equal(archive.predict(x).logits, bare.predict(x).logits)
        a = archive.explain(x, methods="gradcam", layer="conv5_block3_out")
        b = bare.explain(x, methods="gradcam", layer="conv5_block3_out")
        assert np.array_equal(a.maps["gradcam"], b.maps["gradcam"])


def test_contradicting_keras_archive_is_a_weight_file_error(layouts):
    path = os.path.join(layouts, "archive_wrong_head.keras")
    with pytest.raises(igcam.WeightFileError, match="config.json describes 53 Conv2D layers and a Dense head of 7"):
        igcam.load(path)
