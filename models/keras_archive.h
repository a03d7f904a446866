// Keras 3's .keras files (model.save("x.keras")): a zip archive holding config.json,
// metadata.json and model.weights.h5. The weights member is read into memory and opened as
// an HDF5 file image (no temporary file) and loaded as a Keras 3 .weights.h5 file
// (models/keras_load.h). config.json is parsed as data only, to check the architecture and
// the head against what the weights say and to name the model; nothing in it is executed
// or imported. The zip container's limits are models/zip_archive.h's; config.json may hold
// at most 16 MiB nested at most 64 levels deep.
#pragma once

#include "models/model.h"
#include "models/zip_archive.h"

namespace igcam::models {

// True when the archive holds model.weights.h5 or config.json at its top.
bool is_keras_archive(const ZipArchive& zip);
// Throws FormatError naming the archive (and the member) for an archive without
// model.weights.h5, weights igcam cannot load, a config.json that is not JSON, and a
// config that contradicts the weights.
Model load_keras_archive(const ZipArchive& zip, DType dtype);

}  // namespace igcam::models
