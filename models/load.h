// Loading a model from a weight file. The file's kind is detected from its first bytes,
// never from its name:
//  - a torch.save archive (.pth/.pt: a state dict, or a checkpoint holding one under
//    "state_dict" or "model"), read by models/torch_archive.h with a restricted unpickler;
//  - a safetensors file (models/safetensors_file.h), memory-mapped;
//  - HDF5: igcam-torch-h5 v1 (root attribute format = "igcam-torch-h5", tensors in
//    /state_dict, preprocessing and class names alongside; written by
//    tools/export_torchvision.py), a bare PyTorch state_dict dump (one dataset per torch key
//    at the root, or under /state_dict, no attributes), or a Keras file (models/keras_load.h);
//  - a legacy (before PyTorch 1.6) pickle is refused with the command that re-saves it.
// For the state dicts, architecture, variant and class count are inferred from the keys and
// shapes. Loading is strict (models/state_dict.h): every parameter of the architecture must
// be present once, with the exact shape and a readable floating type, checked before any
// tensor is read; anything else is an error, except PyTorch's integer num_batches_tracked
// counters.
#pragma once

#include <string>

#include "models/model.h"

namespace igcam::models {

// Throws IoError (unreadable file) or FormatError (anything wrong inside it), each naming
// the file and, where it applies, the tensor path and expected vs found.
Model load_model(const std::string& path, DType dtype = DType::F32);

}  // namespace igcam::models
