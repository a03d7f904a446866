#!/usr/bin/env bash
# Quick start, command 2 (and what CI runs): installs every dependency, builds with
# warnings as errors, and runs the whole test suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
tools/build.sh -DIGCAM_WERROR=ON -DIGCAM_BUILD_TESTS=ON
ctest --test-dir build --output-on-failure -j "$(nproc)"
