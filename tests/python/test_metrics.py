"""igcam.metrics on numpy maps, against references we did not write: TorchRay's pointing
game, SciPy's Spearman correlation, scikit-image's SSIM, NumPy's trapezoid rule, and the
definitions (docs/evaluation.md) computed with NumPy."""
import numpy as np
import pytest
import torch

from igcam import metrics

RNG = np.random.default_rng(8)
BOXES = np.array([[5, 3, 20, 14], [30, 20, 41, 36]])  # x0, y0, x1, y1: columns [x0, x1), rows [y0, y1)


def mask_of(boxes, height, width):
    mask = np.zeros((height, width), bool)
    for x0, y0, x1, y1 in boxes:
        mask[y0:y1, x0:x1] = True
    return mask


def test_ebpg_and_bbox_by_their_definitions():
    mask = mask_of(BOXES, 40, 48)
    for _ in range(20):
        saliency = RNG.random((40, 48)) ** 3  # continuous: no ties
        assert metrics.ebpg(saliency, BOXES) == pytest.approx(saliency[mask].sum() / saliency.sum(), rel=1e-12)
        n = int(mask.sum())
        top = np.argsort(-saliency, axis=None, kind="stable")[:n]
        expected = mask.ravel()[top].mean()
        assert metrics.bbox(saliency, BOXES) == pytest.approx(expected, rel=1e-12)
        assert metrics.bbox(saliency, BOXES, ties="raster") == pytest.approx(expected, rel=1e-12)
    # Ties at the n-th value: "raster" takes them in raster order (argsort of -L, as Quantus);
    # "fraction" counts each tied pixel (n - above) / tied.
    flat = np.zeros((40, 48))
    assert metrics.ebpg(flat, BOXES) is None
    flat[0, 0] = 1.0  # one pixel above, the rest tied at zero
    n, above, tied = int(mask.sum()), 1, 40 * 48 - 1
    inside_tied = int(mask.sum())
    assert metrics.bbox(flat, BOXES) == pytest.approx(inside_tied * (n - above) / tied / n, rel=1e-12)
    raster = np.argsort(-flat, axis=None, kind="stable")[:n]
    assert metrics.bbox(flat, BOXES, ties="raster") == pytest.approx(mask.ravel()[raster].mean(), rel=1e-12)
    assert metrics.bbox(flat, np.zeros((0, 4), np.int64)) is None


def test_pointing_game_against_torchray():
    from torchray.benchmark.pointing_game import PointingGame
    game = PointingGame(num_classes=1, tolerance=15)
    mask = torch.from_numpy(mask_of(BOXES, 60, 70))
    hits = 0
    for _ in range(200):
        saliency = RNG.random((60, 70))
        result = metrics.pointing_game(saliency, BOXES, tolerance=15)
        row, col = np.unravel_index(np.argmax(saliency), saliency.shape)  # the first maximum, raster order
        assert (result.row, result.col) == (row, col)
        assert result.hit == (game.evaluate(mask, (col, row)) == 1)
        hits += result.hit
    assert 0 < hits < 200  # both outcomes were compared


def test_spearman_ssim_and_curves_against_scipy_skimage_numpy():
    from scipy.stats import spearmanr
    from skimage.metrics import structural_similarity
    for _ in range(10):
        a, b = RNG.integers(0, 6, 30).astype(float), RNG.random(30)  # ties in a
        assert metrics.spearman(a, b) == pytest.approx(spearmanr(a, b).correlation, rel=1e-12)
        x, y = RNG.uniform(-1, 1, (16, 20)), RNG.uniform(-1, 1, (16, 20))
        expected = structural_similarity(x, y, win_size=5, data_range=2.0, gaussian_weights=False, use_sample_covariance=True)
        assert metrics.ssim(x, y) == pytest.approx(expected, rel=1e-10)
        scores = RNG.random(51)
        assert metrics.curve_area(scores) == pytest.approx(np.trapz(scores, dx=1 / 50), rel=1e-12)
    assert metrics.spearman([1, 1, 1], [1, 2, 3]) is None
    assert metrics.confidence_drop(0.8, 0.2) == pytest.approx(75.0)
    assert metrics.confidence_drop(0.2, 0.8) == 0.0
    assert metrics.confidence_drop(0.0, 0.5) is None
    assert metrics.confidence_increase(0.2, 0.8) == 100.0 and metrics.confidence_increase(0.8, 0.8) == 0.0


def test_metric_errors():
    with pytest.raises(ValueError, match=r"boxes must be \(M, 4\)"):
        metrics.ebpg(np.ones((4, 4)), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="box 0 .* is empty"):
        metrics.ebpg(np.ones((4, 4)), np.array([[2, 2, 2, 3]]))
    with pytest.raises(ValueError, match=r"map must be \(H, W\)"):
        metrics.bbox(np.ones((1, 4, 4)), BOXES)
    with pytest.raises(ValueError, match="NaN"):
        metrics.ebpg(np.full((4, 4), np.nan), BOXES)
    with pytest.raises(ValueError, match="unknown ties"):
        metrics.bbox(np.ones((4, 4)), BOXES, ties="random")
    with pytest.raises(ValueError, match="differ in size"):
        metrics.ssim(np.ones((8, 8)), np.ones((8, 9)))
    with pytest.raises(ValueError, match="at least 2"):
        metrics.curve_area([0.5])
