#!/usr/bin/env bash
# Quick start, command 1: installs what the build needs, builds, and explains the bundled
# demo images with the bundled demo model and every CAM method. Results land in demo-out/
# (one overlay and one raw map per image and method, a side-by-side grid per image, and
# report.json). Extra arguments go to igcam-run, e.g. tools/demo.sh --trace.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh --build
tools/build.sh
echo
build/bin/igcam-run --weights demo/model/shapes_resnet.h5 --image demo/images --method all --out demo-out "$@"
echo
echo "Open demo-out/*.grid.png to see every method side by side on each image."
