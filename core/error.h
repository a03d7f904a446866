// The typed error hierarchy. Library code throws these with a sentence a user can act on
// (which tensor, which file, expected vs found); only the tools' main() catches them and
// maps them to exit codes.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace igcam {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A tensor argument has the wrong shape, rank or size (including zero/negative sizes).
class ShapeError : public Error { using Error::Error; };
// Tensors of different dtypes were mixed, or an op does not support the dtype.
class DTypeError : public Error { using Error::Error; };
// Tensors live on different devices, or the device is not available in this build.
class DeviceError : public Error { using Error::Error; };
// A tensor's values are in a layout the caller cannot read directly (core/layout.h).
class LayoutError : public Error { using Error::Error; };
// A scalar argument is out of range (a stride of 0, an unknown axis, ...).
class ValueError : public Error { using Error::Error; };
// Reading or writing a file failed (missing, unreadable, truncated).
class IoError : public Error { using Error::Error; };
// A file was read but its contents are not what they must be (layout, dtype, values).
class FormatError : public Error { using Error::Error; };
// An allocation failed; the message names the bytes asked for.
class OutOfMemoryError : public Error { using Error::Error; };
// A CUDA, cuDNN or cuBLAS call failed; the message names the call, file and line.
class CudaError : public Error { using Error::Error; };

namespace detail {

template <typename... Parts>
std::string concat(Parts&&... parts) {
    std::ostringstream out;
    (out << ... << std::forward<Parts>(parts));
    return out.str();
}

template <typename ErrorType, typename... Parts>
[[noreturn]] void throw_error(Parts&&... parts) {
    throw ErrorType(concat(std::forward<Parts>(parts)...));
}

}  // namespace detail

// A value from a file, quoted for a message: 'value', cut after 60 bytes with the full
// length given, so that a hostile 1 MB attribute does not become a 1 MB error line.
inline std::string quoted_value(const std::string& value) {
    constexpr std::size_t kShown = 60;
    if (value.size() <= kShown) return "'" + value + "'";
    std::string text = "'";
    text.append(value, 0, kShown).append("...' (").append(std::to_string(value.size())).append(" bytes)");
    return text;
}

}  // namespace igcam

// IGCAM_CHECK(condition, ErrorType, message parts...): throws ErrorType with the parts
// streamed together when the condition is false. The message is the whole user-facing text.
#define IGCAM_CHECK(condition, ErrorType, ...)                               \
    do {                                                                     \
        if (!(condition)) ::igcam::detail::throw_error<ErrorType>(__VA_ARGS__); \
    } while (false)
