"""igcam.overlay against PyTorch's bilinear upsampling, pytorch-grad-cam's normalisation and
matplotlib's colormaps, written out here."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import igcam


def reference_overlay(picture, raw, colormap, alpha):
    from matplotlib import colormaps
    height, width = picture.shape[:2]
    up = F.interpolate(torch.from_numpy(raw)[None, None], size=(height, width), mode="bilinear",
                       align_corners=False)[0, 0].numpy()
    heat = (up - up.min()) / (up.max() - up.min() + 1e-7)  # pytorch-grad-cam's scale_cam_image
    colours = colormaps[colormap](heat, bytes=True)[..., :3].astype(np.float64)
    return np.floor((1 - alpha) * picture.astype(np.float64) + alpha * colours + 0.5).astype(np.uint8)


@pytest.mark.parametrize("colormap,alpha", [("jet", 0.5), ("turbo", 0.3), ("jet", 1.0)])
def test_overlay_matches_torch_and_matplotlib(pictures, colormap, alpha):
    rng = np.random.default_rng(1)
    picture = pictures[0]
    raw = np.maximum(rng.normal(size=(7, 6)), 0)
    got = igcam.overlay(picture, raw, colormap=colormap, alpha=alpha)
    expected = reference_overlay(picture, raw, colormap, alpha)
    assert got.shape == picture.shape and got.dtype == np.uint8
    differ = np.argwhere(np.any(got != expected, axis=2))
    # A heat value within rounding of a colormap bin edge may fall either side of it; allow
    # none here (float64 both ways), and report any.
    assert len(differ) == 0, f"{len(differ)} pixels differ, first at {differ[:3].tolist()}"
    assert np.array_equal(igcam.overlay(picture, raw, alpha=0.0), picture)
