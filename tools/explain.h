// igcam-run's main job: explain images with CAM methods and write the results.
//
// It runs in four steps: compute (cam/pipeline.h, batch by batch), record (what the report
// keeps of each image, tools/explain_report.h), write (each image's files as its batch
// finishes, tools/explain_files.h) and print (the summary, from the records in memory).
//
// Per image and method it writes OUT/<stem>.<method>.png (overlay on the preprocessed view
// of the image) and OUT/<stem>.<method>.npy (the raw map at feature resolution in the run's
// dtype, after the method's own ReLU, before upsampling and normalisation), then
// OUT/<stem>.grid.png (the input and every method side by side, labelled) and
// OUT/report.json; with --report also OUT/report.html (tools/report_html.h), the pictures it
// shows (OUT/<stem>.input.png, and OUT/<stem>.igcam-path.png with IG-CAM) and every image's
// gradient trace in the JSON; with --dump also the HDF5 file. Every file is staged
// (core/io/staged_file.h) and moved into place only when the whole run succeeded.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "cam/colormap.h"
#include "cam/igcam.h"
#include "cam/registry.h"
#include "core/dtype.h"
#include "tools/ranks.h"

namespace igcam::tools {

struct ExplainOptions {
    std::string weights;
    std::vector<std::string> images;    // files, after directory expansion
    std::vector<const cam::MethodSpec*> methods;
    std::string layer;                  // empty: the model's default
    std::string class_spec;             // empty: top-1 per image
    std::string preprocess;             // empty: the weight file's default
    int topk = 5;
    cam::IgCamOptions igcam;
    std::string igcam_preset = "default";
    std::string baseline = "black";     // black | zero | an image file
    DType dtype = DType::F32;
    int64_t batch = 0;                  // images (and rerun / path rows) per pass; 0: automatic
    cam::Colormap colormap = cam::Colormap::Jet;
    double alpha = 0.5;
    std::string out_dir = "igcam-out";
    bool json = false;                  // print report.json to stdout instead of the summary
    bool trace = false;                 // print the gradient trace (score -> target layer)
    bool report = false;                // write OUT/report.html (and each image's input and IG-CAM path pictures)
    std::string dump;                   // HDF5 file for every tensor of the explanation
    bool quiet = false;
    Device device = Device::cpu();      // resolved --device
    std::string command_line;           // recorded in the report
};

// Under MPI (tools/ranks.h) every rank calls this: each explains its share of the images
// (share_of), rank 0 writes every file and the report and prints to `out`.
void run_explain(const ExplainOptions& options, std::ostream& out, Ranks& ranks);

}  // namespace igcam::tools
