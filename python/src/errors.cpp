#include "python/src/errors.h"

#include <filesystem>

#include "tools/usage_error.h"

namespace nb = nanobind;

namespace igcam::python {

namespace {

// Sets igcam.Error, igcam.FileFormatError or igcam.WeightFileError (python/igcam/_errors.py,
// imported when first raised) as the Python error.
void raise(const char* name, const char* message) {
    try {
        const nb::object type = nb::module_::import_("igcam._errors").attr(name);
        PyErr_SetString(type.ptr(), message);
    } catch (const nb::python_error&) {
        PyErr_SetString(PyExc_RuntimeError, message);  // the extension outside its package
    }
}

}  // namespace

bool any_missing(const std::vector<std::string>& paths) {
    for (const std::string& path : paths) {
        std::error_code error;
        if (!std::filesystem::exists(path, error)) return true;
    }
    return false;
}

void register_errors() {
    nb::register_exception_translator([](const std::exception_ptr& error, void*) {
        try {
            std::rethrow_exception(error);
        } catch (const MissingFileError& e) {
            PyErr_SetString(PyExc_FileNotFoundError, e.what());
        } catch (const IoError& e) {
            PyErr_SetString(PyExc_OSError, e.what());
        } catch (const WeightFileError& e) {
            raise("WeightFileError", e.what());
        } catch (const FormatError& e) {
            raise("FileFormatError", e.what());
        } catch (const DTypeError& e) {
            PyErr_SetString(PyExc_TypeError, e.what());
        } catch (const OutOfMemoryError& e) {
            PyErr_SetString(PyExc_MemoryError, e.what());
        } catch (const tools::UsageError& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const ValueError& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const ShapeError& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const LayoutError& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const Error& e) {
            raise("Error", e.what());
        }
        // Anything else falls through to nanobind's own translation.
    });
}

}  // namespace igcam::python
