// igcam-run's main job: explain images with CAM methods and write the results.
//
// Per image and method it writes OUT/<stem>.<method>.png (overlay on the preprocessed view
// of the image) and OUT/<stem>.<method>.npy (float32 raw map at feature resolution, after
// the method's own ReLU, before upsampling and normalisation), then OUT/<stem>.grid.png
// (the input and every method side by side, labelled) and OUT/report.json. Files are staged
// in a hidden folder inside OUT and moved into place only when the whole run succeeded.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "cam/colormap.h"
#include "cam/igcam.h"
#include "cam/methods.h"
#include "core/dtype.h"

namespace igcam::tools {

struct ExplainOptions {
    std::string weights;
    std::vector<std::string> images;    // files, after directory expansion
    std::vector<cam::Method> methods;
    std::string layer;                  // empty: the model's default
    std::string class_spec;             // empty: top-1 per image
    std::string preprocess;             // empty: the weight file's default
    int topk = 5;
    cam::IgCamOptions igcam;
    std::string igcam_preset = "default";
    std::string baseline = "black";     // black | zero | an image file
    DType dtype = DType::F32;
    int64_t batch = 0;                  // 0: chosen from available memory
    cam::Colormap colormap = cam::Colormap::Jet;
    double alpha = 0.5;
    std::string out_dir = "igcam-out";
    bool json = false;                  // print report.json to stdout instead of the summary
    bool trace = false;                 // print the gradient trace (score -> target layer)
    std::string dump;                   // HDF5 file for every tensor of the explanation
    bool quiet = false;
    Device device = Device::cpu();      // resolved --device
    std::string command_line;           // recorded in the report
};

void run_explain(const ExplainOptions& options, std::ostream& out);

// Rows per batched pass: about a quarter of the device's available memory over an estimate
// of one row's working set (input size x 32 x element size), between 1 and 16 on the CPU
// and 64 on a GPU.
int64_t automatic_batch(int64_t input_elements, DType dtype, Device device);

}  // namespace igcam::tools
