// PyTorch's own weight files: what torch.save(model.state_dict(), "x.pth") writes since
// PyTorch 1.6, a zip archive holding <name>/data.pkl (the pickled dict, read by the
// restricted reader of models/torch_pickle.h) and one member <name>/data/<key> per storage,
// the raw little-endian elements. A checkpoint dict holding the state dict under
// "state_dict" or "model" is accepted, and a "module." key prefix (nn.DataParallel) dropped.
//
// The zip container's limits are models/zip_archive.h's; on top of them, each a FormatError
// naming the file: data.pkl at most 16 MiB; a storage member holds exactly its declared
// element count, and every tensor lies inside its storage; unpacking is bounded by twice
// the distinct storages' bytes.
#pragma once

#include <string>

#include "models/model.h"
#include "models/zip_archive.h"

namespace igcam::models {

// True when the archive holds a <name>/data.pkl member (FormatError when it holds two).
bool is_torch_archive(const ZipArchive& zip);
Model load_torch_archive(const ZipArchive& zip, DType dtype);

}  // namespace igcam::models
