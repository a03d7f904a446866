# Helpers for the igcam-run end-to-end scripts (run with cmake -P, IGCAM_RUN set).

# run_tool(expected_code out_var args...): runs igcam-run, fails unless it exits with
# expected_code; stdout goes to out_var, stderr to out_var_err.
function(run_tool expected_code out_var)
  execute_process(COMMAND ${IGCAM_RUN} ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL expected_code)
    message(FATAL_ERROR "igcam-run ${ARGN}: exit code ${code}, expected ${expected_code}\n${out}\n${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
  set(${out_var}_err "${err}" PARENT_SCOPE)
endfunction()

# expect(text regex): fails unless text matches.
function(expect text pattern)
  string(REGEX MATCH "${pattern}" found "${text}")
  if(NOT found)
    message(FATAL_ERROR "expected output matching '${pattern}' in:\n${text}")
  endif()
endfunction()

# expect_single_error(stdout stderr regex): a failed run printed nothing on stdout and
# exactly one line on stderr, "error: " followed by a match of regex.
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

# expect_each_malformed(dir image): every file listed under "cases" in dir/cases.json, given
# as --weights to classify and to explain into an output folder, fails with exit code 3 and
# one error line naming the file, and the output folder is not created.
function(expect_each_malformed dir image)
  file(READ ${dir}/cases.json manifest)
  string(JSON count LENGTH "${manifest}" cases)
  math(EXPR last "${count} - 1")
  set(out_dir ${dir}/cli-out-never-written)
  file(REMOVE_RECURSE ${out_dir})
  foreach(i RANGE ${last})
    string(JSON file GET "${manifest}" cases ${i} file)
    run_tool(3 out --weights ${dir}/${file} --image ${image})
    expect_single_error("${out}" "${out_err}" "${dir}/${file}")
    run_tool(3 out --weights ${dir}/${file} --image ${image} --method gradcam --out ${out_dir})
    expect_single_error("${out}" "${out_err}" "${dir}/${file}")
    if(EXISTS ${out_dir})
      message(FATAL_ERROR "igcam-run --weights ${dir}/${file} failed but created ${out_dir}")
    endif()
  endforeach()
  message(STATUS "${count} malformed weight files in ${dir}: exit code 3, no output written")
endfunction()
