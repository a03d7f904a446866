// PyTorch's own weight files: what torch.save(model.state_dict(), "x.pth") writes since
// PyTorch 1.6, a zip archive holding <name>/data.pkl (the pickled dict, read by the
// restricted reader of models/torch_pickle.h) and one member <name>/data/<key> per storage,
// the raw little-endian elements. A checkpoint dict holding the state dict under
// "state_dict" or "model" is accepted, and a "module." key prefix (nn.DataParallel) dropped.
//
// Limits, each a FormatError naming the file: member paths stay inside the archive (no
// absolute paths, no "..", no backslashes); data.pkl at most 64 MiB; a compressed member
// may not expand past 100 times its size once above 64 MiB, and no member past 16 GiB (a
// zip bomb is refused before it is inflated); a storage member holds exactly its declared
// element count, and every tensor lies inside its storage. CRCs are checked as read.
// A zip archive that is a Keras 3 .keras file is refused with a hint to unzip it.
#pragma once

#include <string>

#include "models/model.h"

namespace igcam::models {

Model load_torch_archive(const std::string& path, DType dtype);

}  // namespace igcam::models
