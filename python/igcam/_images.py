"""What the functions that take images accept, brought to the three forms the engine reads."""
import os
from typing import List, Sequence, Union

import numpy as np

ImagesLike = Union[str, "os.PathLike[str]", np.ndarray, Sequence[Union[str, "os.PathLike[str]", np.ndarray]]]

_FORMS = ("a path, a list of paths, a uint8 (H, W, 3) RGB array, a uint8 (N, H, W, 3) array or a list of "
          "(H, W, 3) arrays, or a float32/float64 (N, 3, H, W) or (3, H, W) array already preprocessed")


def _as_array(value):
    """numpy arrays as they are; PyTorch tensors (any device) as numpy; anything else None."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        return value.detach().cpu().numpy()
    return None


def _pictures(array: np.ndarray) -> List[np.ndarray]:
    if array.ndim == 3 and array.shape[2] == 3:
        return [np.ascontiguousarray(array)]
    if array.ndim == 4 and array.shape[3] == 3:
        return [np.ascontiguousarray(a) for a in array]
    raise ValueError(f"a uint8 image must be (H, W, 3) RGB (or (N, H, W, 3)), got shape {tuple(array.shape)}")


def _inputs(array: np.ndarray) -> np.ndarray:
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[1] != 3:
        raise ValueError(f"a preprocessed input must be (N, 3, H, W) or (3, H, W), got shape {tuple(array.shape)}")
    if 0 in array.shape:
        raise ValueError(f"a preprocessed input must hold at least one pixel, got shape {tuple(array.shape)}")
    if not np.isfinite(array).all():
        raise ValueError("a preprocessed input holds NaN or infinite values")
    return np.ascontiguousarray(array)


def _from_array(array: np.ndarray):
    if array.dtype == np.uint8:
        return _pictures(array)
    if array.dtype in (np.float32, np.float64):
        return _inputs(array)
    raise TypeError(f"images of dtype {array.dtype} are not supported: pass uint8 (H, W, 3) RGB pictures or "
                    f"float32/float64 (N, 3, H, W) model inputs")


def normalise_images(images: ImagesLike):
    """-> a list of file paths, a list of (H, W, 3) uint8 arrays, or one (N, 3, H, W) float array."""
    if isinstance(images, (str, os.PathLike)):
        return [os.fspath(images)]
    array = _as_array(images)
    if array is not None:
        return _from_array(array)
    if isinstance(images, (list, tuple)):
        if len(images) == 0:
            raise ValueError("no images given")
        if all(isinstance(i, (str, os.PathLike)) for i in images):
            return [os.fspath(i) for i in images]
        arrays = [_as_array(i) for i in images]
        if all(a is not None for a in arrays):
            if all(a.dtype == np.uint8 for a in arrays):
                pictures = []
                for a in arrays:
                    if a.ndim != 3:
                        raise ValueError(f"each uint8 image of a list must be (H, W, 3) RGB, got shape {tuple(a.shape)}")
                    pictures += _pictures(a)
                return pictures
            if all(a.dtype in (np.float32, np.float64) for a in arrays):
                rows = [_inputs(a) for a in arrays]
                if len({r.shape[1:] for r in rows}) != 1:
                    raise ValueError("preprocessed inputs of different sizes cannot be explained in one call: "
                                     "pass them one call each, or as image files or uint8 pictures")
                return np.ascontiguousarray(np.concatenate([r.astype(rows[0].dtype) for r in rows]))
            raise TypeError("a list of images must hold only uint8 pictures or only float model inputs, not both")
    raise TypeError(f"images must be {_FORMS}; got {type(images).__name__}")
