# igcam-run end to end: the demos print the numbers the article predicts (hand-computed
# below), and bad flags exit with code 2 and one "error:" line.
# Run as: cmake -DIGCAM_RUN=path/to/igcam-run -P check_demos.cmake

include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

# f(x) = 1 - ReLU(1 - x) with 50 right-Riemann steps from 0:
#  x = 0.5: gradient 1, integrated 0.5 * 50/50 = 0.5, f(x) - f(0) = 0.5
#  x = 1.5: gradient 0, integrated 1.5 * 33/50 = 0.99 (steps j/50 * 1.5 < 1 for j <= 33)
#  x = 3.0: gradient 0, integrated 3 * 16/50 = 0.96 (j/50 * 3 < 1 for j <= 16)
run_tool(0 out --demo sensitivity)
expect("${out}" "0\\.500 +0\\.5000 +0\\.5000 +1\\.0000 +0\\.5000")
expect("${out}" "1\\.500 +1\\.0000 +1\\.0000 +0\\.0000 +0\\.9900")
expect("${out}" "3\\.000 +1\\.0000 +1\\.0000 +0\\.0000 +0\\.9600")
# 400 steps: x = 1.5 -> 1.5 * 266/400 = 0.9975
run_tool(0 out --demo sensitivity --steps 400 --dtype f32)
expect("${out}" "1\\.500 +1\\.0000 +1\\.0000 +0\\.0000 +0\\.9975")

# The trace demo stops at the tap: the last row is the tapped conv output, a leaf.
run_tool(0 out --demo trace)
expect("${out}" "select_column +score\\[class 0\\] +\\(1\\)")
expect("${out}" "6  leaf +conv \\(tap\\) +\\(1, 4, 8, 8\\)")
string(REGEX MATCH "leaf +input" below_tap "${out}")
if(below_tap)
  message(FATAL_ERROR "the trace went below the tap:\n${out}")
endif()

# Usage errors: exit code 2 and one error line.
run_tool(2 out)
expect_single_error("${out}" "${out_err}" "nothing to do")
run_tool(2 out --demo nonsense)
expect_single_error("${out}" "${out_err}" "")
run_tool(2 out --demo sensitivity --steps 0)
expect_single_error("${out}" "${out_err}" "")
run_tool(2 out --no-such-flag)
expect_single_error("${out}" "${out_err}" "")
# Devices: an unknown name, or a device this build or machine lacks, is a usage error.
run_tool(2 out --demo sensitivity --device gpu)
expect_single_error("${out}" "${out_err}" "unknown device 'gpu' \\(expected cpu, cuda or cuda:N\\)")
run_tool(2 out --demo sensitivity --device cuda:99)
expect_single_error("${out}" "${out_err}" "--device cuda:99: ")
# --bf16 on a CPU without AVX512-BF16, simulated by capping oneDNN's instruction set below
# it: a usage error naming what oneDNN runs.
set(ENV{ONEDNN_MAX_CPU_ISA} AVX512_CORE)
run_tool(2 out --bf16 --backend)
expect_single_error("${out}" "${out_err}" "--bf16: bfloat16 convolutions need ")
unset(ENV{ONEDNN_MAX_CPU_ISA})
message(STATUS "igcam-run demos and exit codes: OK")
