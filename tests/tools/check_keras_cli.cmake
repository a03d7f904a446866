# igcam-run on every malformed Keras-layout file of tests/reference/keras_bad_weights.py:
# exit code 3 and one "error:" line naming the file, nothing on stdout.
# Run as: cmake -DIGCAM_RUN=... -DFIXTURES=... -DIMAGE=... -P check_keras_cli.cmake

include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(READ ${FIXTURES}/cases.json manifest)
string(JSON count LENGTH "${manifest}" cases)
math(EXPR last "${count} - 1")
foreach(i RANGE ${last})
  string(JSON file GET "${manifest}" cases ${i} file)
  run_tool(3 out --weights ${FIXTURES}/${file} --image ${IMAGE})
  expect_single_error("${out}" "${out_err}" "${FIXTURES}/${file}")
endforeach()
message(STATUS "${count} malformed Keras files: exit code 3")
