#include "eval/dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/error.h"

namespace igcam::eval {

namespace fs = std::filesystem;

namespace {

// The image of VOC id `id` in `dir`: <id>.jpg first (VOC), then the other extensions
// ImageNet and users use. Returns the .jpg path when none exists (the sample then fails
// with "no such file").
std::string find_image(const fs::path& dir, const std::string& id) {
    for (const char* ext : {".jpg", ".jpeg", ".JPEG", ".JPG", ".png", ".PNG"}) {
        const fs::path p = dir / (id + ext);
        if (fs::is_regular_file(p)) return p.string();
    }
    return (dir / (id + ".jpg")).string();
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// The ids of a split file: the first token of each non-empty line (VOC's per-class files
// add a "1"/"-1" column after the id).
std::vector<std::string> read_split(const fs::path& file) {
    std::ifstream in(file);
    IGCAM_CHECK(in, IoError, file.string(), ": cannot read the split file");
    std::vector<std::string> ids;
    std::set<std::string> seen;
    for (std::string line; std::getline(in, line);) {
        line = trim(line);
        if (line.empty()) continue;
        const std::string id = line.substr(0, line.find_first_of(" \t"));
        if (seen.insert(id).second) ids.push_back(id);
    }
    IGCAM_CHECK(!ids.empty(), FormatError, file.string(), ": the split lists no image ids");
    return ids;
}

std::vector<std::string> read_synsets(const std::string& path) {
    std::ifstream in(path);
    IGCAM_CHECK(in, IoError, path, ": cannot read the synset list");
    std::vector<std::string> ids;
    for (std::string line; std::getline(in, line);) {
        line = trim(line);
        if (!line.empty()) ids.push_back(line.substr(0, line.find_first_of(" \t")));
    }
    IGCAM_CHECK(!ids.empty(), FormatError, path, ": the synset list is empty");
    return ids;
}

Dataset load_voc(const fs::path& root, const std::vector<std::string>& class_names, const DatasetOptions& o) {
    const fs::path images = o.images_dir.empty() ? root / "JPEGImages" : fs::path(o.images_dir);
    const fs::path annotations = o.annotations_dir.empty() ? root / "Annotations" : fs::path(o.annotations_dir);
    IGCAM_CHECK(fs::is_directory(annotations), IoError, root.string(),
                ": not a VOC-layout dataset (no Annotations/ folder; a CSV of boxes must end in .csv)");
    IGCAM_CHECK(fs::is_directory(images), IoError, images.string(), ": no such image folder");

    std::vector<std::string> ids;
    const fs::path split = root / "ImageSets" / "Main" / (o.split + ".txt");
    if (fs::is_regular_file(split)) {
        ids = read_split(split);
    } else {
        IGCAM_CHECK(!o.split_required, IoError, split.string(), ": no such split file");
        for (const fs::directory_entry& e : fs::directory_iterator(annotations))
            if (e.is_regular_file() && e.path().extension() == ".xml") ids.push_back(e.path().stem().string());
        std::sort(ids.begin(), ids.end());
        IGCAM_CHECK(!ids.empty(), FormatError, annotations.string(), ": no .xml annotation files");
    }
    const std::vector<std::string> synsets = o.synsets.empty() ? std::vector<std::string>{} : read_synsets(o.synsets);

    Dataset d;
    d.kind = synsets.empty() ? "voc" : "imagenet";
    d.source = root.string();
    for (const std::string& id : ids) {
        Sample s;
        s.id = id;
        s.image = find_image(images, id);
        s.annotation = (annotations / (id + ".xml")).string();
        read_xml_annotation(s, class_names, synsets);
        d.samples.push_back(std::move(s));
    }
    return d;
}

}  // namespace

Dataset load_dataset(const std::string& path, const std::vector<std::string>& class_names,
                     const DatasetOptions& options) {
    IGCAM_CHECK(fs::exists(path), IoError, path, ": no such dataset folder or file");
    if (fs::is_directory(path)) return load_voc(fs::path(path), class_names, options);
    IGCAM_CHECK(fs::path(path).extension() == ".csv", FormatError, path,
                ": a dataset is a VOC-layout folder or a .csv file of boxes");
    Dataset d;
    d.kind = "csv";
    d.source = path;
    d.samples = read_csv_dataset(path, class_names);
    return d;
}

std::string check_against_image(const Sample& s, int64_t width, int64_t height) {
    const std::string size = std::to_string(width) + "x" + std::to_string(height);
    if ((s.width && *s.width != width) || (s.height && *s.height != height))
        return "the annotation says the image is " + std::to_string(s.width.value_or(width)) + "x" +
               std::to_string(s.height.value_or(height)) + " but it is " + size;
    for (std::size_t i = 0; i < s.objects.size(); ++i) {
        const Box& b = s.objects[i].box;
        if (b.x1 > width || b.y1 > height)
            return "box " + std::to_string(i + 1) + " (" + s.objects[i].class_name + ", columns " +
                   std::to_string(b.x0) + "-" + std::to_string(b.x1) + ", rows " + std::to_string(b.y0) + "-" +
                   std::to_string(b.y1) + ") reaches outside the " + size + " image";
    }
    return "";
}

std::vector<int64_t> classes_present(const Sample& sample) {
    std::set<int64_t> classes;
    for (const Object& o : sample.objects) classes.insert(o.class_index);
    return {classes.begin(), classes.end()};
}

}  // namespace igcam::eval
