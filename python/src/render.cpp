// Heatmaps over pictures, as igcam-run draws its PNGs (cam/render.h, cam/postprocess.h).
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "cam/colormap.h"
#include "cam/postprocess.h"
#include "cam/render.h"
#include "python/src/arrays.h"
#include "python/src/bindings.h"

namespace nb = nanobind;

namespace igcam::python {

namespace {


// map (h, w) -> (1, 1, height, width): upsampled bilinearly when its size differs, then
// normalised to [0, 1) unless `normalize` is false (then it must already lie in [0, 1]).
Tensor heat_for(const MapArray& map, int64_t height, int64_t width, bool normalize) {
    const int64_t h = static_cast<int64_t>(map.shape(0)), w = static_cast<int64_t>(map.shape(1));
    IGCAM_CHECK(h > 0 && w > 0, ShapeError, "overlay: the map is empty (", h, " x ", w, ")");
    Tensor t = Tensor::from_values(Shape{1, 1, h, w}, std::vector<double>(map.data(), map.data() + map.size()), DType::F64);
    if (h != height || w != width) t = cam::upsample_map(t, height, width);
    return normalize ? cam::normalize_maps(t) : t;
}

nb::object overlay(const PixelArray& image, const MapArray& map, const std::string& colormap, double alpha,
                   bool normalize) {
    const io::Image base = image_from_numpy(image, "overlay: image");
    const cam::Colormap cmap = cam::parse_colormap(colormap);
    io::Image out;
    {
        nb::gil_scoped_release release;
        out = cam::overlay(base, heat_for(map, base.height, base.width, normalize), cmap, alpha);
    }
    return image_to_numpy(std::move(out));
}

nb::object colorize(const MapArray& map, const std::string& colormap) {
    const Tensor heat = heat_for(map, static_cast<int64_t>(map.shape(0)), static_cast<int64_t>(map.shape(1)), false);
    return image_to_numpy(cam::apply_colormap(heat, cam::parse_colormap(colormap)));
}

}  // namespace

void bind_render(nb::module_& m) {
    m.def("overlay", &overlay, nb::arg("image"), nb::arg("map"), nb::arg("colormap"), nb::arg("alpha"),
          nb::arg("normalize"), "A heatmap blended over an RGB picture (igcam.overlay documents the arguments).");
    m.def("colorize", &colorize, nb::arg("map"), nb::arg("colormap"),
          "A map in [0, 1] through a colormap, as (h, w, 3) uint8.");
    m.def("colormap_names", &cam::colormap_names, "The colormaps overlay accepts.");
}

}  // namespace igcam::python
