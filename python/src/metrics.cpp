// The evaluator's metrics (eval/metrics.h) on numpy maps and boxes, so maps from any
// library can be scored as igcam-eval scores its own.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "core/error.h"
#include "eval/metrics.h"
#include "python/src/arrays.h"
#include "python/src/bindings.h"

namespace nb = nanobind;

namespace igcam::python {

namespace {

using BoxArray = nb::ndarray<const int64_t, nb::shape<-1, 4>, nb::c_contig, nb::device::cpu>;

eval::Grid grid_of(const MapArray& map) {
    eval::Grid grid;
    grid.height = static_cast<int64_t>(map.shape(0));
    grid.width = static_cast<int64_t>(map.shape(1));
    IGCAM_CHECK(grid.height > 0 && grid.width > 0, ShapeError, "a map must hold at least one pixel, got ", grid.height,
                " x ", grid.width);
    grid.values.assign(map.data(), map.data() + map.size());
    return grid;
}

// (M, 4) rows of x0, y0, x1, y1 (columns [x0, x1), rows [y0, y1)).
std::vector<eval::Box> boxes_of(const BoxArray& boxes) {
    std::vector<eval::Box> out;
    for (std::size_t i = 0; i < boxes.shape(0); ++i) {
        const eval::Box b{boxes(i, 0), boxes(i, 1), boxes(i, 2), boxes(i, 3)};
        IGCAM_CHECK(b.x0 < b.x1 && b.y0 < b.y1, ValueError, "box ", i, " (", b.x0, ", ", b.y0, ", ", b.x1, ", ", b.y1,
                    ") is empty: a box is x0, y0, x1, y1 with x0 < x1 and y0 < y1");
        out.push_back(b);
    }
    return out;
}

eval::Ties ties_of(const std::string& ties) {
    if (ties == "fraction") return eval::Ties::Fraction;
    if (ties == "raster") return eval::Ties::Raster;
    detail::throw_error<ValueError>("unknown ties '", ties, "' (expected fraction or raster)");
}

}  // namespace

void bind_metrics(nb::module_& m) {
    m.def(
        "ebpg",
        [](const MapArray& map, const BoxArray& boxes) {
            const eval::Grid grid = grid_of(map);
            return eval::energy_pointing_game(grid, eval::box_mask(boxes_of(boxes), grid.height, grid.width));
        },
        nb::arg("map"), nb::arg("boxes"));
    m.def(
        "bbox",
        [](const MapArray& map, const BoxArray& boxes, const std::string& ties) {
            const eval::Grid grid = grid_of(map);
            return eval::bbox_accuracy(grid, eval::box_mask(boxes_of(boxes), grid.height, grid.width), ties_of(ties));
        },
        nb::arg("map"), nb::arg("boxes"), nb::arg("ties"));
    m.def(
        "pointing_game",
        [](const MapArray& map, const BoxArray& boxes, double tolerance) {
            IGCAM_CHECK(tolerance >= 0, ValueError, "tolerance must not be negative, got ", tolerance);
            const eval::PointingResult r = eval::pointing_game(grid_of(map), boxes_of(boxes), tolerance);
            return nb::make_tuple(r.hit, r.row, r.col);
        },
        nb::arg("map"), nb::arg("boxes"), nb::arg("tolerance"));
    m.def("confidence_drop", &eval::confidence_drop, nb::arg("original"), nb::arg("masked"));
    m.def("confidence_increase", &eval::confidence_increase, nb::arg("original"), nb::arg("masked"));
    m.def(
        "curve_area",
        [](const std::vector<double>& scores) {
            IGCAM_CHECK(scores.size() >= 2, ValueError, "a curve needs at least 2 scores, got ", scores.size());
            return eval::curve_area(scores);
        },
        nb::arg("scores"));
    m.def(
        "spearman",
        [](const std::vector<double>& a, const std::vector<double>& b) {
            IGCAM_CHECK(a.size() == b.size() && a.size() >= 2, ValueError,
                        "spearman needs two samples of the same length (at least 2), got ", a.size(), " and ", b.size());
            return eval::spearman(a, b);
        },
        nb::arg("a"), nb::arg("b"));
    m.def(
        "ssim",
        [](const MapArray& a, const MapArray& b, int64_t win_size, double data_range) {
            const eval::Grid ga = grid_of(a), gb = grid_of(b);
            IGCAM_CHECK(ga.height == gb.height && ga.width == gb.width, ShapeError, "ssim: the maps differ in size (",
                        ga.height, " x ", ga.width, " and ", gb.height, " x ", gb.width, ")");
            IGCAM_CHECK(win_size >= 3 && win_size % 2 == 1 && win_size <= std::min(ga.height, ga.width), ValueError,
                        "ssim: win_size must be odd, at least 3 and at most the maps' smaller side, got ", win_size);
            IGCAM_CHECK(data_range > 0, ValueError, "ssim: data_range must be positive, got ", data_range);
            return eval::ssim(ga, gb, win_size, data_range);
        },
        nb::arg("a"), nb::arg("b"), nb::arg("win_size"), nb::arg("data_range"));
}

}  // namespace igcam::python
