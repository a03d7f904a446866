# Steps under one deadline, for tools/gpu_check.sh (sourced, not run). A GPU machine is lent
# for minutes and a command past its limit is killed with nothing returned, so every step
# writes its log into the output folder as it runs, runs under `timeout` for at most the time
# left, and prints its row of the table (and the tail of its log when it fails) the moment it
# ends; the table grows in OUT/summary.txt row by row.
#
#   steps_begin OUT SECONDS            the deadline is SECONDS from now
#   step NAME LOG [--limit S] CMD...   runs CMD, output appended to OUT/LOG, for at most S
#                                      seconds and never past the deadline; a step the
#                                      deadline leaves under 5 s for is not run. Returns CMD's
#                                      status (124 when cut).
#   steps_row NAME RESULT SECONDS      adds a row by hand
#   steps_failed                       true when some step failed, was cut or was not run

steps_begin() {
    steps_out=$1
    steps_deadline=$((SECONDS + $2))
    steps_any_failed=0
    mkdir -p "$steps_out"
    : >"$steps_out/summary.txt"
}

steps_row() {
    printf '%-56s %-46s %5ss\n' "$1" "$2" "$3" | tee -a "$steps_out/summary.txt"
}

steps_failed() { [[ $steps_any_failed == 1 ]]; }

step() {
    local name=$1 log=$2
    shift 2
    local limit=$((steps_deadline - SECONDS))
    if [[ ${1:-} == --limit ]]; then
        (($2 < limit)) && limit=$2
        shift 2
    fi
    if ((limit < 5)); then
        steps_row "$name" "NOT RUN: the deadline was reached" 0
        steps_any_failed=1
        return 124
    fi
    local first_line=$(($(cat "$steps_out/$log" 2>/dev/null | wc -l) + 1))  # this step's part of LOG
    echo "==== $name: $* (at most ${limit} s, started $(date -u +%H:%M:%S))" >>"$steps_out/$log"
    local start=$SECONDS status=0
    timeout --kill-after=5 "$limit" "$@" >>"$steps_out/$log" 2>&1 || status=$?
    local took=$((SECONDS - start)) result
    case $status in
        0) result=passed ;;
        124 | 137) result="CUT at its ${limit} s limit (see $log)" ;;
        77) result="FAILED: skipped itself, no usable GPU (see $log)" ;;
        *) result="FAILED (exit $status, see $log)" ;;
    esac
    steps_row "$name" "$result" "$took"
    if ((status != 0)); then
        steps_any_failed=1
        echo "---- the last lines of $log:"
        tail -n "+$first_line" "$steps_out/$log" | tail -n 25 | sed 's/^/    /'
    fi
    return "$status"
}
