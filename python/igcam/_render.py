"""igcam.overlay: a map drawn over a picture, as igcam-run draws its PNGs."""
from typing import List

import numpy as np

from . import _igcam


def colormaps() -> List[str]:
    """The colormaps overlay accepts: matplotlib 3.6's jet and turbo, byte for byte."""
    return list(_igcam.colormap_names())


def overlay(image: np.ndarray, map: np.ndarray, colormap: str = "jet", alpha: float = 0.5,
            normalize: bool = True) -> np.ndarray:
    """The map as a heatmap blended over an RGB picture: (H, W, 3) uint8.

    image: (H, W, 3) uint8 RGB (Explanation.images holds what the model saw).
    map: (h, w) values of any float dtype; bilinearly upsampled to H x W (half-pixel centres,
        as F.interpolate) when its size differs, then min-max normalised to [0, 1) unless
        normalize is False (the map must then lie in [0, 1] already; values outside are clipped).
    colormap: "jet" or "turbo". alpha: the heatmap's weight, 0 (the picture) to 1 (the heatmap):
        out = (1 - alpha) * image + alpha * colormap(heat), rounded half up.
    The upsampling and normalisation run in float64 here; Explanation.overlay draws the
    heatmap igcam computed in the model's dtype, which gives igcam-run's PNGs byte for byte."""
    picture = np.asarray(image)
    if picture.dtype != np.uint8:
        raise TypeError(f"overlay: the image must be uint8 RGB, got dtype {picture.dtype}")
    if picture.ndim != 3 or picture.shape[2] != 3:
        raise ValueError(f"overlay: the image must be (H, W, 3) RGB, got shape {tuple(picture.shape)}")
    values = np.asarray(map)
    if values.ndim != 2:
        raise ValueError(f"overlay: the map must be (h, w), got shape {tuple(values.shape)}")
    if not np.issubdtype(values.dtype, np.floating) and not np.issubdtype(values.dtype, np.integer):
        raise TypeError(f"overlay: the map must hold numbers, got dtype {values.dtype}")
    if not np.isfinite(values).all():
        raise ValueError("overlay: the map holds NaN or infinite values")
    return _igcam.overlay(np.ascontiguousarray(picture), np.ascontiguousarray(values, dtype=np.float64), colormap,
                          float(alpha), bool(normalize))
