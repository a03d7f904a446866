#!/usr/bin/env bash
# The GPU check, one prepared script for a machine with an NVIDIA GPU (made to finish in
# well under 8 minutes on an H100 with 16 cores):
#   1. finds cuDNN and cuBLAS (the CUDA toolkit's, or the pip wheels PyTorch brings);
#   2. builds igcam for the local GPU (-DCMAKE_CUDA_ARCHITECTURES=native) with all cores
#      (warnings are not errors here: that machine's compiler may be newer than CI's), or,
#      where the machine lacks the build dependencies, unpacks .gpu-bundle/igcam-gpu.tar.xz
#      (made by tools/gpu_bundle.sh on a machine that has them);
#   3. runs the GPU suites (test_cuda_check, test_gpu_ops, test_gpu_models);
#   4. runs compute-sanitizer --tool memcheck on test_gpu_ops with the allocator's cache off
#      (IGCAM_CUDA_CACHING=0), so every access is checked against a real allocation;
#   5. runs the benchmark (tools/bench_gpu.sh: ResNet-50 and VGG16, strict float32 and TF32,
#      igcam against PyTorch on the same weights);
#   6. prints one table last.
# Everything is written under /tmp/igcam-gpu-check; the table, the logs and the benchmark
# tables are copied to $OUT when it is set (the device tool's output folder, which takes at
# most 8 files), else to gpu-check/.
#   tools/gpu_check.sh [--quick]     --quick: 3 timed runs instead of 10
set -uo pipefail
cd "$(dirname "$0")/.."
work=/tmp/igcam-gpu-check
out=${OUT:-gpu-check}
mkdir -p "$work" "$out"
repeats=10
[[ "${1:-}" == "--quick" ]] && repeats=3
rows=()   # "step|result|seconds" for the table
note() { echo "gpu_check: $*" | tee -a "$work/gpu_check.log"; }
timed() {  # timed NAME LOGFILE COMMAND...: runs, records pass/fail and seconds
    local name=$1 log=$2
    shift 2
    local t0=$SECONDS
    if "$@" >"$work/$log" 2>&1; then rows+=("$name|passed|$((SECONDS - t0))")
    else
        local rc=$?
        if [[ $rc == 77 ]]; then rows+=("$name|FAILED: skipped itself, no usable GPU (see $log)|$((SECONDS - t0))")
        else rows+=("$name|FAILED (exit $rc, see $log)|$((SECONDS - t0))"); fi
    fi
}
# The table, and the files worth reading, into $out.
finish() {
    {
        echo "== gpu_check: $(head -1 "$work/gpu.txt") =="
        printf '%s\n' "${rows[@]}" | awk -F'|' '{printf "%-58s %-40s %5ss\n", $1, $2, $3}'
        [[ -f "$work/bench_table.txt" ]] && cat "$work/bench_table.txt"
    } > "$work/summary.txt"
    cat "$work"/test_*.log > "$work/tests.log" 2>/dev/null
    for f in summary.txt gpu_check.log tests.log sanitizer.log bench.log build.log configure.log; do
        [[ -f "$work/$f" ]] && cp "$work/$f" "$out/"
    done
    echo
    cat "$work/summary.txt"
}

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee "$work/gpu.txt"

# ---- 1. CUDA libraries ---------------------------------------------------------------------
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
cudnn_root=""
for dir in /usr/local/cuda /usr $pip_libs; do
    base=${dir%/lib*}
    if [[ -f "$base/include/cudnn.h" ]]; then cudnn_root=$base; break; fi
done
note "cuDNN headers: ${cudnn_root:-not found}; pip CUDA libraries: ${pip_libs:-none}"

# ---- 2. build or unpack ----------------------------------------------------------------------
t0=$SECONDS
if [[ -f .gpu-bundle/igcam-gpu.tar.xz ]]; then
    rm -rf /tmp/igcam-gpu && mkdir -p /tmp/igcam-gpu
    tar -C /tmp/igcam-gpu -xJf .gpu-bundle/igcam-gpu.tar.xz
    export LD_LIBRARY_PATH="/tmp/igcam-gpu/lib:${LD_LIBRARY_PATH:-}"
    tests=/tmp/igcam-gpu/bin
    bin=/tmp/igcam-gpu/bin
    rows+=("unpack the prebuilt bundle|done|$((SECONDS - t0))")
else
    generator=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    if cmake -S . -B build-gpu "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DIGCAM_CUDA=ON \
           -DCMAKE_CUDA_ARCHITECTURES=native ${cudnn_root:+-DCUDNN_ROOT=$cudnn_root} >"$work/configure.log" 2>&1 &&
       cmake --build build-gpu -j "$(nproc)" >"$work/build.log" 2>&1; then
        rows+=("build for the local GPU|passed|$((SECONDS - t0))")
    else
        rows+=("build for the local GPU|FAILED (see configure.log, build.log; without HDF5, OpenBLAS, libpng and libjpeg here, make .gpu-bundle with tools/gpu_bundle.sh elsewhere and carry it)|$((SECONDS - t0))")
        finish
        exit 1
    fi
    tests=build-gpu/tests
    bin=build-gpu/bin
fi

# ---- 3. GPU tests ----------------------------------------------------------------------------
for suite in test_cuda_check test_gpu_ops test_gpu_models; do
    timed "$suite" "$suite.log" "$tests/$suite"
done

# ---- 4. compute-sanitizer ----------------------------------------------------------------------
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)
if [[ -n "$sanitizer" ]]; then
    timed "compute-sanitizer memcheck, test_gpu_ops, cache off" sanitizer.log \
        env IGCAM_CUDA_CACHING=0 "$sanitizer" --tool memcheck --error-exitcode 9 --print-limit 20 "$tests/test_gpu_ops"
    note "$(grep -E "ERROR SUMMARY" "$work/sanitizer.log" | tail -1)"
else
    rows+=("compute-sanitizer|not found|0")
fi

# ---- 5. benchmark ------------------------------------------------------------------------------
timed "benchmark (ResNet-50, VGG16; strict and TF32)" bench.log tools/bench_gpu.sh "$bin/igcam-bench" "$work" "$repeats"

# ---- 6. the table --------------------------------------------------------------------------------
finish
grep -q FAILED <<<"${rows[*]}" && exit 1
exit 0
