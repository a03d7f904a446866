#!/usr/bin/env bash
# igcam-eval on the demo dataset as one process and as MPI jobs, on this machine: how the
# evaluation's time divides among ranks.
#   tools/bench_scale.sh [--count 100] [--methods all] [--metrics all] [--ranks 2] [--dir build/bench]
#
# Runs the README's demo evaluation (tools/demo_scenes.py --count N --seed 11, the bundled
# demo model, float32) three ways and prints one table:
#   1 process, RANKS threads            (what a user runs without MPI)
#   mpirun -np 1, 1 thread              (one rank)
#   mpirun -np RANKS, 1 thread each     (one rank per core)
# with seconds, images per second and the time against the one process. Each run's
# summary.md must equal the one process's (float32 maps of images batched differently may
# differ in their last bits; the table's digits must not).
set -euo pipefail
cd "$(dirname "$0")/.."

count=100 methods=all metrics=all ranks=2 dir=build/bench
while [[ $# -gt 0 ]]; do
  case "$1" in
    --count) count="$2"; shift 2 ;;
    --methods) methods="$2"; shift 2 ;;
    --metrics) metrics="$2"; shift 2 ;;
    --ranks) ranks="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
eval_tool=build/bin/igcam-eval
[[ -x "$eval_tool" ]] || { echo "error: $eval_tool not built (tools/build.sh)" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "error: no mpirun (tools/install_deps.sh installs openmpi-bin)" >&2; exit 2; }
if "$eval_tool" --help | grep -q "this build has none"; then
  echo "error: $eval_tool was built without MPI (IGCAM_MPI)" >&2; exit 2
fi
if [[ $(id -u) -eq 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

work="$dir/scale"
rm -rf "$work"
mkdir -p "$work"
/usr/bin/python3 tools/demo_scenes.py --count "$count" --seed 11 --out "$work/voc" >/dev/null
args=(--weights demo/model/shapes_resnet.h5 --data "$work/voc" --method "$methods" --metrics "$metrics" --quiet)

seconds() {  # seconds LABEL COMMAND...: runs it, prints its wall time
  local label="$1"; shift
  local start end
  start=$(date +%s.%N)
  "$@" --out "$work/$label" >"$work/$label.log" 2>&1 || { echo "error: $label failed:" >&2; tail -5 "$work/$label.log" >&2; exit 4; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}

mpi=(mpirun --oversubscribe --mca btl self,vader)
one=$(IGCAM_NUM_THREADS="$ranks" seconds one "$eval_tool" "${args[@]}")
np1=$(seconds np1 "${mpi[@]}" -np 1 "$eval_tool" "${args[@]}")
npn=$(seconds npN "${mpi[@]}" -np "$ranks" "$eval_tool" "${args[@]}")

echo "igcam-eval, $count demo scenes, methods $methods, metrics $metrics, float32, $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p'))"
printf '| run | threads per rank | s | images/s | time / one process | summary.md as one process |\n|---|---:|---:|---:|---:|---|\n'
row() {  # row LABEL THREADS SECONDS FOLDER
  local same=yes
  cmp -s "$work/one/summary.md" "$work/$4/summary.md" || same=no
  awk -v l="$1" -v t="$2" -v s="$3" -v n="$count" -v o="$one" -v same="$same" \
    'BEGIN { printf "| %s | %s | %.1f | %.2f | %.2f | %s |\n", l, t, s, n / s, s / o, same }'
}
row "1 process" "$ranks" "$one" one
row "mpirun -np 1" 1 "$np1" np1
row "mpirun -np $ranks" 1 "$npn" npN
