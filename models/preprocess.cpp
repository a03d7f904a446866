#include "models/preprocess.h"
