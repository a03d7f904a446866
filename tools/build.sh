#!/usr/bin/env bash
# Configures and builds igcam into build/ (binaries in build/bin/, tests in build/tests/).
# Extra arguments go to the CMake configure step, e.g. tools/build.sh -DIGCAM_CUDA=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" | grep -E "^-- igcam|Error|error" || true
cmake --build build -j "$(nproc)"
