"""The forms images come in: files, uint8 (H, W, 3) pictures, float (N, 3, H, W) model inputs."""
import os

import numpy as np
import pytest
import torch
from PIL import Image

import igcam

METHODS = ["gradcam", "gradcam++", "igcam"]


@pytest.fixture(scope="module")
def model(resnet18):
    return igcam.load(resnet18[0], device="cpu", dtype="float32", preprocess="torchvision")


def test_uint8_pictures_equal_their_files(work, model, pictures):
    folder = os.path.join(work, "pictures")
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i, picture in enumerate(pictures):
        paths.append(os.path.join(folder, f"picture{i}.png"))
        Image.fromarray(picture).save(paths[-1])
    from_files = model.explain(paths, methods=METHODS, steps=8)
    from_folder = model.explain(folder, methods=["gradcam"])  # a folder: its images, sorted by name
    assert from_folder.paths == sorted(paths)
    assert np.array_equal(from_folder.maps["gradcam"], from_files.maps["gradcam"])
    from_list = model.explain(pictures, methods=METHODS, steps=8)
    one = model.explain(pictures[1], methods=METHODS, steps=8)
    for method in METHODS:
        assert np.array_equal(from_files.maps[method], from_list.maps[method])
        assert np.array_equal(from_list.maps[method][1], one.maps[method][0])
    assert [i.shape for i in from_list.images] == [(224, 224, 3)] * 2
    assert np.array_equal(from_files.images[0], from_list.images[0])
    stacked = model.explain(np.stack([pictures[0], pictures[0]]), methods=["gradcam"])  # (N, H, W, 3)
    assert np.array_equal(stacked.maps["gradcam"][0], stacked.maps["gradcam"][1])
    assert np.array_equal(stacked.maps["gradcam"][0], from_list.maps["gradcam"][0])


def test_float_inputs_equal_torchvision_preprocessing(model, pictures):
    """A picture, and the same picture through torchvision's transforms as a float NCHW array."""
    import torchvision.transforms as T
    transform = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                           T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    x = torch.stack([transform(Image.fromarray(p)) for p in pictures])  # (2, 3, 224, 224) float32
    from_pictures = model.explain(pictures, methods=METHODS, steps=8)
    from_arrays = model.explain(x.numpy(), methods=METHODS, steps=8)
    from_tensor = model.explain(x, methods=["gradcam"])  # a PyTorch tensor is accepted too
    from_rows = model.explain([x[0].numpy(), x[1].numpy()], methods=["gradcam"])  # a list of (3, H, W)
    assert from_arrays.images is None
    assert np.array_equal(from_tensor.maps["gradcam"], from_arrays.maps["gradcam"])
    assert np.array_equal(from_rows.maps["gradcam"], from_arrays.maps["gradcam"])
    for method in METHODS:
        a, b = from_pictures.maps[method], from_arrays.maps[method]
        error = np.abs(a - b).max() / np.abs(b).max()
        # Both are float32 runs of the same network; igcam computes (pixel / 255 - mean) / std in
        # double and rounds once, torchvision rounds after each of its steps: inputs that differ
        # in the last bit of float32.
        assert error <= 1e-5, f"{method}: {error:.3g}"
    # float64 arrays run in the model's float32 (converted, as documented).
    from_f64 = model.explain(x.numpy().astype(np.float64), methods=["gradcam"])
    assert np.array_equal(from_f64.maps["gradcam"], from_arrays.maps["gradcam"])


def test_results_are_shaped_as_documented(model, pictures):
    result = model.explain(pictures, methods="gradcam,igcam", steps=4)
    assert result.maps["gradcam"].shape == (2, 7, 7) and result.maps["gradcam"].dtype == np.float32
    assert result.upsampled["igcam"].shape == result.heatmaps["igcam"].shape == (2, 224, 224)
    heat = result.heatmaps["igcam"]
    assert heat.min() >= 0 and heat.max() < 1
    assert result.logits.shape == (2, 10) and result.classes.dtype == np.int64
    assert np.array_equal(result.scores, result.logits[np.arange(2), result.classes])
    # Handed to numpy without a copy: the arrays view igcam's tensors.
    assert not result.maps["gradcam"].flags.owndata and not result.heatmaps["igcam"].flags.owndata
    assert result.igcam is not None and result.igcam.steps == 4
    assert np.array_equal(result.igcam.score_input, result.scores)
    # Raw inputs of different sizes ("raw": no resize or crop) give one array per image.
    raw = igcam.load(model.source, device="cpu", preprocess="raw").explain(pictures, methods="gradcam")
    assert isinstance(raw.maps["gradcam"], list)
    assert [m.shape for m in raw.maps["gradcam"]] == [(5, 5), (4, 6)]
    assert [u.shape for u in raw.upsampled["gradcam"]] == [(150, 130), (120, 170)]


def test_predict_matches_pytorch(resnet18):
    path, torch_model = resnet18
    x = torch.randn(3, 3, 64, 64, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    with torch.no_grad():
        expected = torch_model(x).numpy()
    model = igcam.load(path, device="cpu", dtype="float64")
    prediction = model.predict(x.numpy(), topk=3)
    assert np.abs(prediction.logits - expected).max() <= 1e-9 * np.abs(expected).max()
    assert np.allclose(prediction.probabilities, torch.softmax(torch.from_numpy(expected), 1).numpy(), atol=1e-12)
    assert (prediction.top_classes == np.argsort(-expected, axis=1)[:, :3]).all()
    assert prediction.top_names == [[model.class_names[c] for c in row] for row in prediction.top_classes]


def test_layers_match_pytorch(resnet18):
    path, torch_model = resnet18
    shapes = {}
    hooks = [m.register_forward_hook(lambda m, i, o, n=n: shapes.__setitem__(n, tuple(o.shape)))
             for n, m in torch_model.named_modules() if n]
    with torch.no_grad():
        torch_model(torch.zeros(1, 3, 96, 80, dtype=torch.float64))
    for h in hooks:
        h.remove()
    layers = igcam.load(path, device="cpu").layers(size=(96, 80))
    assert layers[0].name == "" and layers[0].output_shape == (1, 10)
    named = {layer.name: layer for layer in layers[1:]}
    assert set(named) == set(shapes), set(named) ^ set(shapes)
    for name, shape in shapes.items():
        assert named[name].output_shape == shape, name
        assert named[name].type == type(dict(torch_model.named_modules())[name]).__name__
    # Parameters and batch-norm statistics (not the step counter num_batches_tracked).
    stored = sum(p.numel() for p in torch_model.parameters()) + sum(
        b.numel() for n, b in torch_model.named_buffers() if not n.endswith("num_batches_tracked"))
    assert layers[0].parameters == stored


def test_trace_matches_pytorch_gradient(resnet18):
    """The trace's entry for the target layer has the L2 norm of PyTorch's dy/dA there."""
    path, torch_model = resnet18
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    caught = {}
    def catch_gradient(module, inputs, output):
        output.register_hook(lambda g: caught.setdefault("g", g))

    hook = torch_model.layer4.register_forward_hook(catch_gradient)
    logits = torch_model(x)
    logits[0, int(logits.argmax())].backward()
    hook.remove()
    torch_model.zero_grad()
    result = igcam.load(path, device="cpu", dtype="float64").explain(x.numpy(), methods=["gradcam"], trace=True)
    trace = result.traces[0]
    assert "layer4" in trace["table"]
    entry = next(e for e in trace["entries"] if e["name"] == "layer4")
    expected = float(caught["g"].norm())
    assert abs(entry["l2"] - expected) <= 1e-10 * expected
    assert entry["shape"][1:] == (512, 2, 2)
