// Score-CAM: channels weighted by the class score of the input masked with each channel.
// The masked inputs of all images of a batch, (image, channel) rows, run in the pipeline's
// chunks; each chunk makes only its own channels' masks, so a layer of 2048 channels never
// holds 2048 full-size masks at once.
#include <cfloat>

#include "autograd/grad_mode.h"
#include "cam/capture.h"
#include "cam/perturbation.h"
#include "cam/registry.h"
#include "cam/weighted_sum.h"
#include "core/error.h"
#include "core/ops.h"

namespace igcam::cam {

namespace {

// Channels [first, first + count) of one image's activations (1, K, h, w), upsampled to
// (count, 1, H, W) and scaled to [0, 1] each. A constant channel has max - min = 0 and a
// zero numerator, so the tiny addend makes it 0 rather than NaN.
Tensor channel_masks(const Tensor& activations_row, int64_t first, int64_t count, int64_t height, int64_t width) {
    const int64_t channels = activations_row.dim(1), h = activations_row.dim(2), w = activations_row.dim(3);
    const Tensor planes = activations_row.reshape(Shape{channels, 1, h, w}).slice_batch(first, first + count);
    const Tensor up = ops::resize_bilinear_forward(planes, height, width);
    const Tensor lo = ops::amin(up, {2, 3}, true), hi = ops::amax(up, {2, 3}, true);
    const double tiny = up.dtype() == DType::F32 ? FLT_MIN : DBL_MIN;
    return ops::div(ops::sub(up, lo), ops::affine(ops::sub(hi, lo), 1.0, tiny));
}

Tensor score_cam_maps(const models::Model& model, const Tensor& input, const Tensor& activations,
                      const std::vector<int64_t>& classes, ChunkLoop& rows, const Progress& progress) {
    IGCAM_CHECK(activations.rank() == 4 && input.rank() == 4 && activations.dim(0) == input.dim(0) &&
                    static_cast<int64_t>(classes.size()) == input.dim(0),
                ShapeError, "scorecam: activations ", activations.shape().to_string(), " and ", classes.size(),
                " classes do not match the input ", input.shape().to_string());
    ag::NoGradGuard no_grad;
    const int64_t images = input.dim(0), channels = activations.dim(1);
    const int64_t height = input.dim(2), width = input.dim(3);
    std::vector<std::vector<double>> scores(static_cast<std::size_t>(images),
                                            std::vector<double>(static_cast<std::size_t>(channels)));
    auto compute = [&](int64_t begin, int64_t end) {
        const std::vector<RowSegment> segments = segments_of(begin, end, channels);
        std::vector<Tensor> masked;
        std::vector<int64_t> row_classes;
        for (const RowSegment& seg : segments) {
            const Tensor masks = channel_masks(activations.slice_batch(seg.image, seg.image + 1), seg.first_item,
                                               seg.count, height, width);
            masked.push_back(ops::mul(input.slice_batch(seg.image, seg.image + 1), masks));  // (count, 3, H, W)
            row_classes.insert(row_classes.end(), static_cast<std::size_t>(seg.count), classes[seg.image]);
        }
        nn::ForwardContext ctx;
        const Tensor logits = model.forward(ag::Var(ops::concat_batch(masked)), ctx).value();
        return class_scores(logits, row_classes).to_vector();
    };
    const int64_t total = images * channels;
    rows.run(total, compute, [&](std::vector<double>&& chunk, int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) scores[i / channels][i % channels] = chunk[i - begin];
        report(progress, end, total);
    });
    std::vector<Tensor> maps;
    for (int64_t n = 0; n < images; ++n) {
        const Tensor s = Tensor::from_values(Shape{channels}, scores[n], activations.dtype(), activations.device());
        const Tensor weights = ops::softmax_forward(s, 0).reshape(Shape{1, channels, 1, 1});
        maps.push_back(relu_weighted_sum(weights, activations.slice_batch(n, n + 1)));
    }
    return ops::concat_batch(maps);
}

}  // namespace

Tensor scorecam(const models::Model& model, const Tensor& input, const Tensor& activations,
                const std::vector<int64_t>& classes, int64_t batch, const Progress& progress) {
    ChunkLoop rows(batch);
    return score_cam_maps(model, input, activations, classes, rows, progress);
}

MethodOutput compute_scorecam(const MethodContext& c) {
    return MethodOutput::of(score_cam_maps(c.model, c.input, c.activations, c.classes, c.rows, c.progress));
}

}  // namespace igcam::cam
