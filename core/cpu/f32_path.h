// Which library runs the CPU's float32 convolutions and matrix products: oneDNN when the
// build has it (IGCAM_WITH_ONEDNN), unless IGCAM_CPU_CONV=blas asks for im2col + OpenBLAS,
// the path of builds without oneDNN (for comparisons). Float64 (audits, gradchecks) always
// runs on im2col + OpenBLAS. The environment is read once.
#pragma once

#include <cstddef>
#include <string>

#include "core/storage.h"

namespace igcam::cpu {

// True when float32 goes to oneDNN. Throws ValueError when IGCAM_CPU_CONV is neither blas
// nor onednn, or asks for onednn in a build without it.
bool f32_uses_onednn();

// For reports: "oneDNN 2.6.3", or "im2col + OpenBLAS (IGCAM_CPU_CONV=blas)" and the like.
std::string f32_path_name();

// A float32 operand of the oneDNN path given by its storage rather than a pointer, so that
// values a previous oneDNN op left in oneDNN's layout (Storage::Alternate) are read as they
// are, and the weights' reordered copy is kept.
struct F32Operand {
    Storage* storage = nullptr;  // null: no such operand
    std::size_t offset_bytes = 0;

    bool defined() const { return storage != nullptr; }
    // The plain values (made from a pending alternate first).
    const float* plain() const {
        return reinterpret_cast<const float*>(static_cast<const char*>(storage->data()) + offset_bytes);
    }
};

}  // namespace igcam::cpu
