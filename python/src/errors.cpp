#include "python/src/errors.h"

#include <filesystem>

#include "tools/usage_error.h"

namespace nb = nanobind;

namespace igcam::python {

namespace {

PyObject* error_type = nullptr;         // igcam.Error
PyObject* file_format_type = nullptr;   // igcam.FileFormatError
PyObject* weight_file_type = nullptr;   // igcam.WeightFileError

PyObject* new_exception(nb::module_& m, const char* name, PyObject* base, const char* doc) {
    const std::string qualified = std::string("igcam.") + name;
    PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base, nullptr);
    if (type == nullptr) throw nb::python_error();
    m.attr(name) = nb::handle(type);
    return type;
}

}  // namespace

bool any_missing(const std::vector<std::string>& paths) {
    for (const std::string& path : paths) {
        std::error_code error;
        if (!std::filesystem::exists(path, error)) return true;
    }
    return false;
}

void register_errors(nb::module_& m) {
    error_type = new_exception(m, "Error", PyExc_RuntimeError,
                               "igcam could not finish a computation (a device, CUDA or an internal failure).");
    file_format_type = new_exception(m, "FileFormatError", PyExc_ValueError,
                                     "A file was read but its contents are not what they must be.");
    weight_file_type = new_exception(m, "WeightFileError", file_format_type,
                                     "A weight file that igcam cannot use: its format, layout, shapes or values.");
    nb::register_exception_translator([](const std::exception_ptr& error, void*) {
        try {
            std::rethrow_exception(error);
        } catch (const MissingFileError& e) {
            PyErr_SetString(PyExc_FileNotFoundError, e.what());
        } catch (const IoError& e) {
            PyErr_SetString(PyExc_OSError, e.what());
        } catch (const WeightFileError& e) {
            PyErr_SetString(weight_file_type, e.what());
        } catch (const FormatError& e) {
            PyErr_SetString(file_format_type, e.what());
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
            PyErr_SetString(error_type, e.what());
        }
        // Anything else falls through to nanobind's own translation.
    });
}

}  // namespace igcam::python
