#!/usr/bin/env bash
# The GPU check: one prepared script for a machine with an NVIDIA GPU, lent for minutes.
#   1. the card, driver, CUDA, cuDNN and PyTorch versions, and the CUDA libraries of the
#      pip wheels PyTorch brings (cuDNN, cuBLAS);
#   2. unpacks the prebuilt bundle (tools/gpu_bundle.sh makes it on a machine with the build
#      dependencies; .gpu-bundle/ is ignored by git, so a copy of the repository made from
#      git lacks it: copy it along)
#      and lists any library its binaries cannot find; with --build and no bundle, builds
#      for the local GPU instead;
#   3. runs the GPU suites (test_cuda_check, test_gpu_ops, test_gpu_models);
#   4. runs compute-sanitizer --tool memcheck on test_gpu_ops with the allocator's cache off
#      (IGCAM_CUDA_CACHING=0), failing API calls not reported (the out-of-memory test asks
#      for 4 PiB on purpose), without the convolution and out-of-memory cases (cuDNN's
#      kernels under memcheck cost minutes);
#   5. the benchmark (tools/bench_gpu.sh: igcam against PyTorch on the same weights, strict
#      float32 then TF32), unless --no-bench;
#   6. prints the table last.
# Every step runs under one deadline (--deadline, seconds from the start; a step is cut when
# it would pass it, and later steps are reported not run) and writes its log into the output
# folder as it goes, so a run stopped early still leaves what it did. Output folder: $OUT, or
# gpu-check/ when it is unset; six files, for runners that return only a few: summary.txt
# (the table, row by row), setup.log, tests.log, sanitizer.log, bench.log, bench_table.txt.
#
#   tools/gpu_check.sh [--deadline 450] [--quick] [--no-bench] [--bench-methods LIST]
#                      [--bench-models LIST] [--build]
#     --quick                 3 timed runs per benchmark entry instead of 10
#     --bench-methods LIST    default forward,gradcam,gradcam++,igcam,batched-gradcam (scorecam
#                             costs minutes)
#     --bench-models LIST     default resnet50,vgg16
#     --build                 build for the local GPU when the bundle is missing
# Environment: IGCAM_GPU_BUNDLE (default .gpu-bundle/igcam-gpu.tar.xz).
# Exit status: 0 every step passed, 1 some step failed, was cut or was not run, 2 usage.
set -uo pipefail
cd "$(dirname "$0")/.."
source tools/gpu_steps.sh

deadline=450 repeats=10 bench=1 bench_methods=forward,gradcam,gradcam++,igcam,batched-gradcam bench_models=resnet50,vgg16 build=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --deadline) deadline=$2; shift 2 ;;
        --quick) repeats=3; shift ;;
        --no-bench) bench=0; shift ;;
        --bench-methods) bench_methods=$2; shift 2 ;;
        --bench-models) bench_models=$2; shift 2 ;;
        --build) build=1; shift ;;
        *) echo "usage: tools/gpu_check.sh [--deadline SECONDS] [--quick] [--no-bench] [--bench-methods LIST]" \
                "[--bench-models LIST] [--build]" >&2
           exit 2 ;;
    esac
done
out=${OUT:-gpu-check}
work=/tmp/igcam-gpu-check
bundle=${IGCAM_GPU_BUNDLE:-.gpu-bundle/igcam-gpu.tar.xz}
mkdir -p "$work" "$out"
steps_begin "$out" "$deadline"

finish() {
    echo
    echo "== gpu_check: $(head -1 "$out/setup.log" 2>/dev/null) =="
    cat "$out/summary.txt"
    [[ -f "$out/bench_table.txt" ]] && cat "$out/bench_table.txt"
    steps_failed && exit 1
    exit 0
}

# ---- 1. the machine and the CUDA libraries ---------------------------------------------------
{
    if command -v nvidia-smi >/dev/null; then
        nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1
    else
        echo "no nvidia-smi here: no NVIDIA driver"
    fi
    python3 -c 'import torch; print("PyTorch", torch.__version__, "CUDA", torch.version.cuda,
                "cuDNN", torch.backends.cudnn.version())' 2>/dev/null || echo "no PyTorch for python3 here"
} >"$out/setup.log"
cat "$out/setup.log"
# The pip wheels' CUDA libraries (the ones PyTorch loads too) for our binaries.
pip_libs=$(python3 - <<'PY' 2>/dev/null
import importlib, os
for name in ("nvidia.cudnn", "nvidia.cublas", "nvidia.cuda_runtime", "nvidia.cu13"):
    try:
        module = importlib.import_module(name)
    except Exception:
        continue
    for root in module.__path__:
        for sub in ("lib", "lib64"):
            if os.path.isdir(os.path.join(root, sub)):
                print(os.path.join(root, sub))
PY
)
for dir in $pip_libs; do export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; done
echo "pip CUDA libraries: ${pip_libs:-none}" >>"$out/setup.log"

# ---- 2. the binaries ---------------------------------------------------------------------------
unpack() {  # unpack ARCHIVE DIR: tar with xz where there is one, else Python's tarfile
    rm -rf "$2" && mkdir -p "$2"
    if command -v xz >/dev/null; then
        tar -C "$2" -xJf "$1"
    else
        python3 -c 'import sys, tarfile
with tarfile.open(sys.argv[1]) as archive:
    archive.extractall(sys.argv[2], **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))' "$1" "$2"
    fi
}
if [[ -f $bundle ]]; then
    export -f unpack
    step "unpack the prebuilt bundle" setup.log --limit 60 bash -c 'unpack "$1" "$2"' unpack "$bundle" /tmp/igcam-gpu ||
        finish
    tests=/tmp/igcam-gpu/bin bin=/tmp/igcam-gpu/bin
    # The wrappers in bin/ add the bundle's lib/ for our binaries alone; check the real ones.
    missing=$(LD_LIBRARY_PATH="/tmp/igcam-gpu/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
              ldd /tmp/igcam-gpu/bin/real/* 2>&1 | grep 'not found' | sort -u)
    echo "libraries not found: ${missing:-none}" | tee -a "$out/setup.log"
    [[ -z $missing ]] || { steps_row "bundle's libraries" "FAILED: some not found (see setup.log)" 0; steps_any_failed=1; }
elif [[ $build == 1 ]]; then
    cudnn_root=""
    for dir in /usr/local/cuda /usr $pip_libs; do
        base=${dir%/lib*}
        if [[ -f "$base/include/cudnn.h" ]]; then cudnn_root=$base; break; fi
    done
    generator=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    step "configure for the local GPU" setup.log --limit 120 cmake -S . -B build-gpu "${generator[@]}" \
        -DCMAKE_BUILD_TYPE=Release -DIGCAM_CUDA=ON -DIGCAM_BUILD_TESTS=ON -DCMAKE_CUDA_ARCHITECTURES=native \
        ${cudnn_root:+-DCUDNN_ROOT=$cudnn_root} || finish
    step "build for the local GPU" setup.log cmake --build build-gpu -j "$(nproc)" --target test_cuda_check \
        test_gpu_ops test_gpu_models igcam-bench igcam-run || finish
    tests=build-gpu/tests bin=build-gpu/bin
else
    steps_row "the prebuilt bundle" "MISSING: $bundle" 0
    echo "error: $bundle is missing. .gpu-bundle/ is ignored by git and travels only when copied along:" \
         "run tools/gpu_bundle.sh 90 on the build machine and copy .gpu-bundle/ to the GPU machine with the checkout" \
         "(or pass --build on a GPU machine that has igcam's build dependencies)" | tee -a "$out/setup.log"
    steps_any_failed=1
    finish
fi

# ---- 3. GPU tests --------------------------------------------------------------------------------
for suite in test_cuda_check test_gpu_ops test_gpu_models; do
    step "$suite" tests.log --limit 150 "$tests/$suite"
done

# ---- 4. compute-sanitizer --------------------------------------------------------------------------
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)
if [[ -n $sanitizer ]]; then
    step "compute-sanitizer memcheck, test_gpu_ops, cache off" sanitizer.log --limit 150 \
        env IGCAM_CUDA_CACHING=0 "$sanitizer" --tool memcheck --report-api-errors no --error-exitcode 9 \
        --print-limit 20 "$tests/test_gpu_ops" '--test-case-exclude=*convolutions*,gpu memory*'
    grep -E "ERROR SUMMARY" "$out/sanitizer.log" | tail -1
else
    steps_row "compute-sanitizer" "not found" 0
fi

# ---- 5. benchmark -----------------------------------------------------------------------------------
if [[ $bench == 1 ]]; then
    : >"$out/bench_table.txt"
    step "benchmark ($bench_models: $bench_methods; strict, TF32)" bench.log \
        tools/bench_gpu.sh "$bin/igcam-bench" "$work" "$out/bench_table.txt" --repeats "$repeats" \
        --models "$bench_models" --methods "$bench_methods"
else
    steps_row "benchmark" "not run (--no-bench)" 0
fi

# ---- 6. the table ---------------------------------------------------------------------------------------
finish
