#!/usr/bin/env bash
# The GPU benchmark of tools/gpu_check.sh: tools/bench.sh on the GPU at 224 x 224, batch 1,
# in strict float32 and then TF32 on both sides, with this machine's python3 (its PyTorch)
# and the given igcam-bench. IG-CAM and Score-CAM are timed in passes of 50 rows only (on a
# GPU the larger pass is the faster; timing passes of 10 too would double their cost). Each
# mode's table is appended to TABLE as soon as it is done, so a run cut short keeps the
# finished ones; weights and raw results go under WORK.
#   tools/bench_gpu.sh IGCAM_BENCH WORK TABLE [--repeats 10] [--models resnet50,vgg16]
#                      [--methods forward,gradcam,gradcam++,igcam,batched-gradcam] [--modes strict,tf32]
set -euo pipefail
cd "$(dirname "$0")/.."
igcam_bench=$1 work=$2 table=$3
shift 3
repeats=10 models=resnet50,vgg16 methods=forward,gradcam,gradcam++,igcam,batched-gradcam modes=strict,tf32
while [[ $# -gt 0 ]]; do
  case "$1" in
    --repeats) repeats=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --methods) methods=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    *) echo "usage: tools/bench_gpu.sh IGCAM_BENCH WORK TABLE [--repeats N] [--models LIST] [--methods LIST]" \
            "[--modes strict,tf32]" >&2
       exit 2 ;;
  esac
done
python=$(command -v python3)
for mode in ${modes//,/ }; do
  flags=()
  case $mode in
    strict) title="strict float32 (cuDNN FMA math, cuBLAS without TF32, on both sides)" ;;
    tf32) title="TF32 (tensor cores on both sides)"; flags=(--tf32) ;;
    *) echo "bench_gpu.sh: unknown mode '$mode' (strict, tf32)" >&2; exit 2 ;;
  esac
  tools/bench.sh --device cuda "${flags[@]}" --igcam-bench "$igcam_bench" --python "$python" \
    --models "$models" --methods "$methods" --repeats "$repeats" --rounds 1 --scorecam-repeats 3 \
    --batch 50 --only-batch --threads "$(nproc)" --dir "$work/bench" > "$work/bench_$mode.txt"
  { echo "-- $title --"; cat "$work/bench_$mode.txt"; } >> "$table"
done
