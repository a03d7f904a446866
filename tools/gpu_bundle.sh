#!/usr/bin/env bash
# Prepares what tools/gpu_check.sh needs on a GPU machine that cannot build igcam itself
# (no HDF5, OpenBLAS, libpng or libjpeg development packages there): builds the CUDA
# backend here for one architecture (default 90, the H100) into build-gpu/, then packs the
# GPU test binaries, igcam-bench and igcam-run, with every shared library they load beyond
# glibc, libstdc++ and the CUDA libraries, into .gpu-bundle/igcam-gpu.tar.xz (13 MB for sm_90).
# Carry .gpu-bundle to the GPU machine; gpu_check.sh unpacks it when it is there.
#   tools/gpu_bundle.sh [CUDA_ARCHITECTURE]
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:-90}
tools/install_deps.sh --build
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DIGCAM_CUDA=ON -DIGCAM_BUILD_TESTS=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$arch" | grep -E "^-- igcam|Error" || true
cmake --build build-gpu -j "$(nproc)" --target test_cuda_check test_gpu_ops test_gpu_models igcam-bench igcam-run

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib"
binaries=(build-gpu/tests/test_cuda_check build-gpu/tests/test_gpu_ops build-gpu/tests/test_gpu_models
          build-gpu/bin/igcam-bench build-gpu/bin/igcam-run)
cp "${binaries[@]}" "$stage/bin/"
strip "$stage"/bin/*
# The libraries to bring: everything ldd resolves except the C runtime, the C++ runtime
# (the GPU machine's is newer) and CUDA's own (the GPU machine has its driver's versions).
ldd "${binaries[@]}" | awk '/=> \//{print $3}' | sort -u |
  grep -Ev '/(libc|libm|libdl|libpthread|librt|libresolv|libgcc_s|libstdc\+\+|ld-linux[^/]*)\.so|/libcu|/libcudnn|/libnv' |
  while read -r library; do cp -L "$library" "$stage/lib/"; done
mkdir -p .gpu-bundle
tar -C "$stage" -cJf .gpu-bundle/igcam-gpu.tar.xz bin lib
echo "gpu_bundle: .gpu-bundle/igcam-gpu.tar.xz ($(du -h .gpu-bundle/igcam-gpu.tar.xz | cut -f1), sm_$arch)"
