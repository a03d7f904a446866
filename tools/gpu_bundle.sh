#!/usr/bin/env bash
# Prepares what tools/gpu_check.sh needs on a GPU machine that cannot build igcam itself
# (no HDF5, OpenBLAS, libpng or libjpeg development packages there): builds the CUDA
# backend here for one architecture (default 90: the H100 and H200) into build-gpu/, then
# packs the GPU test binaries, igcam-bench and igcam-run, with every shared library they load
# beyond the C and C++ runtimes and CUDA's own, into .gpu-bundle/igcam-gpu.tar.xz.
# .gpu-bundle/ is ignored by git: copy it to the GPU machine with the checkout;
# gpu_check.sh unpacks it there.
#
# In the bundle, bin/NAME is a small wrapper that puts the bundle's lib/ first on
# LD_LIBRARY_PATH and runs bin/real/NAME: the Debian libraries reach our binaries alone, not
# the GPU machine's PyTorch, which the benchmark runs beside them.
#   tools/gpu_bundle.sh [CUDA_ARCHITECTURE]
#   tools/gpu_bundle.sh --filter-libraries   reads library paths (one per line) and prints
#                                            those the bundle brings
set -euo pipefail
cd "$(dirname "$0")/.."

# Not brought: the C runtime, the C++ runtime (the GPU machine's is newer) and CUDA's
# libraries (the GPU machine has its driver's and PyTorch's). Exact names, so that libcurl
# (which Debian's HDF5 needs) is not taken for a CUDA library.
left_behind='^(libc|libm|libdl|libpthread|librt|libresolv|libgcc_s|libstdc\+\+|ld-linux-x86-64|ld-linux-aarch64|libcuda|libcudart|libcublas|libcublasLt|libcudnn|libcudnn_[a-z_]+|libnvrtc|libnvrtc-builtins|libnvJitLink|libnvidia-[a-z-]+)\.so(\.[0-9]+)*$'
filter_libraries() {
    while read -r library; do
        [[ -n $library ]] || continue
        if ! [[ $(basename "$library") =~ $left_behind ]]; then echo "$library"; fi
    done
}
if [[ "${1:-}" == --filter-libraries ]]; then
    filter_libraries
    exit 0
fi

arch=${1:-90}
tools/install_deps.sh --build
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DIGCAM_CUDA=ON -DIGCAM_BUILD_TESTS=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$arch" | grep -E "^-- igcam|Error" || true
cmake --build build-gpu -j "$(nproc)" --target test_cuda_check test_gpu_ops test_gpu_models igcam-bench igcam-run

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin/real" "$stage/lib"
binaries=(build-gpu/tests/test_cuda_check build-gpu/tests/test_gpu_ops build-gpu/tests/test_gpu_models
          build-gpu/bin/igcam-bench build-gpu/bin/igcam-run)
cp "${binaries[@]}" "$stage/bin/real/"
strip "$stage"/bin/real/*
for binary in "${binaries[@]}"; do
  name=$(basename "$binary")
  cat >"$stage/bin/$name" <<WRAPPER
#!/bin/sh
# The bundle's libraries for this binary alone (tools/gpu_bundle.sh).
here=\$(cd "\$(dirname "\$0")" && pwd)
LD_LIBRARY_PATH="\$here/../lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "\$here/real/$name" "\$@"
WRAPPER
  chmod +x "$stage/bin/$name"
done
ldd "${binaries[@]}" | awk '/=> \//{print $3}' | sort -u | filter_libraries |
  while read -r library; do cp -L "$library" "$stage/lib/"; done
mkdir -p .gpu-bundle
tar -C "$stage" -cJf .gpu-bundle/igcam-gpu.tar.xz bin lib
echo "gpu_bundle: .gpu-bundle/igcam-gpu.tar.xz ($(du -h .gpu-bundle/igcam-gpu.tar.xz | cut -f1), sm_$arch," \
     "$(ls "$stage/lib" | wc -l) libraries: $(ls "$stage/lib" | tr '\n' ' '))"
