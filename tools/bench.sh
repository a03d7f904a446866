#!/usr/bin/env bash
# CPU benchmark: igcam-bench and tools/bench_torch.py on the same weights and input size,
# one table of method x {igcam, PyTorch, ratio} and the arithmetic floor of igcam's forward.
#   tools/bench.sh WEIGHTS.h5 [--repeats N] [--methods forward,gradcam,gradcam++,igcam]
# Needs a build (tools/build.sh) and Debian's python3 with python3-torch.
set -euo pipefail
cd "$(dirname "$0")/.."
weights=${1:?usage: tools/bench.sh WEIGHTS.h5 [igcam-bench options]}
shift
ours=$(build/bin/igcam-bench --weights "$weights" "$@")
theirs=$(/usr/bin/python3 tools/bench_torch.py --weights "$weights" "$@")
/usr/bin/python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"model {ours['model']}, layer {ours['layer']}, input {ours['size']}x{ours['size']}, batch 1")
print(f"igcam: {ours['backend']}; PyTorch {theirs['tool']}, {theirs['threads']} threads")
print(f"{'method':<12}{'igcam ms':>12}{'PyTorch ms':>12}{'ratio':>8}")
for name, mine in ours["methods"].items():
    other = theirs["methods"].get(name)
    ratio = mine["median_ms"] / other["median_ms"] if other else float("nan")
    note = f"  ({other['variant']})" if other and "variant" in other else ""
    print(f"{name:<12}{mine['median_ms']:>12.1f}{other['median_ms'] if other else float('nan'):>12.1f}{ratio:>8.2f}{note}")
floor = ours["forward_floor_ms"]
print(f"forward: {ours['forward_gflop']:.2f} GFLOP at the measured {ours['gemm_gflops']:.0f} GFLOP/s GEMM rate = "
      f"{floor:.1f} ms floor; igcam's forward is {ours['methods']['forward']['median_ms'] / floor:.2f}x the floor")
PY
