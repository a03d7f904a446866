#!/usr/bin/env bash
# Benchmark: igcam-eval against the Python stack (tools/bench_eval_torch.py: pytorch-grad-cam's
# maps, numpy localisation, torchcam's Drop / Increase rule) on the same weights, images, boxes
# and classes; prints each side's time, images per second, the ratio, and both sides' means.
#
#   tools/bench_eval.sh [--images 32] [--methods gradcam,gradcam++] [--batch 16]
#                       [--threads 2] [--rounds 2] [--dir build/bench] [--igcam-eval PATH]
#
# The work: ResNet-50 with random weights (seed 0, torchvision's preprocessing: resize 256,
# centre crop 224), written by tools/export_torchvision.py into --dir the first time;
# --images synthetic VOC-sized JPEG scenes with one to three boxes labelled with the model's
# top classes (bench_eval_torch.py --make-data, seed 0) in igcam-eval's CSV; every (image,
# annotated class) explained by each method, scored by EBPG, Bbox (ties in raster order),
# Average Drop and Increase in Confidence (on the logits, masks on the model input:
# igcam-eval --target gt --mask-space normalised --score logit --ties raster; a random
# network's softmax is saturated). igcam's time is the whole igcam-eval process (weights,
# decoding, the 1000-resample bootstrap and the output files included); the Python side's
# starts once its imports are done. Python runs twice, as pytorch-grad-cam's documentation
# has it (parameters that require grad) and with --frozen parameters, and is credited with
# the faster. The sides take turns, --rounds times, and each is credited with its best round,
# because a shared machine's speed drifts over minutes. The means of both sides are printed
# as a check that they did the same work: Bbox and Drop agree; EBPG differs because
# pytorch-grad-cam subtracts each map's minimum. Needs a build (tools/build.sh), the packages
# of tools/install_deps.sh and the reference environment (tools/install_metrics_env.sh, run
# here when it is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

images=32 methods=gradcam,gradcam++ batch=16 threads=2 rounds=2 dir=build/bench igcam_eval=build/bin/igcam-eval
while [[ $# -gt 0 ]]; do
  case "$1" in
    --images) images=$2; shift 2 ;;
    --methods) methods=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --igcam-eval) igcam_eval=$2; shift 2 ;;
    *) echo "usage: tools/bench_eval.sh [--images N] [--methods LIST] [--batch N] [--threads N] [--rounds N]" \
            "[--dir DIR] [--igcam-eval PATH]" >&2
       exit 2 ;;
  esac
done
[[ -x $igcam_eval ]] || { echo "error: $igcam_eval not found; build first (tools/build.sh)" >&2; exit 2; }
python=$(tools/install_metrics_env.sh | tail -n 1)

mkdir -p "$dir"
weights=$dir/resnet50.h5
[[ -e $weights ]] || /usr/bin/python3 tools/export_torchvision.py --arch resnet50 --seed 0 --out "$weights" >&2
data=$dir/eval-scenes-$images
[[ -e $data/boxes.csv ]] || "$python" tools/bench_eval_torch.py --make-data "$data" --weights "$weights" --images "$images" --seed 0

export OMP_NUM_THREADS=$threads
best_igcam="" best_python="" python_json=""
for round in $(seq "$rounds"); do
  rm -rf "$dir/eval-out"
  start=$(date +%s.%N)
  "$igcam_eval" --weights "$weights" --data "$data/boxes.csv" --method "$methods" \
    --metrics ebpg,bbox,drop,increase --target gt --mask-space normalised --score logit --ties raster \
    --batch "$batch" --out "$dir/eval-out" --quiet >/dev/null
  seconds=$(echo "$(date +%s.%N) - $start" | bc -l)
  echo "round $round: igcam-eval $(printf %.2f "$seconds") s" >&2
  if [[ -z $best_igcam ]] || (( $(echo "$seconds < $best_igcam" | bc -l) )); then best_igcam=$seconds; fi
  for frozen in "" --frozen; do
    json=$("$python" tools/bench_eval_torch.py --weights "$weights" --data "$data/boxes.csv" --methods "$methods" \
             --batch "$batch" --threads "$threads" $frozen)
    seconds=$("$python" -c 'import json, sys; print(json.loads(sys.argv[1])["seconds"])' "$json")
    echo "round $round: python${frozen:+ $frozen} $(printf %.2f "$seconds") s" >&2
    if [[ -z $best_python ]] || (( $(echo "$seconds < $best_python" | bc -l) )); then
      best_python=$seconds python_json=$json
    fi
  done
done

"$python" - "$best_igcam" "$best_python" "$python_json" "$dir/eval-out/summary.json" "$images" "$methods" <<'EOF'
import json, sys
igcam_s, python_s = float(sys.argv[1]), float(sys.argv[2])
python = json.loads(sys.argv[3])
summary = json.load(open(sys.argv[4]))
images, methods = int(sys.argv[5]), sys.argv[6].split(",")
print(f"{images} images, {python['pairs']} (image, class) pairs, methods {', '.join(methods)}; "
      f"EBPG, Bbox, Average Drop, Increase in Confidence")
print("| side | seconds | images/s |")
print("|---|---|---|")
print(f"| igcam-eval | {igcam_s:.2f} | {images / igcam_s:.2f} |")
frozen = " (frozen parameters)" if python["frozen"] else ""
print(f"| pytorch-grad-cam + numpy{frozen} | {python_s:.2f} | {images / python_s:.2f} |")
print(f"igcam-eval is {python_s / igcam_s:.2f}x the Python stack's images/s")
print()


def ours(method, metric):
    for entry in summary["methods"]:
        if entry["method"] == method:
            value = entry["metrics"].get(metric)
            return value["value"] if isinstance(value, dict) else value
    return None


print("| method | metric | igcam-eval | Python stack |")
print("|---|---|---|---|")
for method in methods:
    for metric in ("ebpg", "bbox", "drop", "increase"):
        a, b = ours(method, metric), python["means"][method][metric]
        fmt = lambda v: "-" if v is None else f"{v:.2f}"
        print(f"| {method} | {metric} | {fmt(a)} | {fmt(b)} |")
EOF
