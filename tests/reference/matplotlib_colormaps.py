#!/usr/bin/python3
"""Reference fixtures for cam/colormap: matplotlib's jet and turbo, as bytes.

Usage: matplotlib_colormaps.py OUTDIR

For each colormap and each set of values it writes the values (.npy, float64 or float32 as
the case says) and matplotlib's `cmap(values, bytes=True)[:, :3]` (.npy, float64, shape
(N, 3)), and lists the cases in OUTDIR/cases.json. tests/reference/test_matplotlib_colormaps.cpp
runs the same values through igcam::cam and requires every byte to be equal. Run by Debian's
python3 (python3-matplotlib 3.6.3, python3-numpy).

Value sets:
  linspace    np.linspace(0, 1, 1001)
  boundaries  k/256 for k = 0..256 (exactly where the lookup index changes), with the
              neighbouring floats just below (k = 1..256) and just above (k = 0..255)
  outside     values outside [0, 1], which matplotlib clips to the end colours
NaN is not compared: matplotlib gives its transparent "bad" colour (0, 0, 0, 0) there, igcam
the first colour (documented in cam/colormap.h).
"""
import json
import os
import sys

import matplotlib
import numpy as np

MAPS = ("jet", "turbo")
N = 256


def linspace(dtype):
    return np.linspace(0, 1, 1001).astype(dtype)


def boundaries(dtype):
    exact = np.arange(N + 1, dtype=np.float64).astype(dtype) / dtype(N)  # k/256: exact in binary
    below = np.nextafter(exact[1:], dtype(-np.inf))
    above = np.nextafter(exact[:-1], dtype(np.inf))
    return np.concatenate([exact, below, above]).astype(dtype)


def outside(dtype):
    return np.array([-np.inf, -1e30, -1.0, -0.5, -1e-30, -0.0, np.nextafter(dtype(1), dtype(2)), 1.25, 2.0,
                     1e30, np.inf], dtype=dtype)


VALUE_SETS = {"linspace": linspace, "boundaries": boundaries, "outside": outside}
DTYPES = {"f64": np.float64, "f32": np.float32}


def colors(name, values):
    rgba = matplotlib.colormaps[name](values, bytes=True)
    assert rgba.dtype == np.uint8 and rgba.shape == values.shape + (4,)
    assert (rgba[:, 3] == 255).all(), "an alpha that is not opaque: a value was treated as bad"
    return rgba[:, :3].astype(np.float64)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: matplotlib_colormaps.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    cases = []
    for dtype_name, dtype in DTYPES.items():
        for set_name, make in VALUE_SETS.items():
            values = make(dtype)
            assert values.dtype == dtype and not np.isnan(values).any()
            values_file = f"{set_name}.{dtype_name}.values.npy"
            np.save(os.path.join(outdir, values_file), values)
            for name in MAPS:
                colors_file = f"{name}.{set_name}.{dtype_name}.colors.npy"
                np.save(os.path.join(outdir, colors_file), colors(name, values))
                cases.append({"name": f"{name}.{set_name}.{dtype_name}", "colormap": name, "dtype": dtype_name,
                              "values": values_file, "colors": colors_file, "count": int(values.size)})
    with open(os.path.join(outdir, "cases.json"), "w") as f:
        json.dump({"matplotlib_version": matplotlib.__version__, "numpy_version": np.__version__,
                   "cases": cases}, f, indent=1)


if __name__ == "__main__":
    main()
