#!/usr/bin/env bash
# Creates (once) the Python virtual environment with the reference implementations that
# tests use to check igcam's evaluation metrics: Quantus (RelevanceMassAccuracy,
# RelevanceRankAccuracy), TorchRay (benchmark.pointing_game.PointingGame), TorchCAM
# (metrics.ClassificationMetric, metrics.DeletionInsertionMetric), scikit-image
# (metrics.structural_similarity) and SciPy (stats.spearmanr); pytorch-grad-cam, the
# Python stack tools/bench_eval.sh times igcam-eval against, and the reference the Python
# module's maps are tested against; Hugging Face's safetensors, which writes the .safetensors
# test fixtures; and what builds and tests the Python module (nanobind, scikit-build-core,
# pytest). The environment sees the
# system site packages, so PyTorch, torchvision, NumPy, SciPy, Matplotlib and Pillow are
# Debian's (tools/install_deps.sh installs them); the rest comes from PyPI through pip and
# nothing is installed outside the environment. Idempotent: an environment whose stamp
# matches the pinned versions and that imports cleanly is reused without touching the network.
#
#   tools/install_metrics_env.sh            install if needed; the last line printed is the
#                                           environment's python
#   tools/install_metrics_env.sh --python   print the python path only if the environment
#                                           is ready (exit 1 otherwise); installs nothing
#
# Environment: IGCAM_METRICS_VENV (default ${XDG_CACHE_HOME:-$HOME/.cache}/igcam/metrics-venv),
# IGCAM_METRICS_BASE_PYTHON (the interpreter that creates the venv; default: the first of
# /usr/bin/python3, python3 on PATH that is CPython 3.11, can create a venv with pip and
# imports torch and torchvision).
# Exit status: 0 ready, 1 the environment cannot be installed here (reason printed as
# "install_metrics_env: cannot install: ...").
set -euo pipefail

# Pinned, known-good together on Debian 12's CPython 3.11 with its python3-torch 1.13,
# python3-numpy 1.24.2 and python3-scipy 1.10.1 (x86_64 manylinux wheels).
# NumPy and SciPy are pinned to Debian's versions so that pip keeps the system copies
# (a NumPy 2 would break Debian's torch); scikit-image 0.24 is the last release that
# accepts SciPy 1.10, and OpenCV 4.10 the last that accepts NumPy 1.x.
NUMPY_SPEC="numpy==1.24.2"
SCIPY_SPEC="scipy==1.10.1"
SKIMAGE_SPEC="scikit-image==0.24.0"
# Quantus declares opencv-python, which needs libGL at import time; it is installed without
# dependencies, with the headless OpenCV and its other dependencies listed here.
QUANTUS_SPEC="quantus==0.6.0"
QUANTUS_DEPS=(
  "opencv-python-headless==4.10.0.84" "pandas==2.2.3" "scikit-learn==1.6.1" "tqdm==4.67.1"
  "cachetools==5.5.2"
)
# What scikit-image, pandas and scikit-learn pull in, pinned too.
TRANSITIVE_DEPS=(
  "imageio==2.38.2" "tifffile==2026.3.3" "networkx==3.6.1" "lazy-loader==0.6" "joblib==1.6.0"
  "threadpoolctl==3.8.0" "tzdata==2026.6"
)
# TorchRay's declared dependencies (pycocotools, pymongo, requests, importlib_resources) serve
# its data sets, logging and model downloads, none of which benchmark.pointing_game imports;
# it is a source distribution of pure Python, installed without dependencies.
TORCHRAY_SPEC="torchray==1.0.0.2"
# TorchCAM 0.5.0 declares torch>=2.4.1 but its CNN CAM methods and both metrics run on
# torch 1.13 (only LeGrad's attention hooks need torch 2); installed without dependencies.
TORCHCAM_SPEC="torchcam==0.5.0"
# pytorch-grad-cam declares opencv-python (libGL again); its other dependencies (ttach, tqdm,
# matplotlib, scikit-learn, Pillow) are listed above or Debian's. A source distribution.
GRADCAM_SPECS=("grad-cam==1.5.5" "ttach==0.0.3")
# Hugging Face's safetensors writes the .safetensors fixtures (tests/reference/torch_files.py);
# a binary wheel without dependencies.
SAFETENSORS_SPEC="safetensors==0.4.5"
# The Python module is built with `pip install --no-build-isolation` into this environment
# (tests/python/run_tests.py), so its build requirements live here; pytest runs its tests.
# Pure-Python wheels, installed without dependencies; scikit-build-core needs a newer
# packaging than Debian's 23.0.
PYTHON_MODULE_SPECS=(
  "nanobind==2.15.0" "scikit-build-core==0.11.6" "pathspec==0.12.1" "packaging==24.2"
  "pytest==8.3.4" "pluggy==1.5.0" "iniconfig==2.0.0"
)
STAMP_TEXT="$QUANTUS_SPEC $TORCHRAY_SPEC $TORCHCAM_SPEC $SKIMAGE_SPEC $NUMPY_SPEC $SCIPY_SPEC \
${QUANTUS_DEPS[*]} ${TRANSITIVE_DEPS[*]} ${GRADCAM_SPECS[*]} $SAFETENSORS_SPEC ${PYTHON_MODULE_SPECS[*]}"
IMPORT_CHECK="import numpy, scipy.stats, skimage.metrics, cv2, quantus, torch, torchvision
import torchray.benchmark.pointing_game
from torchcam.metrics import ClassificationMetric, DeletionInsertionMetric
from torchcam.methods import CAM, GradCAM
from pytorch_grad_cam import GradCAM, GradCAMPlusPlus
import safetensors.torch
import nanobind, scikit_build_core, pytest
assert numpy.__version__.startswith('1.'), numpy.__version__"

venv="${IGCAM_METRICS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/igcam/metrics-venv}"
python="$venv/bin/python"
stamp="$venv/.igcam-metrics-stamp"

fail() {
  echo "install_metrics_env: cannot install: $*" >&2
  exit 1
}

ready() {
  [[ -x "$python" && -f "$stamp" && "$(cat "$stamp")" == "$STAMP_TEXT" ]] || return 1
  "$python" -c "$IMPORT_CHECK" >/dev/null 2>&1
}

if [[ "${1:-}" == "--python" ]]; then
  ready && { echo "$python"; exit 0; }
  exit 1
fi

if ready; then
  echo "install_metrics_env: ready ($QUANTUS_SPEC $TORCHRAY_SPEC $TORCHCAM_SPEC $SKIMAGE_SPEC) in $venv"
  echo "$python"
  exit 0
fi

# An interpreter that can create a venv with pip and already has PyTorch (Debian's python3
# with python3-venv and python3-torch).
base=""
candidates=()
[[ -n "${IGCAM_METRICS_BASE_PYTHON:-}" ]] && candidates+=("$IGCAM_METRICS_BASE_PYTHON")
candidates+=(/usr/bin/python3)
command -v python3 >/dev/null 2>&1 && candidates+=("$(command -v python3)")
for candidate in "${candidates[@]}"; do
  [[ -x "$candidate" ]] || continue
  if "$candidate" -c 'import sys, venv, ensurepip, torch, torchvision, numpy, scipy, matplotlib, PIL, packaging
sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' >/dev/null 2>&1; then
    base="$candidate"
    break
  fi
done
[[ -n "$base" ]] || fail "no CPython 3.11 with the venv and ensurepip modules and PyTorch (tried: ${candidates[*]}); \
set IGCAM_METRICS_BASE_PYTHON or run tools/install_deps.sh (python3-venv, python3-torch, python3-torchvision)"

start=$(date +%s)
echo "install_metrics_env: creating $venv with $base ($("$base" --version 2>&1), torch $("$base" -c 'import torch; print(torch.__version__)' 2>/dev/null))"
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$base" -m venv --system-site-packages "$venv" || fail "'$base -m venv --system-site-packages $venv' failed"
pip=("$python" -m pip --disable-pip-version-check --no-input -q)
"${pip[@]}" install --upgrade pip || fail "pip could not upgrade itself (is PyPI reachable?)"
"${pip[@]}" install "$NUMPY_SPEC" "$SCIPY_SPEC" "$SKIMAGE_SPEC" "${QUANTUS_DEPS[@]}" "${TRANSITIVE_DEPS[@]}" \
  || fail "pip install $SKIMAGE_SPEC ${QUANTUS_DEPS[*]} failed (is PyPI reachable?)"
"${pip[@]}" install --no-deps "$QUANTUS_SPEC" "$TORCHRAY_SPEC" "$TORCHCAM_SPEC" "${GRADCAM_SPECS[@]}" "$SAFETENSORS_SPEC" \
  "${PYTHON_MODULE_SPECS[@]}" \
  || fail "pip install $QUANTUS_SPEC $TORCHRAY_SPEC $TORCHCAM_SPEC ${GRADCAM_SPECS[*]} $SAFETENSORS_SPEC failed (is PyPI reachable?)"
"$python" -c "$IMPORT_CHECK" || fail "the installed packages do not import"
echo "$STAMP_TEXT" >"$stamp"
echo "install_metrics_env: installed $QUANTUS_SPEC $TORCHRAY_SPEC $TORCHCAM_SPEC $SKIMAGE_SPEC in $(( $(date +%s) - start )) s, $(du -sh "$venv" | cut -f1)"
echo "$python"
