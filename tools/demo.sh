#!/usr/bin/env bash
# Quick start, command 1: installs what the build needs, builds, and runs igcam-run's
# built-in demonstrations on igcam's own engine.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh --build
tools/build.sh
echo
build/bin/igcam-run --demo sensitivity
echo
build/bin/igcam-run --demo trace
