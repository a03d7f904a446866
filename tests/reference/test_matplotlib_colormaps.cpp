// cam/colormap against matplotlib 3.6: tests/reference/matplotlib_colormaps.py writes value
// sets (1001 evenly spaced values, every lookup boundary k/256 with its neighbouring floats,
// values outside [0, 1]) in float64 and float32, and matplotlib's `cmap(values, bytes=True)`
// for jet and turbo. Every byte must be equal, through colormap_color (one value at a time)
// and through apply_colormap (the tensor path, in the fixture's dtype).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "cam/colormap.h"
#include "cam/render.h"
#include "core/io/npy.h"
#include "tests/reference/fixtures.h"

using namespace igcam;
using json = nlohmann::json;

namespace {

json manifest(const std::string& dir) { return test::read_manifest(dir, "cases.json"); }

// How far a set of colours is from matplotlib's: the number of values whose colour differs in
// some channel, the largest channel difference, and the first value that differs.
struct Difference {
    int64_t values = 0;
    int largest = 0;
    double first_value = 0.0;

    void add(double value, const uint8_t* ours, const double* theirs) {
        int worst = 0;
        for (int c = 0; c < 3; ++c) worst = std::max(worst, static_cast<int>(std::fabs(ours[c] - theirs[c])));
        if (worst == 0) return;
        if (values++ == 0) first_value = value;
        largest = std::max(largest, worst);
    }
};

}  // namespace

TEST_CASE("reference: jet and turbo agree with matplotlib byte for byte") {
    const std::string dir = test::reference_dir();
    const json m = manifest(dir);
    MESSAGE("matplotlib " << m["matplotlib_version"].get<std::string>() << ", numpy "
                          << m["numpy_version"].get<std::string>() << ", " << m["cases"].size() << " cases");
    std::set<std::string> seen;
    int64_t compared = 0;
    int largest = 0;
    for (const json& c : m["cases"]) {
        const std::string name = c["name"];
        CAPTURE(name);
        seen.insert(name);
        const cam::Colormap map = cam::parse_colormap(c["colormap"]);
        const Tensor values = io::read_npy(dir + "/" + c["values"].get<std::string>());
        const Tensor colours = io::read_npy(dir + "/" + c["colors"].get<std::string>());
        const int64_t count = c["count"];
        REQUIRE(values.shape() == Shape{count});
        REQUIRE(colours.shape() == Shape{count, 3});
        REQUIRE(dtype_name(values.dtype()) == c["dtype"].get<std::string>());
        const std::vector<double> v = values.to_vector();
        const double* theirs = colours.data<double>();

        Difference one_by_one, as_image;
        for (int64_t i = 0; i < count; ++i) {
            const std::array<uint8_t, 3> ours = cam::colormap_color(map, v[i]);
            one_by_one.add(v[i], ours.data(), theirs + i * 3);
        }
        const io::Image image = cam::apply_colormap(values.reshape(Shape{1, count}), map);
        REQUIRE(image.height == 1);
        REQUIRE(image.width == count);
        for (int64_t i = 0; i < count; ++i) as_image.add(v[i], image.rgb.data() + i * 3, theirs + i * 3);

        CHECK_MESSAGE(one_by_one.values == 0, "colormap_color: " << one_by_one.values << " values differ by up to "
                                                                  << one_by_one.largest << ", first at "
                                                                  << one_by_one.first_value);
        CHECK_MESSAGE(as_image.values == 0, "apply_colormap: " << as_image.values << " values differ by up to "
                                                                << as_image.largest << ", first at "
                                                                << as_image.first_value);
        compared += count;
        largest = std::max({largest, one_by_one.largest, as_image.largest});
    }
    MESSAGE(compared << " values compared; largest channel difference from matplotlib: " << largest);
    // Both maps, both dtypes, every value set: a fixture script that lost a case must fail here.
    for (const char* map : {"jet", "turbo"})
        for (const char* set : {"linspace", "boundaries", "outside"})
            for (const char* dtype : {"f64", "f32"}) {
                const std::string name = std::string(map) + "." + set + "." + dtype;
                CHECK_MESSAGE(seen.count(name) == 1, "no matplotlib case " << name);
            }
}
