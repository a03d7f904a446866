#!/usr/bin/env bash
# Quick start, command 1: installs what the build needs, builds, and explains the bundled
# demo images with the bundled demo model and every CAM method. Results land in demo-out/
# (one overlay and one raw map per image and method, a side-by-side grid per image,
# report.json and report.html, the page to open in a browser). Extra arguments go to
# igcam-run, e.g. tools/demo.sh --trace.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh --build
tools/build.sh
echo
build/bin/igcam-run --weights demo/model/shapes_resnet.h5 --image demo/images --method all --report --out demo-out "$@"
echo
echo "Open demo-out/report.html in a browser (it needs no network): every method on each image, IG-CAM's path"
echo "plotted, the gradient trace drawn. demo-out/*.grid.png holds the same overlays as pictures."
