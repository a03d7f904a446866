# Decides IGCAM_WITH_CUDA from IGCAM_CUDA (AUTO|ON|OFF) and, when on, enables the CUDA
# language, sets IGCAM_CUDA_SOURCES (compiled into igcam_core) and defines the interface
# target igcam_cuda (CUDA headers and libraries). AUTO builds the backend when the CUDA
# toolkit, cuDNN and cuBLAS are all found; ON fails the configure step when one is missing.
# One status line says which and why.
#
# Architectures: CMAKE_CUDA_ARCHITECTURES when given (e.g. 90 for an H100 only, or native);
# otherwise Turing through Hopper as real code plus PTX of the newest for later chips, and
# Volta too with toolkits before CUDA 13 (which dropped it).
set(IGCAM_WITH_CUDA OFF)
string(TOUPPER "${IGCAM_CUDA}" _igcam_cuda_mode)
if(NOT _igcam_cuda_mode MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "IGCAM_CUDA must be AUTO, ON or OFF (got '${IGCAM_CUDA}')")
endif()

if(_igcam_cuda_mode STREQUAL "OFF")
  message(STATUS "igcam: CUDA backend OFF (IGCAM_CUDA=OFF)")
  return()
endif()

set(_igcam_cuda_missing "")
find_package(CUDAToolkit QUIET)
if(NOT CUDAToolkit_FOUND)
  set(_igcam_cuda_missing "the CUDA toolkit")
elseif(NOT TARGET CUDA::cublas)
  set(_igcam_cuda_missing "cuBLAS")
else()
  # cuDNN: the toolkit's folders first, then CUDNN_ROOT / CUDNN_INCLUDE_DIR hints (a pip
  # nvidia-cudnn package, for instance), then the system.
  find_path(IGCAM_CUDNN_INCLUDE_DIR cudnn.h
    HINTS ${CUDNN_INCLUDE_DIR} ${CUDNN_ROOT} $ENV{CUDNN_ROOT} ${CUDAToolkit_INCLUDE_DIRS}
    PATH_SUFFIXES include)
  find_library(IGCAM_CUDNN_LIBRARY NAMES cudnn libcudnn.so.9
    HINTS ${CUDNN_LIBRARY_DIR} ${CUDNN_ROOT} $ENV{CUDNN_ROOT} ${CUDAToolkit_LIBRARY_DIR}
    PATH_SUFFIXES lib lib64)
  if(NOT IGCAM_CUDNN_INCLUDE_DIR OR NOT IGCAM_CUDNN_LIBRARY)
    set(_igcam_cuda_missing "cuDNN (cudnn.h / libcudnn)")
  endif()
endif()

if(_igcam_cuda_missing)
  if(_igcam_cuda_mode STREQUAL "ON")
    message(FATAL_ERROR "igcam: IGCAM_CUDA=ON but ${_igcam_cuda_missing} was not found")
  endif()
  message(STATUS "igcam: CUDA backend OFF (IGCAM_CUDA=AUTO: ${_igcam_cuda_missing} not found)")
  return()
endif()

set(_igcam_cudnn_version "unknown")
if(EXISTS "${IGCAM_CUDNN_INCLUDE_DIR}/cudnn_version.h")
  file(STRINGS "${IGCAM_CUDNN_INCLUDE_DIR}/cudnn_version.h" _v REGEX "^#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) ")
  string(REGEX REPLACE ".*CUDNN_MAJOR ([0-9]+).*CUDNN_MINOR ([0-9]+).*CUDNN_PATCHLEVEL ([0-9]+).*" "\\1.\\2.\\3"
         _igcam_cudnn_version "${_v}")
endif()
set(IGCAM_WITH_CUDA ON)
message(STATUS "igcam: CUDA backend ON (IGCAM_CUDA=${_igcam_cuda_mode}: CUDA ${CUDAToolkit_VERSION}, "
               "cuDNN ${_igcam_cudnn_version} at ${IGCAM_CUDNN_LIBRARY})")

if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
  if(CUDAToolkit_VERSION VERSION_LESS 13)
    set(CMAKE_CUDA_ARCHITECTURES 70-real 75-real 80-real 86-real 89-real 90)
  else()
    set(CMAKE_CUDA_ARCHITECTURES 75-real 80-real 86-real 89-real 90)
  endif()
endif()
if(NOT CMAKE_CUDA_COMPILER)
  set(CMAKE_CUDA_COMPILER ${CUDAToolkit_NVCC_EXECUTABLE})
endif()
enable_language(CUDA)
# The .cu files need only C++17 (CMake 3.25 does not know nvcc's C++20 flag).
set(CMAKE_CUDA_STANDARD 17)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)
message(STATUS "igcam: CUDA architectures ${CMAKE_CUDA_ARCHITECTURES}")

set(IGCAM_CUDA_SOURCES
  cuda/check.cpp
  cuda/context.cpp
  cuda/conv2d.cpp
  cuda/linear.cpp
  cuda/memory.cpp
  cuda/runtime.cpp
  cuda/elementwise.cu
  cuda/pool2d.cu
  cuda/reduce.cu
  cuda/resize.cu
)
add_library(igcam_cuda INTERFACE)
target_include_directories(igcam_cuda SYSTEM INTERFACE ${IGCAM_CUDNN_INCLUDE_DIR} ${CUDAToolkit_INCLUDE_DIRS})
target_link_libraries(igcam_cuda INTERFACE CUDA::cudart CUDA::cublas ${IGCAM_CUDNN_LIBRARY})
