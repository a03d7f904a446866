#!/usr/bin/env bash
# Benchmark: igcam (build/bin/igcam-bench) against PyTorch (tools/bench_torch.py) on the
# same weights, input image and target class; prints one table (tools/bench_table.py) of
# model x method with both times, their ratio, igcam's time against its arithmetic floor and
# the peak memory growth of both.
#
#   tools/bench.sh [--models resnet50,vgg16]
#                  [--methods forward,gradcam,gradcam++,igcam,scorecam,batched-gradcam]
#                  [--repeats 10] [--warmup 2] [--rounds 3] [--scorecam-repeats 3]
#                  [--scorecam-rounds 1] [--batched-repeats 3] [--images 64]
#                  [--batches 1,8,16,32,64] [--threads 2]
#                  [--batch 50] [--only-batch] [--dir build/bench] [--markdown]
#                  [--device cpu|cuda] [--tf32] [--conv direct|winograd] [--igcam-bench PATH] [--python PATH]
#
# --conv chooses igcam's float32 CPU convolutions (direct, the default; winograd: 3x3
# stride-1 ones as Winograd where oneDNN has it); PyTorch's side has no Winograd and stays as it is.
# --device cuda times both sides on the GPU (synchronised, peak GPU memory of each side's
# allocator); --tf32 lets both use TF32 tensor cores. --igcam-bench and --python point at
# another build or interpreter (a GPU machine's PyTorch, for instance).
#
# The weights are torchvision's architectures with random weights (seed 0), written by
# tools/export_torchvision.py into --dir the first time; the input is one 224 x 224 image,
# uniform in [-2, 2] (seed 0), saved as .npy and read by both sides; the class is 0.
# Each (model, method) runs in a fresh process on each side, so its peak memory is its own.
# The two sides take turns, --rounds times, and each is credited with its best round (the
# lowest median): a shared machine's speed drifts by 10-20 % over minutes, and taking
# turns lets a slow spell cost either side alike.
# Score-CAM runs thousands of forward passes per call (2,049 for ResNet-50), so it has its
# own, smaller repeat count and no warm-up run. IG-CAM and Score-CAM run in passes of --batch
# rows and of 10 on both sides, each side's faster shown; --only-batch times --batch only. batched-gradcam explains --images images
# with Grad-CAM in each of --batches images per pass on both sides (each side's fastest is
# shown, with images per second), --batched-repeats times after one warm-up run. PyTorch runs with Debian's tcmalloc
# preloaded, as PyTorch advises for the CPU. Needs a build (tools/build.sh) and the
# packages of tools/install_deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

models=resnet50,vgg16
methods=forward,gradcam,gradcam++,igcam,scorecam,batched-gradcam
repeats=10 warmup=2 rounds=3 scorecam_repeats=3 scorecam_rounds=1 batched_repeats=3 images=64 batches=1,8,16,32,64
threads=2 dir=build/bench markdown=() batch=50 only_batch=()
device=cpu tf32=() conv=direct igcam_bench=build/bin/igcam-bench python=/usr/bin/python3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --models) models=$2; shift 2 ;;
    --methods) methods=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --scorecam-repeats) scorecam_repeats=$2; shift 2 ;;
    --scorecam-rounds) scorecam_rounds=$2; shift 2 ;;
    --batched-repeats) batched_repeats=$2; shift 2 ;;
    --images) images=$2; shift 2 ;;
    --batches) batches=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --only-batch) only_batch=(--only-batch); shift ;;
    --dir) dir=$2; shift 2 ;;
    --markdown) markdown=(--markdown); shift ;;
    --device) device=$2; shift 2 ;;
    --tf32) tf32=(--tf32); shift ;;
    --conv) conv=$2; shift 2 ;;
    --igcam-bench) igcam_bench=$2; shift 2 ;;
    --python) python=$2; shift 2 ;;
    *) echo "usage: tools/bench.sh [--models LIST] [--methods LIST] [--repeats N] [--warmup N] [--rounds N]" \
            "[--scorecam-repeats N] [--scorecam-rounds N] [--batched-repeats N] [--images N] [--batches LIST]" \
            "[--threads N] [--batch N] [--only-batch] [--dir DIR] [--markdown] [--device D] [--tf32] [--conv C]" \
            "[--igcam-bench PATH] [--python PATH]" >&2; exit 2 ;;
  esac
done

[[ $conv == direct || $conv == winograd ]] || { echo "bench.sh: --conv must be direct or winograd, got '$conv'" >&2; exit 2; }

tcmalloc=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
preload=()
[[ -x $igcam_bench ]] || { echo "bench.sh: $igcam_bench is missing: run tools/build.sh" >&2; exit 1; }
if [[ $device == cpu ]]; then
  # On the CPU PyTorch's batched passes are several times slower with glibc's malloc.
  [[ -e $tcmalloc ]] || { echo "bench.sh: $tcmalloc is missing: run tools/install_deps.sh" >&2; exit 1; }
  preload=("LD_PRELOAD=$tcmalloc")
fi

mkdir -p "$dir"
run_dir="$dir/run-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$run_dir"
input="$dir/input_224.npy"
[[ -e $input ]] || "$python" -c "import numpy as np, sys; np.save(sys.argv[1], \
np.random.default_rng(0).uniform(-2, 2, (1, 3, 224, 224)).astype(np.float32))" "$input"

{
  echo "date: $(date -u +%Y-%m-%d)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
  echo "os: Debian $(cat /etc/debian_version 2>/dev/null || echo '?'), $(uname -r)"
  echo "threads: $threads per side; rounds: $rounds (Score-CAM: $scorecam_rounds), each side's best round"
  echo "igcam convolutions: --conv $conv"
  if [[ $device != cpu ]]; then
    echo "gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)," \
         "math: ${tf32[*]:-strict float32}"
  fi
} > "$run_dir/machine.txt"

for model in ${models//,/ }; do
  weights="$dir/$model.h5"
  [[ -e $weights ]] || "$python" tools/export_torchvision.py --arch "$model" --seed 0 --out "$weights" >&2
  for method in ${methods//,/ }; do
    r=$repeats w=$warmup n=$rounds peak=()
    if [[ $method == scorecam ]]; then r=$scorecam_repeats w=0 n=$scorecam_rounds; fi
    if [[ $method == batched-gradcam ]]; then r=$batched_repeats w=1; fi
    if [[ $method == forward ]]; then peak=(--peak); fi
    common=(--weights "$weights" --input "$input" --class 0 --methods "$method" --repeats "$r" --warmup "$w"
            --images "$images" --batches "$batches" --batch "$batch" "${only_batch[@]}" --device "$device" "${tf32[@]}")
    for round in $(seq "$n"); do
      out="$run_dir/$model.$method.r$round"
      IGCAM_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
        "$igcam_bench" "${common[@]}" "${peak[@]}" --conv "$conv" > "$out.igcam.json"
      env OMP_NUM_THREADS="$threads" "${preload[@]}" \
        "$python" tools/bench_torch.py "${common[@]}" --threads "$threads" > "$out.torch.json"
    done
  done
done

"$python" tools/bench_table.py "${markdown[@]}" "$run_dir"
echo "raw results: $run_dir"
