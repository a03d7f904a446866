"""The evaluator's metrics (igcam-eval; docs/evaluation.md defines each exactly) on numpy
maps and boxes, so that maps from any library can be scored the way igcam-eval scores its own.

A map is an (H, W) array of non-negative values in the frame the metric works in (the
original image's pixels for the localisation metrics). Boxes are (M, 4) integer rows
x0, y0, x1, y1: columns [x0, x1) and rows [y0, y1), clipped to the map.
"""
from typing import NamedTuple, Optional, Sequence

import numpy as np

from . import _igcam

__all__ = ["PointingResult", "bbox", "confidence_drop", "confidence_increase", "curve_area", "ebpg",
           "pointing_game", "spearman", "ssim"]


def _map(values, what: str = "map") -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 2:
        raise ValueError(f"{what} must be (H, W), got shape {tuple(array.shape)}")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise TypeError(f"{what} must hold numbers, got dtype {array.dtype}")
    array = np.ascontiguousarray(array, dtype=np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{what} holds NaN or infinite values")
    return array


def _boxes(values) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim == 1 and array.shape == (4,):
        array = array[None]
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"boxes must be (M, 4) rows of x0, y0, x1, y1, got shape {tuple(array.shape)}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.array_equal(array, np.round(array)):
            raise ValueError("boxes must hold whole pixel coordinates")
    return np.ascontiguousarray(array, dtype=np.int64)


def ebpg(map, boxes) -> Optional[float]:
    """Energy-based pointing game: the share of the map's sum inside the boxes. None for an
    all-zero map (igcam-eval leaves such rows out of the mean and counts them)."""
    return _igcam.ebpg(_map(map), _boxes(boxes))


def bbox(map, boxes, ties: str = "fraction") -> Optional[float]:
    """Bbox (relevance rank accuracy): with n the pixels inside the boxes, the share of the
    map's n highest pixels that lie inside. ties: "fraction" (pixels tied at the n-th value
    count fractionally: independent of pixel order) or "raster" (taken in raster order, as
    Quantus). None when the boxes cover no pixel."""
    return _igcam.bbox(_map(map), _boxes(boxes), ties)


class PointingResult(NamedTuple):
    hit: bool
    row: int  # the map's first maximum, in raster order
    col: int


def pointing_game(map, boxes, tolerance: float = 15) -> PointingResult:
    """TorchRay's pointing game: the map's first maximum (raster order) is a hit when some
    pixel of the boxes lies strictly within `tolerance` pixels of it."""
    return PointingResult(*_igcam.pointing_game(_map(map), _boxes(boxes), float(tolerance)))


def confidence_drop(original: float, masked: float) -> Optional[float]:
    """Average Drop's term for one image, in percent: 100 max(0, Y - O) / Y, with Y the score
    of the image and O that of the image masked by the map; None when Y is 0."""
    return _igcam.confidence_drop(float(original), float(masked))


def confidence_increase(original: float, masked: float) -> float:
    """Increase in Confidence's term: 100 when the masked score O exceeds Y strictly, else 0."""
    return _igcam.confidence_increase(float(original), float(masked))


def curve_area(scores: Sequence[float]) -> float:
    """The area under a deletion or insertion curve of n + 1 scores at 0, 1/n, ..., 1 (RISE's
    trapezoid rule)."""
    return _igcam.curve_area([float(s) for s in np.asarray(scores, dtype=np.float64).ravel()])


def spearman(a: Sequence[float], b: Sequence[float]) -> Optional[float]:
    """Spearman's rank correlation (average ranks for ties, as scipy.stats.spearmanr); None
    when either sample is constant."""
    return _igcam.spearman([float(v) for v in np.ravel(a)], [float(v) for v in np.ravel(b)])


def ssim(a, b, win_size: int = 5, data_range: float = 2.0) -> float:
    """SSIM of two maps (skimage.metrics.structural_similarity with gaussian_weights off and
    the sample covariance), the sanity checks' similarity of maps in [-1, 1]."""
    return _igcam.ssim(_map(a, "a"), _map(b, "b"), int(win_size), float(data_range))
