#!/usr/bin/env bash
# The GPU scripts' logic that can be checked without a GPU:
#   - tools/gpu_steps.sh: a step that overruns the deadline is cut and reported, later steps
#     are reported not run, each row is in OUT/summary.txt the moment its step ends, and the
#     logs written so far are in OUT; a failing step prints the tail of its log;
#   - tools/gpu_bundle.sh --filter-libraries: libcurl and the other Debian libraries are
#     brought, the C and C++ runtimes and CUDA's libraries are not;
#   - tools/gpu_check.sh without the bundle stops at once with one error naming the bundle
#     and how to bring it, exit 1, its table in OUT.
#   gpu_scripts.sh SOURCE_DIR
set -uo pipefail
root=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() {  # check DESCRIPTION COMMAND...
    if "${@:2}"; then echo "ok: $1"; else echo "FAILED: $1"; failures=$((failures + 1)); fi
}

# ---- the deadline --------------------------------------------------------------------------
(
    source "$root/tools/gpu_steps.sh"
    steps_begin "$work/out" 8
    step "quick step" steps.log echo "quick output"
    step "failing step" steps.log bash -c 'echo "what went wrong"; exit 3'
    step "slow step" steps.log bash -c 'echo "slow output, before the cut"; sleep 60'
    step "after the deadline" steps.log echo "never"
    steps_failed && exit 1
    exit 0
) >"$work/stdout" 2>&1
status=$?
start_summary=$(cat "$work/out/summary.txt")
echo "$start_summary"
check "some step failed: exit 1" test "$status" = 1
check "the quick step passed" grep -Eq '^quick step +passed +[0-9]+s$' "$work/out/summary.txt"
check "the failing step's status" grep -Eq '^failing step +FAILED \(exit 3, see steps.log\)' "$work/out/summary.txt"
check "the failing step's tail printed" grep -q '    what went wrong' "$work/stdout"
check "the failing step's tail is its own part of the shared log" bash -c "! grep -q '    quick output' '$work/stdout'"
check "the slow step was cut at the deadline" grep -Eq '^slow step +CUT at its [0-9]+ s limit' "$work/out/summary.txt"
slow_seconds=$(grep '^slow step' "$work/out/summary.txt" | grep -Eo '[0-9]+s$' | tr -d s)
check "the slow step ran under 15 s, not 60" test "${slow_seconds:-99}" -lt 15
check "the step after the deadline was not run" grep -Eq '^after the deadline +NOT RUN: the deadline was reached' "$work/out/summary.txt"
check "the slow step's output is in OUT" grep -q 'slow output, before the cut' "$work/out/steps.log"
check "the quick step's output is in OUT" grep -q 'quick output' "$work/out/steps.log"
check "never ran" bash -c "! grep -q '^never' '$work/out/steps.log'"
check "rows in order, one per step" test "$(wc -l <"$work/out/summary.txt")" = 4

# ---- the bundle's libraries ---------------------------------------------------------------------
kept=$(printf '%s\n' /lib/x86_64-linux-gnu/libcurl.so.4 /lib/x86_64-linux-gnu/libcurl-gnutls.so.4 \
    /lib/x86_64-linux-gnu/libhdf5_serial.so.103 /lib/x86_64-linux-gnu/libdnnl.so.2 /lib/x86_64-linux-gnu/libz.so.1 \
    /lib/x86_64-linux-gnu/libgomp.so.1 /lib/x86_64-linux-gnu/libcom_err.so.2 \
    /usr/local/cuda/lib64/libcudart.so.13 /usr/lib/x86_64-linux-gnu/libcublas.so.13 \
    /usr/lib/x86_64-linux-gnu/libcublasLt.so.13.0.0 /usr/lib/x86_64-linux-gnu/libcudnn.so.9 \
    /usr/lib/x86_64-linux-gnu/libcudnn_graph.so.9.13.0 /usr/lib/libnvrtc.so.13 /usr/lib/libnvJitLink.so.13 \
    /usr/lib/x86_64-linux-gnu/libcuda.so.1 /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libm.so.6 \
    /lib/x86_64-linux-gnu/libstdc++.so.6 /lib/x86_64-linux-gnu/libgcc_s.so.1 /lib64/ld-linux-x86-64.so.2 |
    "$root/tools/gpu_bundle.sh" --filter-libraries | xargs -n1 basename | tr '\n' ' ')
check "bundle brings exactly libcurl, HDF5, oneDNN, zlib, libgomp, com_err (got: $kept)" \
    test "$kept" = "libcurl.so.4 libcurl-gnutls.so.4 libhdf5_serial.so.103 libdnnl.so.2 libz.so.1 libgomp.so.1 libcom_err.so.2 "

# ---- gpu_check.sh without the bundle ---------------------------------------------------------------
start=$SECONDS
OUT="$work/check" IGCAM_GPU_BUNDLE="$work/no-such-bundle.tar.xz" PATH="$work/nobin:$PATH" \
    "$root/tools/gpu_check.sh" --deadline 60 >"$work/check.stdout" 2>&1
status=$?
check "gpu_check without the bundle: exit 1" test "$status" = 1
check "gpu_check without the bundle: stops at once" test $((SECONDS - start)) -lt 30
check "gpu_check without the bundle: one error naming the bundle and how to bring it" \
    grep -q "^error: $work/no-such-bundle.tar.xz is missing. .gpu-bundle/ is ignored by git and travels only when .*copy .gpu-bundle/ to the GPU machine" \
    "$work/check.stdout"
check "gpu_check without the bundle: its table in OUT" grep -q "^the prebuilt bundle *MISSING" "$work/check/summary.txt"
check "gpu_check without the bundle: ran no suite" bash -c "! grep -q test_gpu_ops '$work/check/summary.txt'"
check "gpu_check: usage error is exit 2" bash -c "'$root/tools/gpu_check.sh' --no-such-flag >/dev/null 2>&1; test \$? = 2"

if ((failures > 0)); then
    echo "$failures check(s) failed"
    cat "$work/stdout"
    exit 1
fi
echo "all checks passed"
