"""igcam's own exception types; the C++ extension raises them (python/src/errors.h maps every
C++ error to a Python exception)."""


class Error(RuntimeError):
    """igcam could not finish a computation: a device or CUDA failure, or an internal error."""


class FileFormatError(ValueError):
    """A file was read, but its contents are not what they must be (an image that is not a
    valid PNG or JPEG, ...). The message names the file and the problem."""


class WeightFileError(FileFormatError):
    """A weight file igcam cannot use: its format, layout, names, shapes, dtypes or values.
    The message names the file and the problem, as igcam-run's does (exit code 3)."""


for _type in (Error, FileFormatError, WeightFileError):
    _type.__module__ = "igcam"  # shown as igcam.WeightFileError, where users catch it
del _type
