// A mistake in what the user asked for (an unknown layer, class or method): exit code 2.
#pragma once

#include "core/error.h"

namespace igcam::tools {

class UsageError : public Error {
    using Error::Error;
};

}  // namespace igcam::tools
