// igcam's C++ errors as Python exceptions, with the same messages as the command-line tools.
//
//   missing file (IoError for a path that does not exist)  -> FileNotFoundError
//   another IoError                                          -> OSError
//   a weight file that is not valid (FormatError in load)    -> igcam.WeightFileError (ValueError)
//   another file that is not valid (an image)                -> igcam.FileFormatError (ValueError)
//   UsageError, ValueError, ShapeError, LayoutError          -> ValueError
//   DTypeError                                                -> TypeError
//   OutOfMemoryError                                          -> MemoryError
//   DeviceError, CudaError, anything else                     -> igcam.Error (RuntimeError)
#pragma once

#include <string>
#include <vector>

#include <nanobind/nanobind.h>

#include "core/error.h"

namespace igcam::python {

// Thrown where the Python exception must be more specific than the C++ one.
class MissingFileError : public IoError { using IoError::IoError; };
class WeightFileError : public FormatError { using FormatError::FormatError; };

// Installs the translator above (igcam's own types live in python/igcam/_errors.py).
void register_errors();

// Runs `job`; an IoError about one of `paths` that does not exist becomes MissingFileError
// (the message unchanged).
template <typename Job>
auto with_missing_files(const std::vector<std::string>& paths, Job&& job) -> decltype(job());

bool any_missing(const std::vector<std::string>& paths);

template <typename Job>
auto with_missing_files(const std::vector<std::string>& paths, Job&& job) -> decltype(job()) {
    try {
        return job();
    } catch (const IoError& e) {
        if (any_missing(paths)) throw MissingFileError(e.what());
        throw;
    }
}

}  // namespace igcam::python
