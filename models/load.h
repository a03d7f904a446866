// Loading a model from a weight file. The file's layout is detected from its contents,
// never from its name:
//  - igcam-torch-h5 v1 (root attribute format = "igcam-torch-h5", tensors in /state_dict,
//    preprocessing and class names alongside; written by tools/export_torchvision.py);
//  - a bare PyTorch state_dict dump (one dataset per torch key at the root, or under
//    /state_dict, no attributes): architecture, variant and class count are inferred.
// Loading is strict: every parameter of the architecture must be present once, with the
// exact shape and a float32/float64 type, checked before any tensor is read; anything
// else in the file is an error, except PyTorch's integer num_batches_tracked counters.
#pragma once

#include <string>

#include "models/model.h"

namespace igcam::models {

// Throws IoError (unreadable file) or FormatError (anything wrong inside it), each naming
// the file and, where it applies, the tensor path and expected vs found.
Model load_model(const std::string& path, DType dtype = DType::F32);

}  // namespace igcam::models
