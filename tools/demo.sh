#!/usr/bin/env bash
# Quick start, command 1: installs what the build needs, builds, and explains the bundled
# demo images with the bundled demo model and every CAM method. Results land in demo-out/
# (one overlay and one raw map per image and method, a side-by-side grid per image,
# report.json and report.html, the page to open in a browser), and Grad-CAM and IG-CAM one
# stage earlier in demo-out/layer2/. Extra arguments go to igcam-run, e.g. tools/demo.sh --trace.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh --build
tools/build.sh
echo
build/bin/igcam-run --weights demo/model/shapes_resnet.h5 --image demo/images --method all --report --out demo-out "$@"
# The model's last stage (the default layer) is followed by pooling and a linear layer only,
# so its gradient is the same all along IG-CAM's path; one stage earlier it changes, and the
# second page shows how.
build/bin/igcam-run --weights demo/model/shapes_resnet.h5 --image demo/images --layer layer2 --method gradcam,igcam \
  --report --out demo-out/layer2 -q "$@" > /dev/null
echo
echo "Open demo-out/report.html in a browser (it needs no network): every method on each image, IG-CAM's path"
echo "plotted, the gradient trace drawn. demo-out/layer2/report.html: Grad-CAM and IG-CAM one stage earlier, where"
echo "the gradient changes along the path. demo-out/*.grid.png holds the overlays as pictures."
