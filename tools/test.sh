#!/usr/bin/env bash
# Quick start, command 2 (and what CI runs): installs every dependency, builds with
# warnings as errors (the CUDA backend too where the toolkit and cuDNN are found, for one
# architecture, sm_90, to save time), and runs the whole test suite with ctest. On a
# machine without a GPU the GPU suites report themselves skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
tools/build.sh -DIGCAM_WERROR=ON -DIGCAM_BUILD_TESTS=ON -DCMAKE_CUDA_ARCHITECTURES="${IGCAM_TEST_CUDA_ARCHITECTURES:-90}"
ctest --test-dir build --output-on-failure -j "$(nproc)"
