#!/usr/bin/env bash
# The GPU benchmark of tools/gpu_check.sh: tools/bench.sh on the GPU for ResNet-50 and VGG16
# at 224 x 224, batch 1, strict float32 and then TF32 on both sides, with this machine's
# python3 (its PyTorch) and the given igcam-bench. Weights and raw results go under WORK;
# the two tables go to WORK/bench_table.txt.
#   tools/bench_gpu.sh IGCAM_BENCH WORK [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
igcam_bench=$1 work=$2 repeats=${3:-10}
python=$(command -v python3)
for mode in strict tf32; do
  flags=()
  [[ $mode == tf32 ]] && flags=(--tf32)
  tools/bench.sh --device cuda "${flags[@]}" --igcam-bench "$igcam_bench" --python "$python" \
    --repeats "$repeats" --rounds 1 --scorecam-repeats 3 --threads "$(nproc)" --dir "$work/bench" > "$work/bench_$mode.txt"
done
{
  echo "-- strict float32 (cuDNN FMA math, cuBLAS without TF32, on both sides) --"
  cat "$work/bench_strict.txt"
  echo "-- TF32 (tensor cores on both sides) --"
  cat "$work/bench_tf32.txt"
} > "$work/bench_table.txt"
