// Preprocessing: from a decoded RGB image to the model's input tensor (1, 3, H, W).
//
// Each preset reproduces one reference pipeline exactly (resize arithmetic included), so a
// model converted from PyTorch or Keras sees the input it was trained and checked with:
//   "torchvision"  torchvision 0.14 Resize(256) + CenterCrop(224) + ToTensor + Normalize:
//                  PIL's antialiased bilinear on the uint8 image, ImageNet mean/std, RGB.
//   "torchray-voc" TorchRay's VOC transform: ToTensor, F.interpolate(bilinear,
//                  align_corners=False, no antialias) of the shorter side to 224, no crop,
//                  x*255 - (123.68, 116.779, 103.939), RGB.
//   "caffe-bgr"    Keras load_img(target_size=(224, 224)) (PIL NEAREST, aspect not kept) +
//                  imagenet_utils caffe mode: BGR, minus (103.939, 116.779, 123.68).
//   "raw"          no resize or crop, RGB in [0, 1].
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/io/image.h"
#include "core/tensor.h"

namespace igcam::models {

// ShorterSide: the shorter side becomes `resize`, the longer int(resize * long / short)
// (truncated, as torchvision); Exact: resize x resize (aspect ratio not kept).
enum class ResizeMode { None, ShorterSide, Exact };
// PilBilinear / PilNearest: PIL 9.4 Image.resize(BILINEAR / NEAREST) on the uint8 image;
// TorchBilinear: F.interpolate(bilinear, align_corners=False, antialias=False) on floats.
enum class ResizeFilter { PilBilinear, TorchBilinear, PilNearest };

struct Preprocess {
    std::string name;
    ResizeMode resize_mode = ResizeMode::None;
    int64_t resize = 0;
    ResizeFilter filter = ResizeFilter::PilBilinear;
    // Centre crop to crop x crop after resizing, 0 = none; top = int(round((H - crop) / 2.0))
    // with Python's round (half to even), left likewise (torchvision's center_crop).
    int64_t crop = 0;
    bool bgr = false;  // the model takes channels in BGR order
    // input = (pixel * scale - mean[c]) / std[c], with c in the model's channel order.
    double scale = 1.0;
    std::array<double, 3> mean{0, 0, 0}, std{1, 1, 1};
};

// "torchvision", "torchray-voc", "caffe-bgr", "raw"; another name throws ValueError listing these.
Preprocess preprocess_preset(const std::string& name);
std::vector<std::string> preprocess_preset_names();

// One image as the model sees it, made by one pass of resizing and cropping.
struct Preprocessed {
    io::Image view;  // the resized and cropped RGB image (for overlays); TorchBilinear's
                     // float pixels (in the run's dtype) rounded half to even, only here
    Tensor tensor;   // the model input (1, 3, H, W), from the unrounded pixels
};
Preprocessed preprocess(const io::Image& image, const Preprocess& preprocess, DType dtype = DType::F32);
// Its parts alone.
io::Image preprocess_view(const io::Image& image, const Preprocess& preprocess);
Tensor preprocess_image(const io::Image& image, const Preprocess& preprocess, DType dtype = DType::F32);
// (N, 3, H, W); every image must come out the same size, else ShapeError naming both sizes.
Tensor preprocess_batch(const std::vector<io::Image>& images, const Preprocess& preprocess,
                        DType dtype = DType::F32);

// ---- the steps, exposed for tests and for callers that need the geometry ---------------

using io::ImageSize;  // {height, width}
// The size after the preset's resize (before the crop).
ImageSize resized_size(int64_t height, int64_t width, const Preprocess& preprocess);
// The model input's height and width for an image of this size (after resize and crop).
// Throws ShapeError when the crop does not fit.
ImageSize model_input_size(int64_t height, int64_t width, const Preprocess& preprocess);
// The input size to show a model's layers at without an image: the crop, else the resize,
// else 224 x 224.
ImageSize default_input_size(const Preprocess& preprocess);

// The first row/column of a centre crop of `crop` out of `size`: int(round((size - crop) / 2.0)),
// rounding halves to even as Python does. Requires 0 < crop <= size (ShapeError otherwise).
int64_t center_crop_start(int64_t size, int64_t crop);

// PIL 9.4 Image.resize((out_width, out_height), Image.BILINEAR) of an RGB image: a triangle
// filter widened by the downscale factor (antialiased), 22-bit fixed-point coefficients,
// horizontal pass then vertical, each rounded and clipped to uint8; a pass is skipped when
// its dimension does not change.
io::Image resize_pil_bilinear(const io::Image& image, int64_t out_height, int64_t out_width);
// PIL 9.4 Image.resize(..., Image.NEAREST): source index int(x0 + k * in / out) with x0 =
// in / out / 2, the position accumulated in double exactly as PIL's ImagingScaleAffine does.
io::Image resize_pil_nearest(const io::Image& image, int64_t out_height, int64_t out_width);
// The height x width window whose top-left pixel is (top, left); it must lie inside.
io::Image crop_image(const io::Image& image, int64_t top, int64_t left, int64_t height, int64_t width);

}  // namespace igcam::models
