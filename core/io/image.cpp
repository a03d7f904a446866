#include "core/io/image.h"
