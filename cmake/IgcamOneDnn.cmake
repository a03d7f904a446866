# Decides IGCAM_WITH_ONEDNN from IGCAM_ONEDNN (AUTO|ON|OFF): oneDNN runs the float32 CPU
# convolutions when it is found (AUTO) or must be (ON); without it they stay im2col + BLAS.
# When on, defines the imported target igcam::dnnl and prints one status line either way.
#
# NOTE: oneDNN's own CMake package is not used. Debian's libdnnl-dev 2.6 ships a dnnl-config
# that calls find_package(OpenCL REQUIRED) for its GPU runtime, which fails the whole
# configure step (even with QUIET) when the OpenCL headers are absent; we need the CPU part
# only, so the header and library are found directly.
set(IGCAM_WITH_ONEDNN OFF)
set(IGCAM_ONEDNN_OPENMP_FLAGS "")  # set when oneDNN runs on OpenMP: core/cpu/parallel.cpp then does too
string(TOUPPER "${IGCAM_ONEDNN}" _igcam_onednn_mode)
if(NOT _igcam_onednn_mode MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "IGCAM_ONEDNN must be AUTO, ON or OFF (got '${IGCAM_ONEDNN}')")
endif()
if(_igcam_onednn_mode STREQUAL "OFF")
  message(STATUS "igcam: oneDNN OFF (IGCAM_ONEDNN=OFF): float32 convolutions use im2col + BLAS")
  return()
endif()

find_path(IGCAM_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
find_library(IGCAM_DNNL_LIBRARY NAMES dnnl)
set(_igcam_onednn_missing "")
if(NOT IGCAM_DNNL_INCLUDE_DIR OR NOT IGCAM_DNNL_LIBRARY)
  set(_igcam_onednn_missing "dnnl.hpp / libdnnl (Debian package libdnnl-dev)")
else()
  # The threading runtime is compiled into the library and written in its config header;
  # with OpenMP, igcam sets oneDNN's thread count through omp_set_num_threads.
  file(STRINGS "${IGCAM_DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_config.h" _igcam_dnnl_runtime
       REGEX "^#define DNNL_CPU_THREADING_RUNTIME ")
  string(REGEX REPLACE ".*DNNL_RUNTIME_([A-Z]+).*" "\\1" _igcam_dnnl_runtime "${_igcam_dnnl_runtime}")
  file(STRINGS "${IGCAM_DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_version.h" _igcam_dnnl_version
       REGEX "^#define DNNL_VERSION_(MAJOR|MINOR|PATCH) ")
  string(REGEX REPLACE "[^0-9]+([0-9]+)[^0-9]+([0-9]+)[^0-9]+([0-9]+).*" "\\1.\\2.\\3"
         _igcam_dnnl_version "${_igcam_dnnl_version}")
  set(_igcam_dnnl_link "")
  if(_igcam_dnnl_runtime STREQUAL "OMP")
    find_package(OpenMP COMPONENTS CXX QUIET)
    if(OpenMP_CXX_FOUND)
      set(_igcam_dnnl_link ${OpenMP_CXX_LIBRARIES})
      set(IGCAM_ONEDNN_OPENMP_FLAGS ${OpenMP_CXX_FLAGS})
    else()
      set(_igcam_onednn_missing "the OpenMP runtime oneDNN was built with")
    endif()
  elseif(NOT _igcam_dnnl_runtime STREQUAL "SEQ")
    # TBB and threadpool builds would each need their own way of setting the thread count.
    set(_igcam_onednn_missing "a oneDNN built with OpenMP or sequential threading (found ${_igcam_dnnl_runtime})")
  endif()
endif()

if(_igcam_onednn_missing)
  if(_igcam_onednn_mode STREQUAL "ON")
    message(FATAL_ERROR "igcam: IGCAM_ONEDNN=ON but ${_igcam_onednn_missing} was not found")
  endif()
  message(STATUS "igcam: oneDNN OFF (IGCAM_ONEDNN=AUTO: ${_igcam_onednn_missing} not found): "
                 "float32 convolutions use im2col + BLAS")
  return()
endif()

add_library(igcam::dnnl INTERFACE IMPORTED)
target_include_directories(igcam::dnnl SYSTEM INTERFACE ${IGCAM_DNNL_INCLUDE_DIR})
target_link_libraries(igcam::dnnl INTERFACE ${IGCAM_DNNL_LIBRARY} ${_igcam_dnnl_link})
set(IGCAM_WITH_ONEDNN ON)
message(STATUS "igcam: oneDNN ${_igcam_dnnl_version} ON (${_igcam_dnnl_runtime} threading): "
               "float32 convolutions; ${IGCAM_DNNL_LIBRARY}")
