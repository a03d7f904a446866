# igcam-run explaining the bundled demo model end to end: the files written, the fields of
# report.json, --trace and --dump, float64 maps written as float64, and the exit code and
# single error line of each failure (missing file, corrupt image, corrupt weights, unknown
# layer, class and method), with no output file left behind, --dump included.
# Run as: cmake -DIGCAM_RUN=... -DWEIGHTS=... -DIMAGES=... -DWORK=... -DPYTHON=... -P check_explain.cmake

include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

# A failure: nothing on stdout, exactly one "error:" line matching `pattern`, and no file
# in the output directory.
function(expect_failure code pattern)
  file(REMOVE_RECURSE ${WORK}/fail)
  run_tool(${code} out ${ARGN} --out ${WORK}/fail/out --quiet)
  expect_single_error("${out}" "${out_err}" "${pattern}")
  file(GLOB_RECURSE left ${WORK}/fail/*)
  if(left)
    message(FATAL_ERROR "a failing run left files behind: ${left}")
  endif()
  # The run created the output directory (and its missing parent, fail/) for its temporaries; a
  # failure removes it again.
  if(EXISTS ${WORK}/fail)
    message(FATAL_ERROR "a failing run left its output directory ${WORK}/fail behind")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(GLOB images ${IMAGES}/*.png)
list(LENGTH images image_count)
if(image_count EQUAL 0)
  message(FATAL_ERROR "no demo images in ${IMAGES}")
endif()

# ---- every method on every demo image ----
run_tool(0 out --weights ${WEIGHTS} --image ${IMAGES} --method all --out ${WORK}/all --quiet --trace --dump ${WORK}/dump.h5)
expect("${out}" "igcam +[0-9.]+ ms +completeness gap")
expect("${out}" "gradient trace, from the class score down to ")
expect("${out}" "leaf +layer[0-9]")
file(GLOB written RELATIVE ${WORK}/all ${WORK}/all/*)
list(LENGTH written written_count)
math(EXPR expected_count "${image_count} * (12 * 2 + 1) + 1")
if(NOT written_count EQUAL expected_count)
  message(FATAL_ERROR "expected ${expected_count} files (12 methods x png + npy, a grid per image, report.json), got ${written_count}: ${written}")
endif()
file(GLOB staging ${WORK}/all/*.partial)
if(staging)
  message(FATAL_ERROR "staged files were left behind: ${staging}")
endif()

# ---- report.json ----
file(READ ${WORK}/all/report.json report)
string(JSON arch GET "${report}" model arch)
string(JSON layer GET "${report}" layer)
string(JSON dtype GET "${report}" dtype)
string(JSON report_images LENGTH "${report}" images)
if(NOT arch STREQUAL "resnet" OR NOT dtype STREQUAL "f32" OR NOT report_images EQUAL image_count)
  message(FATAL_ERROR "report.json: arch ${arch}, dtype ${dtype}, ${report_images} images")
endif()
math(EXPR last "${image_count} - 1")
foreach(i RANGE ${last})
  string(JSON methods LENGTH "${report}" images ${i} methods)
  string(JSON class_name GET "${report}" images ${i} class name)
  string(JSON topk LENGTH "${report}" images ${i} topk)
  string(JSON rows GET "${report}" images ${i} layer_shape 2)
  string(JSON cols GET "${report}" images ${i} layer_shape 3)
  if(NOT methods EQUAL 12 OR NOT topk EQUAL 5 OR class_name STREQUAL "")
    message(FATAL_ERROR "report.json image ${i}: ${methods} methods, ${topk} top-k rows, class '${class_name}'")
  endif()
  foreach(m RANGE 11)
    string(JSON name GET "${report}" images ${i} methods ${m} name)
    string(JSON npy GET "${report}" images ${i} methods ${m} npy)
    string(JSON ms GET "${report}" images ${i} methods ${m} ms)
    # The raw map is float32 at feature resolution.
    file(READ ${WORK}/all/${npy} header OFFSET 10 LIMIT 70)  # past the magic and the length bytes
    expect("${header}" "'descr': '<f4', 'fortran_order': False, 'shape': \\(${rows}, ${cols}\\)")
    if(name STREQUAL "igcam")
      string(JSON gap GET "${report}" images ${i} methods ${m} params completeness relative_gap)
      string(JSON steps GET "${report}" images ${i} methods ${m} params steps)
      string(JSON riemann GET "${report}" images ${i} methods ${m} params riemann)
      if(NOT steps EQUAL 50 OR NOT riemann STREQUAL "right")
        message(FATAL_ERROR "IG-CAM defaults in report.json: ${steps} steps, ${riemann}")
      endif()
    endif()
  endforeach()
endforeach()

# ---- --dump holds the tensors, readable by h5py ----
execute_process(COMMAND ${PYTHON} -c "
import h5py, sys
f = h5py.File(sys.argv[1], 'r')
g = f[list(f.keys())[0]]
a, d = g['activations'], g['gradients']
assert a.shape == d.shape and a.ndim == 4, (a.shape, d.shape)
assert g['igcam/step_activations'].shape[0] == 50 and g['igcam/step_gradients'].shape == g['igcam/step_activations'].shape
assert set(g['maps'].keys()) == {'gradcam', 'gradcam++', 'xgradcam', 'layercam', 'hirescam', 'gradcam-elementwise', 'scorecam', 'ablationcam', 'eigencam', 'eigengradcam', 'fem', 'igcam'}
print('dump ok', len(f.keys()), 'images')
" ${WORK}/dump.h5 RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "the --dump file is not what it should be:\n${out}\n${err}")
endif()

# ---- float64: the raw maps keep their digits, and the report says the dtype ----
list(GET images 0 first)
run_tool(0 out --weights ${WEIGHTS} --image ${first} --method gradcam,igcam --steps 8 --dtype f64 --out ${WORK}/f64 --quiet)
file(GLOB f64_maps ${WORK}/f64/*.npy)
foreach(npy ${f64_maps})
  file(READ ${npy} header OFFSET 10 LIMIT 40)
  expect("${header}" "'descr': '<f8'")
endforeach()
file(READ ${WORK}/f64/report.json f64_report)
string(JSON f64_dtype GET "${f64_report}" dtype)
if(NOT f64_dtype STREQUAL "f64")
  message(FATAL_ERROR "report.json of a float64 run says dtype ${f64_dtype}")
endif()
list(LENGTH f64_maps f64_count)
if(NOT f64_count EQUAL 2)
  message(FATAL_ERROR "expected 2 float64 maps, got ${f64_maps}")
endif()

# ---- the run's batch: the report says how the images were batched ----
run_tool(0 out --weights ${WEIGHTS} --image ${IMAGES} --method gradcam,scorecam --batch 4 --out ${WORK}/batched --quiet)
file(READ ${WORK}/batched/report.json batched)
string(JSON requested GET "${batched}" batch requested)
string(JSON batches GET "${batched}" batch batches)
math(EXPR expected_batches "(${image_count} + 3) / 4")
if(NOT requested EQUAL 4 OR NOT batches EQUAL expected_batches)
  message(FATAL_ERROR "report.json batch: requested ${requested}, ${batches} batches (expected ${expected_batches})")
endif()

# ---- --json prints the report ----
run_tool(0 out --weights ${WEIGHTS} --image ${first} --method gradcam --out ${WORK}/json --json --class 1)
string(JSON class_index GET "${out}" images 0 class index)
if(NOT class_index EQUAL 1)
  message(FATAL_ERROR "--class 1 --json: class ${class_index}")
endif()

# ---- failures ----
expect_failure(3 "${WORK}/missing.png: no such file or directory" --weights ${WEIGHTS} --image ${WORK}/missing.png)
execute_process(COMMAND ${PYTHON} -c "import sys; d=open(sys.argv[1],'rb').read(); open(sys.argv[2],'wb').write(d[:len(d)//2])"
                ${first} ${WORK}/corrupt.png)
expect_failure(3 "${WORK}/corrupt.png: " --weights ${WEIGHTS} --image ${WORK}/corrupt.png)
# The damage is past the header: found while the run computes, after the first images'
# files were staged; nothing is left, the dump neither.
expect_failure(3 "${WORK}/corrupt.png: " --weights ${WEIGHTS} --image ${IMAGES} --image ${WORK}/corrupt.png
               --dump ${WORK}/fail/dump.h5 --batch 2)
execute_process(COMMAND ${PYTHON} -c "import sys; d=open(sys.argv[1],'rb').read(); open(sys.argv[2],'wb').write(d[:len(d)//3])"
                ${WEIGHTS} ${WORK}/corrupt.h5)
expect_failure(3 "${WORK}/corrupt.h5: truncated or corrupt HDF5 file" --weights ${WORK}/corrupt.h5 --image ${first})
expect_failure(3 "${WORK}/no_weights.h5: cannot open for reading" --weights ${WORK}/no_weights.h5 --image ${first})
expect_failure(2 "unknown layer 'layer9'" --weights ${WEIGHTS} --image ${first} --layer layer9)
expect_failure(2 "unknown class 'giraffe'" --weights ${WEIGHTS} --image ${first} --class giraffe)
expect_failure(2 "class 99 is out of range" --weights ${WEIGHTS} --image ${first} --class 99)
expect_failure(2 "unknown method 'gradcam\\+'" --weights ${WEIGHTS} --image ${first} --method gradcam,gradcam+)
expect_failure(2 "" --weights ${WEIGHTS} --image ${first} --riemann sideways)
# --dump names report.json under another spelling of its path.
expect_failure(2 "${WORK}/fail/out/sub/../report.json: two outputs of this run would be written there"
               --weights ${WEIGHTS} --image ${first} --dump ${WORK}/fail/out/sub/../report.json)
message(STATUS "igcam-run explanations: OK (${image_count} images)")
