# igcam-run with weights, end to end, on the fixtures of tests/reference/bad_weights.py:
# top-k against PyTorch, --list-layers, --info, and exit code 3 with one "error:" line for
# every malformed weight file and bad image.
# Run as: cmake -DIGCAM_RUN=... -DFIXTURES=... -P check_run.cmake

function(run_tool expected_code out_var)
  execute_process(COMMAND ${IGCAM_RUN} ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL expected_code)
    message(FATAL_ERROR "igcam-run ${ARGN}: exit code ${code}, expected ${expected_code}\n${out}\n${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
  set(${out_var}_err "${err}" PARENT_SCOPE)
endfunction()

function(expect text pattern)
  string(REGEX MATCH "${pattern}" found "${text}")
  if(NOT found)
    message(FATAL_ERROR "expected output matching '${pattern}' in:\n${text}")
  endif()
endfunction()

# One "error:" line and nothing on stdout.
function(expect_single_error out err pattern)
  if(NOT "${out}" STREQUAL "")
    message(FATAL_ERROR "a failing run printed to stdout:\n${out}")
  endif()
  string(REGEX MATCHALL "\n" newlines "${err}")
  list(LENGTH newlines lines)
  if(NOT lines EQUAL 1)
    message(FATAL_ERROR "expected exactly one error line, got:\n${err}")
  endif()
  expect("${err}" "^error: ${pattern}")
endfunction()

file(READ ${FIXTURES}/cases.json manifest)
set(good ${FIXTURES}/good.h5)
set(image ${FIXTURES}/sample.png)

# Top-3 classes as PyTorch ranked them through torchvision's preprocessing (the logits
# themselves are compared in tests/models/test_bad_weights.cpp).
run_tool(0 out --weights ${good} --image ${image} --topk 3)
foreach(rank 0 1 2)
  string(JSON cls GET "${manifest}" sample top_classes ${rank})
  math(EXPR printed_rank "${rank} + 1")
  string(REGEX MATCH "\n +${printed_rank} +${cls} +class_${cls} +-?[0-9.]+ +[0-9.]+\n" row "${out}")
  if(NOT row)
    message(FATAL_ERROR "rank ${printed_rank} should be class ${cls} (PyTorch), got:\n${out}")
  endif()
endforeach()
expect("${out}" "rank +class +name +logit +probability")

run_tool(0 out --weights ${good} --list-layers)
expect("${out}" "architecture resnet, variant torchvision-v1.5, 10 classes")
expect("${out}" "layer2\\.0\\.downsample\\.0 +Conv2d +\\(1, 16, 28, 28\\)")
expect("${out}" "fc +Linear +\\(1, 10\\) +170")

run_tool(0 out --weights ${good} --info --dtype f64)
expect("${out}" "10 classes, 6370 parameters, f64")
expect("${out}" "loaded in [0-9.]+ s")

# Every malformed weight file: exit code 3, one error line naming the file.
string(JSON count LENGTH "${manifest}" cases)
math(EXPR last "${count} - 1")
foreach(i RANGE ${last})
  string(JSON file GET "${manifest}" cases ${i} file)
  run_tool(3 out --weights ${FIXTURES}/${file} --image ${image})
  expect_single_error("${out}" "${out_err}" "${FIXTURES}/${file}: ")
endforeach()
message(STATUS "${count} malformed weight files: exit code 3")

# Bad images and bad usage.
run_tool(3 out --weights ${good} --image ${FIXTURES}/corrupt.png)
expect_single_error("${out}" "${out_err}" "${FIXTURES}/corrupt.png: ")
run_tool(3 out --weights ${good} --image ${FIXTURES}/no_such_image.png)
expect_single_error("${out}" "${out_err}" "${FIXTURES}/no_such_image.png: no such file or directory")
run_tool(2 out --weights ${good})
expect_single_error("${out}" "${out_err}" "--weights needs --image")
run_tool(2 out --weights ${good} --image ${image} --preprocess nonsense)
expect_single_error("${out}" "${out_err}" "")
run_tool(2 out --weights ${good} --image ${image} --topk 0)
message(STATUS "igcam-run with weights: OK")
