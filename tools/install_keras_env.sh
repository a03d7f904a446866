#!/usr/bin/env bash
# Creates (once) the Python virtual environment with TensorFlow, tf-keras (the Keras 2 API),
# Keras 3 and Pillow that tests/reference/keras_models.py uses to check igcam's Keras loaders
# against Keras itself. Everything comes from PyPI through pip; nothing is installed
# outside the environment. Idempotent: an environment whose stamp matches the pinned
# versions and that imports cleanly is reused without touching the network.
#
#   tools/install_keras_env.sh            install if needed; the last line printed is the
#                                         environment's python
#   tools/install_keras_env.sh --python   print the python path only if the environment
#                                         is ready (exit 1 otherwise); installs nothing
#
# Environment: IGCAM_KERAS_VENV (default ${XDG_CACHE_HOME:-$HOME/.cache}/igcam/keras-venv),
# IGCAM_KERAS_BASE_PYTHON (the interpreter that creates the venv; default: the first of
# python3 on PATH, pyenv's 3.11, /usr/bin/python3 that can create a venv with pip).
# Exit status: 0 ready, 1 the environment cannot be installed here (reason printed as
# "install_keras_env: cannot install: ...").
set -euo pipefail

# Pinned, known-good together on CPython 3.11 (x86_64 manylinux wheels). tensorflow-cpu
# avoids the CUDA wheels; tf-keras declares a dependency on the 'tensorflow' package name,
# so it is installed without dependencies (its real ones come with tensorflow-cpu).
TF_SPEC="tensorflow-cpu==2.21.0"
TF_KERAS_SPEC="tf-keras==2.21.0"
KERAS_SPEC="keras==3.15.1"
# keras.utils.load_img needs Pillow; 9.4.0 is the version igcam's "caffe-bgr" resize follows.
PILLOW_SPEC="pillow==9.4.0"
STAMP_TEXT="$TF_SPEC $TF_KERAS_SPEC $KERAS_SPEC $PILLOW_SPEC"

venv="${IGCAM_KERAS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/igcam/keras-venv}"
python="$venv/bin/python"
stamp="$venv/.igcam-keras-stamp"

fail() {
  echo "install_keras_env: cannot install: $*" >&2
  exit 1
}

ready() {
  [[ -x "$python" && -f "$stamp" && "$(cat "$stamp")" == "$STAMP_TEXT" ]] || return 1
  TF_CPP_MIN_LOG_LEVEL=3 "$python" -c "import tensorflow, tf_keras, keras, h5py, numpy, PIL" >/dev/null 2>&1
}

if [[ "${1:-}" == "--python" ]]; then
  ready && { echo "$python"; exit 0; }
  exit 1
fi

if ready; then
  echo "install_keras_env: ready ($STAMP_TEXT) in $venv"
  echo "$python"
  exit 0
fi

# An interpreter that can create a venv with pip (Debian's python3 needs python3-venv).
base=""
candidates=()
[[ -n "${IGCAM_KERAS_BASE_PYTHON:-}" ]] && candidates+=("$IGCAM_KERAS_BASE_PYTHON")
command -v python3 >/dev/null 2>&1 && candidates+=("$(command -v python3)")
candidates+=("$HOME/.pyenv/versions/3.11.7/bin/python3" /root/.pyenv/versions/3.11.7/bin/python3 /usr/bin/python3)
for candidate in "${candidates[@]}"; do
  [[ -x "$candidate" ]] || continue
  if "$candidate" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
    base="$candidate"
    break
  fi
done
[[ -n "$base" ]] || fail "no CPython 3.11 with the venv and ensurepip modules (tried: ${candidates[*]}); \
set IGCAM_KERAS_BASE_PYTHON or install python3-venv"

start=$(date +%s)
echo "install_keras_env: creating $venv with $base ($("$base" --version 2>&1))"
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$base" -m venv "$venv" || fail "'$base -m venv $venv' failed"
pip=("$python" -m pip --disable-pip-version-check --no-input -q)
"${pip[@]}" install --upgrade pip || fail "pip could not upgrade itself (is PyPI reachable?)"
"${pip[@]}" install "$TF_SPEC" "$KERAS_SPEC" "$PILLOW_SPEC" h5py numpy || fail "pip install $TF_SPEC $KERAS_SPEC $PILLOW_SPEC failed (is PyPI reachable?)"
"${pip[@]}" install --no-deps "$TF_KERAS_SPEC" || fail "pip install $TF_KERAS_SPEC failed (is PyPI reachable?)"
TF_CPP_MIN_LOG_LEVEL=3 "$python" -c "import tensorflow, tf_keras, keras, h5py, numpy, PIL" \
  || fail "the installed packages do not import"
echo "$STAMP_TEXT" >"$stamp"
echo "install_keras_env: installed $STAMP_TEXT in $(( $(date +%s) - start )) s, $(du -sh "$venv" | cut -f1)"
echo "$python"
