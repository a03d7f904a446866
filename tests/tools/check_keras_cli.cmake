# igcam-run on every malformed Keras-layout file of tests/reference/keras_bad_weights.py:
# exit code 3 and one "error:" line naming the file, nothing on stdout.
# Run as: cmake -DIGCAM_RUN=... -DFIXTURES=... -DIMAGE=... -P check_keras_cli.cmake

include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

expect_each_malformed(${FIXTURES} ${IMAGE})
