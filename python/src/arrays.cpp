#include "python/src/arrays.h"

#include <cstring>
#include <utility>

#include "core/ops.h"

namespace igcam::python {

nb::object to_numpy(const Tensor& t, const std::vector<std::size_t>& shape) {
    Tensor host = ops::to_plain(t.to(Device::cpu()));
    std::size_t count = 1;
    for (std::size_t d : shape) count *= d;
    IGCAM_CHECK(static_cast<int64_t>(count) == host.numel(), ShapeError, "to_numpy: the shape holds ", count,
                " values, the tensor ", host.numel());
    auto* kept = new Tensor(host);
    nb::capsule owner(kept, [](void* p) noexcept { delete static_cast<Tensor*>(p); });
    void* data = const_cast<void*>(kept->raw_data());
    const nb::dlpack::dtype dtype = host.dtype() == DType::F64 ? nb::dtype<double>() : nb::dtype<float>();
    return nb::cast(nb::ndarray<nb::numpy>(data, shape.size(), shape.data(), owner, nullptr, dtype));
}

nb::object to_numpy(const Tensor& t) {
    std::vector<std::size_t> shape;
    for (int i = 0; i < t.rank(); ++i) shape.push_back(static_cast<std::size_t>(t.dim(i)));
    return to_numpy(t, shape);
}

namespace {

template <typename T>
nb::object owned_array(std::vector<T> values, std::vector<std::size_t> shape) {
    auto* kept = new std::vector<T>(std::move(values));
    nb::capsule owner(kept, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
    return nb::cast(nb::ndarray<nb::numpy, T>(kept->data(), shape.size(), shape.data(), owner));
}

}  // namespace

nb::object int_array(const std::vector<int64_t>& values) { return owned_array(values, {values.size()}); }

nb::object float_array(const std::vector<double>& values) { return owned_array(values, {values.size()}); }

nb::object image_to_numpy(io::Image image) {
    const std::vector<std::size_t> shape{static_cast<std::size_t>(image.height), static_cast<std::size_t>(image.width), 3};
    return owned_array(std::move(image.rgb), shape);
}

io::Image image_from_numpy(const PixelArray& pixels, const std::string& what) {
    IGCAM_CHECK(pixels.shape(2) == 3, ShapeError, what, ": a uint8 image must be (H, W, 3) RGB, got (", pixels.shape(0),
                ", ", pixels.shape(1), ", ", pixels.shape(2), ")");
    io::Image image;
    image.height = static_cast<int64_t>(pixels.shape(0));
    image.width = static_cast<int64_t>(pixels.shape(1));
    image.rgb.assign(pixels.data(), pixels.data() + pixels.size());
    io::check_image(image, what);
    return image;
}

Tensor tensor_from_numpy(const FloatArray& array, DType dtype) {
    const bool f32 = array.dtype() == nb::dtype<float>(), f64 = array.dtype() == nb::dtype<double>();
    IGCAM_CHECK(f32 || f64, DTypeError, "a preprocessed input must hold float32 or float64 values");
    const Shape shape{static_cast<int64_t>(array.shape(0)), static_cast<int64_t>(array.shape(1)),
                      static_cast<int64_t>(array.shape(2)), static_cast<int64_t>(array.shape(3))};
    Tensor t = Tensor::empty(shape, f64 ? DType::F64 : DType::F32);
    std::memcpy(t.mutable_raw_data(), array.data(), t.bytes());
    return t.to(dtype);
}

}  // namespace igcam::python
