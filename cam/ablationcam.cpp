// Ablation-CAM: channels weighted by the score drop when each one is zeroed. The ablations
// of all images of a batch, (image, channel) rows, run in the pipeline's chunks.
#include <cmath>

#include "autograd/grad_mode.h"
#include "cam/capture.h"
#include "cam/perturbation.h"
#include "cam/registry.h"
#include "cam/weighted_sum.h"
#include "core/error.h"
#include "core/ops.h"

namespace igcam::cam {

namespace {

// Logits for replacement outputs of `layer` (rows, K, h, w), row r standing in for the
// layer's output on input row inputs[r]. The network resumes from the layer when it can
// (every ResNet stage and block, every VGG feature); otherwise the whole forward runs on
// the inputs with the layer's output swapped in.
Tensor rerun_from(const models::Model& model, const std::string& layer, const std::vector<Tensor>& inputs,
                  const Tensor& replaced) {
    nn::ForwardContext ctx;
    if (model.net->can_resume_from(layer)) return model.net->forward_from(layer, ag::Var(replaced), ctx).value();
    ctx.transform(layer, [&](const ag::Var&) { return ag::Var(replaced); });
    return model.forward(ag::Var(ops::concat_batch(inputs)), ctx).value();
}

Tensor ablation_cam_maps(const models::Model& model, const Tensor& input, const Tensor& activations,
                         const std::string& layer, const std::vector<int64_t>& classes, const Tensor& scores,
                         ChunkLoop& rows, const Progress& progress) {
    IGCAM_CHECK(activations.rank() == 4 && activations.dim(0) == input.dim(0) && scores.numel() == input.dim(0) &&
                    static_cast<int64_t>(classes.size()) == input.dim(0),
                ShapeError, "ablationcam: activations ", activations.shape().to_string(), " and scores ",
                scores.shape().to_string(), " do not match the input ", input.shape().to_string());
    ag::NoGradGuard no_grad;
    const int64_t images = activations.dim(0), channels = activations.dim(1);
    const std::vector<double> original = scores.to_vector();
    std::vector<std::vector<double>> weights(static_cast<std::size_t>(images),
                                             std::vector<double>(static_cast<std::size_t>(channels)));
    // A chunk holds each of its image segments as count + 1 rows: row 0 keeps every channel,
    // row 1 + b zeroes channel first_item + b. So a pass runs up to `rows` ablations plus one
    // row per image it touches (at most two more for a chunk smaller than a channel count).
    // NOTE: the unablated score is recomputed in the same pass as the ablated ones. A score
    // drop is a difference of two nearly equal numbers, so it must come from the same
    // arithmetic: a float32 GEMM may sum in another order for 1 row than for 129 (oneDNN's
    // does): subtracting the capture's score left errors of 2.9e-4 relative in TorchRay's
    // ResNet-50 map against float64; from one pass, 9.3e-6.
    auto compute = [&](int64_t begin, int64_t end) {
        const std::vector<RowSegment> segments = segments_of(begin, end, channels);
        std::vector<Tensor> ablated, inputs;
        std::vector<int64_t> row_classes;
        for (const RowSegment& seg : segments) {
            const int64_t segment_rows = seg.count + 1;
            std::vector<double> keep(static_cast<std::size_t>(segment_rows * channels), 1.0);
            for (int64_t b = 0; b < seg.count; ++b) keep[(b + 1) * channels + seg.first_item + b] = 0.0;
            const Tensor a = activations.slice_batch(seg.image, seg.image + 1);
            ablated.push_back(ops::mul(a, Tensor::from_values(Shape{segment_rows, channels, 1, 1}, keep, a.dtype(), a.device())));
            inputs.insert(inputs.end(), static_cast<std::size_t>(segment_rows), input.slice_batch(seg.image, seg.image + 1));
            row_classes.insert(row_classes.end(), static_cast<std::size_t>(segment_rows), classes[seg.image]);
        }
        const std::vector<double> score =
            class_scores(rerun_from(model, layer, inputs, ops::concat_batch(ablated)), row_classes).to_vector();
        std::vector<double> drops;
        std::size_t at = 0;
        for (const RowSegment& seg : segments) {
            // A zero score would divide by zero; keep its sign with a tiny magnitude instead.
            const double y = original[seg.image], base = std::abs(y) < 1e-12 ? std::copysign(1e-12, y) : y;
            for (int64_t b = 1; b <= seg.count; ++b) drops.push_back((score[at] - score[at + b]) / base);
            at += seg.count + 1;
        }
        return drops;
    };
    const int64_t total = images * channels;
    rows.run(total, compute, [&](std::vector<double>&& drops, int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) weights[i / channels][i % channels] = drops[i - begin];
        report(progress, end, total);
    });
    std::vector<Tensor> maps;
    for (int64_t n = 0; n < images; ++n) {
        const Tensor a = activations.slice_batch(n, n + 1);
        maps.push_back(relu_weighted_sum(Tensor::from_values(Shape{1, channels, 1, 1}, weights[n], a.dtype(), a.device()), a));
    }
    return ops::concat_batch(maps);
}

}  // namespace

Tensor ablationcam(const models::Model& model, const Tensor& input, const Tensor& activations,
                   const std::string& layer, const std::vector<int64_t>& classes, const Tensor& scores,
                   int64_t batch, const Progress& progress) {
    ChunkLoop rows(batch);
    return ablation_cam_maps(model, input, activations, layer, classes, scores, rows, progress);
}

MethodOutput compute_ablationcam(const MethodContext& c) {
    return MethodOutput::of(ablation_cam_maps(c.model, c.input, c.activations, c.layer, c.classes, c.scores, c.rows,
                                          c.progress));
}

}  // namespace igcam::cam
