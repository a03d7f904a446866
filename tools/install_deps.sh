#!/usr/bin/env bash
# Installs every system package igcam needs from Debian's archive. Idempotent: packages
# already present are skipped, and apt-get runs only when something is missing.
#   tools/install_deps.sh          build + test dependencies
#   tools/install_deps.sh --build  build dependencies only (no PyTorch reference stack); also
#                                  what `pip install .` needs (python3-dev: Python's headers)
set -euo pipefail

build_packages=(
  cmake g++ make pkg-config
  libhdf5-dev libopenblas-dev libpng-dev libjpeg62-turbo-dev
  libdnnl-dev
  doctest-dev libcli11-dev nlohmann-json3-dev libpugixml-dev libminizip-dev zlib1g-dev
  libopenmpi-dev openmpi-bin
  python3-dev
)
# The reference tests run these with Debian's own /usr/bin/python3; tools/bench.sh runs
# PyTorch with tcmalloc preloaded (libtcmalloc-minimal4), as PyTorch recommends on the CPU;
# the report test opens report.html in headless Chromium.
reference_packages=(
  python3 python3-torch python3-torchvision python3-h5py python3-numpy python3-pil python3-matplotlib python3-venv
  libtcmalloc-minimal4 chromium
)

wanted=("${build_packages[@]}")
if [[ "${1:-}" != "--build" ]]; then
  wanted+=("${reference_packages[@]}")
fi

missing=()
for package in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install_deps: all ${#wanted[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
echo "install_deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install_deps: done"
