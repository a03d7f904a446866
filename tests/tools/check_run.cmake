# igcam-run with weights, end to end, on the fixtures of tests/reference/bad_weights.py:
# top-k against PyTorch, --list-layers, --info, and exit code 3 with one "error:" line for
# every malformed weight file and bad image.
# Run as: cmake -DIGCAM_RUN=... -DFIXTURES=... -P check_run.cmake

include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

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
expect_each_malformed(${FIXTURES} ${image})

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
