// VOC / ImageNet annotation XML through pugixml:
//   annotation/size/{width,height}, annotation/object*/{name, difficult, bndbox/{xmin,ymin,xmax,ymax}}
#include <pugixml.hpp>

#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "eval/class_lookup.h"
#include "eval/dataset.h"

namespace igcam::eval {

namespace {

struct XmlProblem : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// An integer child of `node` ("bndbox/xmin"); VOC writes integers, a few files write
// decimals ("273.5"), which are rounded to the nearest pixel.
int64_t integer_child(const pugi::xml_node& node, const char* name, const std::string& where) {
    const pugi::xml_node child = node.child(name);
    if (!child) throw XmlProblem(where + " has no <" + name + ">");
    const std::string text = child.text().as_string();
    std::size_t used = 0;
    double value = 0;
    try {
        value = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || text.find_first_not_of(" \t\r\n", used) != std::string::npos || !std::isfinite(value) ||
        std::fabs(value) > 1e9)
        throw XmlProblem(where + " <" + name + "> is '" + text + "', not a number");
    return static_cast<int64_t>(std::llround(value));
}

Object read_object(const pugi::xml_node& node, std::size_t number, const std::vector<std::string>& class_names,
                   const std::vector<std::string>& synsets) {
    const std::string where = "object " + std::to_string(number);
    Object o;
    o.class_name = node.child("name").text().as_string();
    if (o.class_name.empty()) throw XmlProblem(where + " has no <name>");
    const std::optional<int64_t> index = find_class(o.class_name, class_names, synsets);
    if (!index || *index >= static_cast<int64_t>(class_names.size()))
        throw XmlProblem(where + " is a '" + o.class_name + "', which the model does not know" +
                         (synsets.empty() ? "" : " (not in the synset list, or past the model's classes)"));
    o.class_index = *index;
    if (!synsets.empty()) o.class_name = class_names[static_cast<std::size_t>(*index)];
    if (const pugi::xml_node difficult = node.child("difficult")) o.difficult = difficult.text().as_int() != 0;
    const pugi::xml_node box = node.child("bndbox");
    if (!box) throw XmlProblem(where + " has no <bndbox>");
    const int64_t xmin = integer_child(box, "xmin", where), ymin = integer_child(box, "ymin", where);
    const int64_t xmax = integer_child(box, "xmax", where), ymax = integer_child(box, "ymax", where);
    const std::string coords = " (xmin " + std::to_string(xmin) + ", ymin " + std::to_string(ymin) + ", xmax " +
                               std::to_string(xmax) + ", ymax " + std::to_string(ymax) + ")";
    if (xmin > xmax || ymin > ymax) throw XmlProblem(where + " has an inverted box" + coords);
    if (xmin < 1 || ymin < 1) throw XmlProblem(where + " starts before pixel 1 (VOC boxes are 1-based)" + coords);
    // 1-based inclusive [xmin, xmax] is 0-based half-open [xmin - 1, xmax).
    o.box = Box{xmin - 1, ymin - 1, xmax, ymax};
    return o;
}

}  // namespace

void read_xml_annotation(Sample& sample, const std::vector<std::string>& class_names,
                         const std::vector<std::string>& synsets) {
    if (!std::filesystem::is_regular_file(sample.annotation)) {
        sample.error = sample.annotation + ": no such annotation file";
        return;
    }
    pugi::xml_document doc;
    const pugi::xml_parse_result parsed = doc.load_file(sample.annotation.c_str());
    if (!parsed) {
        sample.error = sample.annotation + ": malformed XML (" + parsed.description() + " at byte " +
                       std::to_string(parsed.offset) + ")";
        return;
    }
    try {
        const pugi::xml_node root = doc.child("annotation");
        if (!root) throw XmlProblem("no <annotation> element");
        if (const pugi::xml_node size = root.child("size")) {
            sample.width = integer_child(size, "width", "<size>");
            sample.height = integer_child(size, "height", "<size>");
            if (*sample.width < 1 || *sample.height < 1)
                throw XmlProblem("<size> is " + std::to_string(*sample.width) + "x" + std::to_string(*sample.height));
        }
        std::size_t number = 0;
        for (const pugi::xml_node node : root.children("object"))
            sample.objects.push_back(read_object(node, ++number, class_names, synsets));
    } catch (const XmlProblem& e) {
        sample.objects.clear();
        sample.error = sample.annotation + ": " + e.what();
    }
}

}  // namespace igcam::eval
