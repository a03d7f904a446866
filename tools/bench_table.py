#!/usr/bin/python3
"""Prints tools/bench.sh's table from a run directory of igcam-bench and bench_torch.py
results (<model>.<method>.r<round>.igcam.json and .torch.json) and its machine.txt.

Usage: tools/bench_table.py [--markdown] RUN_DIR

Each side is credited with its best round (the lowest median of its runs in one process);
IG-CAM and Score-CAM run in passes of 50 and of 10 on both sides, and each side's faster
batch size is the one shown.
Columns: medians in ms (for all of batched-gradcam's images, whose row also gives each
side's images per second), ratio = igcam / PyTorch, the arithmetic floor = the convolution and
linear FLOPs of the forward passes the method needs divided by the peak rate (the faster of
the GEMM and convolution rates igcam-bench measured through its op API), igcam's time over
that floor, and each side's peak memory growth during the method (MiB): resident memory on
the CPU, the allocator's GPU memory for tensors with --device cuda.
"""
import argparse
import glob
import json
import os

METHODS = ["forward", "gradcam", "gradcam++", "igcam", "scorecam", "batched-gradcam"]
LABELS = {"forward": "forward", "gradcam": "Grad-CAM", "gradcam++": "Grad-CAM++", "igcam": "IG-CAM, 50 steps",
          "scorecam": "Score-CAM", "batched-gradcam": "Grad-CAM, {images} images"}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--markdown", action="store_true", help="a Markdown table")
    p.add_argument("run_dir")
    args = p.parse_args()

    best, rounds, peaks, header = {}, {}, {}, {}
    for path in sorted(glob.glob(os.path.join(args.run_dir, "*.igcam.json"))):
        ours = json.load(open(path))
        theirs = json.load(open(path.replace(".igcam.json", ".torch.json")))
        header = {"igcam": ours["backend"], "blas": ours.get("blas", "?"), "pytorch": f"{theirs['tool']}, {theirs['threads']} threads, "
                  f"{theirs['allocator']}", "device": ours.get("device", "CPU"), "tf32": ours.get("tf32", False)}
        if "conv_gflops" in ours and (ours["model"] not in peaks or ours["conv_gflops"] > peaks[ours["model"]]["conv_gflops"]):
            peaks[ours["model"]] = ours
        for name, mine in ours["methods"].items():
            key = (ours["model"], name)
            rounds[key] = rounds.get(key, 0) + 1
            for side, result in (("igcam", mine), ("torch", theirs["methods"][name])):
                if (key, side) not in best or result["median_ms"] < best[(key, side)]["median_ms"]:
                    best[(key, side)] = result
    rows = [(model, name, best[((model, name), "igcam")], best[((model, name), "torch")]) for model, name in rounds]

    # The floor's peak: the fastest rate measured through igcam's op API on this machine.
    peak = max((max(p["gemm_gflops"], p["conv_gflops"]) for p in peaks.values()), default=None)
    rows.sort(key=lambda r: (r[0], METHODS.index(r[1]) if r[1] in METHODS else 99))
    machine = open(os.path.join(args.run_dir, "machine.txt")).read().strip().splitlines()

    table = [["model", "method", "igcam ms", "PyTorch ms", "ratio", "floor ms", "igcam / floor", "igcam MiB",
              "PyTorch MiB", "runs", "batch: igcam / PyTorch"]]

    def memory(result):
        return result.get("peak_device_growth_mib", result["peak_rss_growth_mib"])

    for model, name, mine, other in rows:
        floor = mine["gflop"] / peak * 1e3 if peak else float("nan")
        variant = ""
        if "variant" in mine and "variant" in other:
            # The faster batch of each side, then the other batches' medians.
            variant = f"{mine['variant'].split()[-1]} / {other['variant'].split()[-1]}"
            for side, result in (("igcam", mine), ("PyTorch", other)):
                for o in result.get("others", []):
                    variant += f" ({side} {o['variant'].split()[-1]}: {o['median_ms']:.0f} ms)"
        if "images_per_s" in mine:
            variant = f"{mine['images_per_s']:.1f} / {other['images_per_s']:.1f} images/s; " + variant
        table.append([model, LABELS.get(name, name).format(images=mine.get("images", "")), f"{mine['median_ms']:.1f}", f"{other['median_ms']:.1f}",
                      f"{mine['median_ms'] / other['median_ms']:.2f}", f"{floor:.1f}",
                      f"{mine['median_ms'] / floor:.2f}", f"{memory(mine):.0f}",
                      f"{memory(other):.0f}", f"{rounds[(model, name)]} x {mine['repeats']}", variant])

    for line in machine:
        print(line)
    print(f"igcam: {header.get('igcam', '?')}; {header.get('blas', '?')}")
    print(f"PyTorch: {header.get('pytorch', '?')}")
    print(f"device: {header.get('device', 'CPU')}{', TF32' if header.get('tf32') else ''}")
    for model, p in sorted(peaks.items()):
        print(f"peak rates ({model} run): sgemm {p['gemm_gflops']:.0f} GFLOP/s, "
              f"3x3 conv 256->256 at 56x56 {p['conv_gflops']:.0f} GFLOP/s (shapes: tools/bench_measure.h)")
    if peak:
        print(f"floor: FLOPs of the forward passes each method needs / {peak:.0f} GFLOP/s (the faster rate)")
    print("runs: rounds x runs per round; each side's best round is shown")
    if args.markdown:
        print("| " + " | ".join(table[0]) + " |")
        print("|" + "---|" * len(table[0]))
        for row in table[1:]:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        for row in table:
            print("  ".join(cell.ljust(w) if i < 2 or i == len(row) - 1 else cell.rjust(w)
                            for i, (cell, w) in enumerate(zip(row, widths))).rstrip())


if __name__ == "__main__":
    main()
