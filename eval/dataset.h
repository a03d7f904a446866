// Evaluation datasets: images with the ground-truth boxes of their objects.
//
// Three forms, all read into one Dataset:
//   VOC layout     ROOT/JPEGImages/<id>.jpg, ROOT/Annotations/<id>.xml and, when present,
//                  ROOT/ImageSets/Main/<split>.txt (one id a line; without it every
//                  annotation is used). XML boxes are 1-based inclusive pixel indices.
//   ImageNet XMLs  the same schema with WordNet ids (n01440764) as object names, mapped to
//                  class indices through a synset list (torchvision's order is the sorted
//                  order of the 1000 ids, which LOC_synset_mapping.txt lists).
//   CSV            image,class,xmin,ymin,xmax,ymax[,difficult]: one box a line, 0-based
//                  half-open pixel coordinates, image paths relative to the CSV's folder.
// Inside igcam every box is 0-based half-open: the object covers columns [x0, x1) and rows
// [y0, y1) of the original image.
//
// A problem with one image (malformed XML, an unknown class, an inverted box) is kept in
// that sample's `error`, so the evaluator records a failed row and goes on; a problem with
// the dataset as a whole (no such folder, an empty split) throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace igcam::eval {

struct Box {
    int64_t x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // columns [x0, x1), rows [y0, y1)
    int64_t area() const { return (x1 - x0) * (y1 - y0); }
};

struct Object {
    int64_t class_index = 0;
    std::string class_name;
    Box box;
    bool difficult = false;
};

struct Sample {
    std::string id;          // VOC id, or the image path as written in the CSV
    std::string image;       // the image file
    std::string annotation;  // the file its boxes came from (the XML, or "data.csv:12")
    std::optional<int64_t> width, height;  // as the annotation declares them
    std::vector<Object> objects;
    std::string error;       // non-empty: this sample cannot be evaluated, and why
};

struct Dataset {
    std::string kind;    // "voc", "imagenet" or "csv"
    std::string source;  // the --data argument
    std::vector<Sample> samples;
};

struct DatasetOptions {
    std::string split = "test";  // VOC: ImageSets/Main/<split>.txt when it exists
    bool split_required = false; // the split was asked for explicitly: its file must exist
    std::string images_dir;      // overrides ROOT/JPEGImages
    std::string annotations_dir; // overrides ROOT/Annotations
    std::string synsets;         // ImageNet: file of WordNet ids (first token of each line)
};

// Reads the dataset at `path` (a VOC-layout folder, or a .csv file). Class names are the
// model's. Throws IoError / FormatError / ValueError for a dataset that cannot be read at all.
Dataset load_dataset(const std::string& path, const std::vector<std::string>& class_names,
                     const DatasetOptions& options);

// One annotation file (VOC or ImageNet XML) into `sample` (its objects, size, or error).
// `synsets`: WordNet id -> class index, empty for VOC names.
void read_xml_annotation(Sample& sample, const std::vector<std::string>& class_names,
                         const std::vector<std::string>& synsets);

// The samples of a CSV file (one per distinct image, in order of first appearance).
std::vector<Sample> read_csv_dataset(const std::string& path, const std::vector<std::string>& class_names);

// Checks the sample's boxes and declared size against the image's actual size; returns ""
// or the problem ("box 2 (x 10..600) lies outside the 500x375 image").
std::string check_against_image(const Sample& sample, int64_t width, int64_t height);

// Every distinct class of the sample's objects, in increasing index.
std::vector<int64_t> classes_present(const Sample& sample);

}  // namespace igcam::eval
