#!/usr/bin/python3
"""Train igcam's demo model: a small ResNet that classifies tools/demo_shapes.py images.

  tools/train_demo.py --out demo/model/shapes_resnet.h5 [--seed 0]

Deterministic and CPU-only (2 threads): the training images (seed 1000 + seed) and the
held-out images (seed 2000 + seed) come from tools/demo_shapes.py, the network is
export_torchvision.SmallResNet (basic blocks, one per stage, three stages, width 16, six
classes, 96x96 inputs), trained with AdamW + a one-cycle learning rate and random flips, then
evaluated on the held-out images and exported in igcam's HDF5 layout with the preprocessing
(pixel/255 - 0.5)/0.25, no resize, no crop. training.json, next to the .h5, records the
seed, epochs, images, wall time, final train loss and held-out accuracy.
Run with Debian's python3 (python3-torch 1.13, python3-torchvision, python3-h5py); nothing
is downloaded.
"""
import argparse
import json
import os
import sys
import time

START = time.perf_counter()
# OpenMP threads sleep instead of spinning while they wait: on a busy 2-core machine spinning
# threads slow training down more than tenfold. Waiting policy does not change any result.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_shapes  # noqa: E402
import export_torchvision  # noqa: E402

MEAN = [0.5, 0.5, 0.5]
STD = [0.25, 0.25, 0.25]
ARCH = {"block": "basic", "blocks": [1, 1, 1], "width": 16}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


def normalise(images_u8):
    """uint8 (N, H, W, 3) -> float32 (N, 3, H, W), (pixel/255 - mean)/std."""
    if not images_u8.flags.writeable:  # e.g. np.asarray of a PIL image
        images_u8 = images_u8.copy()
    x = torch.from_numpy(images_u8).permute(0, 3, 1, 2).float().div_(255.0)
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def evaluate(model, images, labels, batch=250):
    """Accuracy and per-class confusion matrix (rows: true, columns: predicted)."""
    model.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            preds.append(model(normalise(images[i:i + batch])).argmax(1))
    preds = torch.cat(preds).numpy()
    n = len(demo_shapes.CLASS_NAMES)
    confusion = np.zeros((n, n), np.int64)
    np.add.at(confusion, (labels, preds), 1)
    return float((preds == labels).mean()), confusion, preds


def check_folder(model, folder):
    """Predictions on a demo_shapes.py folder (its PNGs and boxes.json), read back from disk."""
    from PIL import Image
    with open(os.path.join(folder, "boxes.json")) as f:
        meta = json.load(f)
    images = np.stack([np.asarray(Image.open(os.path.join(folder, e["file"])).convert("RGB"))
                       for e in meta["images"]])
    labels = np.array([e["label"] for e in meta["images"]])
    accuracy, _, preds = evaluate(model, images, labels)
    return accuracy, [{"file": e["file"], "class": e["class"], "predicted": demo_shapes.CLASS_NAMES[p]}
                      for e, p in zip(meta["images"], preds)]


def dumps(record):
    """JSON with one top-level key a line (one epoch a line for the history)."""
    lines = []
    for key, value in record.items():
        if key == "history":
            text = "[\n" + ",\n".join("  " + json.dumps(h) for h in value) + "\n ]"
        else:
            text = json.dumps(value)
        lines.append(f" {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="output .h5 (training.json is written next to it)")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights, the data order and the images")
    p.add_argument("--train-images", type=int, default=12000, help="training images (generated once)")
    p.add_argument("--test-images", type=int, default=600, help="held-out images")
    p.add_argument("--epochs", type=int, default=14)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate of the one-cycle schedule")
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--size", type=int, default=96, help="image side")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--check", default=None, help="also report predictions on this demo_shapes.py folder")
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_flush_denormal(True)

    load_start = os.getloadavg()
    t0 = time.perf_counter()
    train_seed, test_seed = 1000 + args.seed, 2000 + args.seed
    train_x, train_y, _ = demo_shapes.make_dataset(args.train_images, train_seed, args.size)
    test_x, test_y, _ = demo_shapes.make_dataset(args.test_images, test_seed, args.size)
    data_s = time.perf_counter() - t0
    print(f"generated {args.train_images} training and {args.test_images} held-out images in {data_s:.1f} s",
          flush=True)

    names = demo_shapes.CLASS_NAMES
    model = export_torchvision.SmallResNet(ARCH["block"], ARCH["blocks"], ARCH["width"], len(names))
    decay = [p_ for n, p_ in model.named_parameters() if p_.ndim > 1]
    no_decay = [p_ for n, p_ in model.named_parameters() if p_.ndim <= 1]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    steps_per_epoch = args.train_images // args.batch  # the last partial batch is dropped
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                                    steps_per_epoch=steps_per_epoch, pct_start=0.15)
    generator = torch.Generator().manual_seed(args.seed)
    train_labels = torch.from_numpy(train_y)

    t1 = time.perf_counter()
    history = []
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(args.train_images, generator=generator)
        total_loss, total_correct, seen = 0.0, 0, 0
        for step in range(steps_per_epoch):
            idx = order[step * args.batch:(step + 1) * args.batch]
            x = normalise(train_x[idx.numpy()])
            y = train_labels[idx]
            # Random horizontal and vertical flips: every class's distribution is symmetric under both.
            flips = torch.rand(2, len(idx), generator=generator) < 0.5
            x = torch.where(flips[0].view(-1, 1, 1, 1), x.flip(3), x)
            x = torch.where(flips[1].view(-1, 1, 1, 1), x.flip(2), x)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * len(idx)
            total_correct += int((logits.argmax(1) == y).sum())
            seen += len(idx)
        history.append({"epoch": epoch + 1, "train_loss": round(total_loss / seen, 5),
                        "train_accuracy": round(total_correct / seen, 5),
                        "elapsed_s": round(time.perf_counter() - t1, 1)})
        print(f"epoch {epoch + 1:2d}/{args.epochs}: loss {total_loss / seen:.4f}, "
              f"train accuracy {total_correct / seen:.4f}, {time.perf_counter() - t1:.0f} s", flush=True)
    train_s = time.perf_counter() - t1

    model.eval()
    accuracy, confusion, _ = evaluate(model, test_x, test_y)
    print(f"held-out accuracy {accuracy:.4f} on {args.test_images} images (seed {test_seed})")
    per_class = {n: round(float(confusion[i, i] / confusion[i].sum()), 4) for i, n in enumerate(names)}
    print("per class: " + ", ".join(f"{n} {a:.3f}" for n, a in per_class.items()))

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    export_torchvision.export(model, "resnet", "torchvision", args.out, names=names,
                              preprocessing=("RGB", 1.0 / 255.0, MEAN, STD, 0, 0))
    wall_s = time.perf_counter() - START
    size_bytes = os.path.getsize(args.out)
    print(f"wrote {args.out} ({size_bytes} bytes); wall time {wall_s:.1f} s "
          f"(data {data_s:.1f} s, training {train_s:.1f} s)")

    record = {
        "command": "tools/train_demo.py " + " ".join(argv),
        "seed": args.seed,
        "train_images_seed": train_seed,
        "heldout_images_seed": test_seed,
        "architecture": {"arch": "resnet", **ARCH, "num_classes": len(names), "input_size": args.size,
                         "layers": ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3",
                                    "avgpool", "fc"], "cam_layer": "layer3",
                         "parameters": sum(p_.numel() for p_ in model.parameters())},
        "preprocessing": {"input_color": "RGB", "input_scale": 1.0 / 255.0, "mean": MEAN, "std": STD,
                          "resize": 0, "crop": 0},
        "classes": names,
        "epochs": args.epochs,
        "train_images": args.train_images,
        "images_seen": args.epochs * steps_per_epoch * args.batch,
        "batch": args.batch,
        "optimizer": f"AdamW, weight decay {args.weight_decay} (not on biases/BN), "
                     f"one-cycle learning rate (peak {args.lr}, 15% warm-up, cosine)",
        "augmentation": "random horizontal and vertical flips",
        "threads": args.threads,
        "wall_time_s": round(wall_s, 1),
        "cpu_time_s": round(time.process_time(), 1),
        "machine": f"{os.cpu_count()} CPUs, {cpu_model()}",
        "loadavg_1min_start_end": [round(load_start[0], 2), round(os.getloadavg()[0], 2)],
        "data_generation_s": round(data_s, 1),
        "training_s": round(train_s, 1),
        "final_train_loss": history[-1]["train_loss"],
        "final_train_accuracy": history[-1]["train_accuracy"],
        "heldout_images": args.test_images,
        "heldout_accuracy": round(accuracy, 4),
        "heldout_per_class_accuracy": per_class,
        "heldout_confusion": confusion.tolist(),
        "history": history,
        "weights_file": os.path.basename(args.out),
        "weights_bytes": size_bytes,
        "torch": torch.__version__,
        "numpy": np.__version__,
    }
    if args.check:
        demo_accuracy, predictions = check_folder(model, args.check)
        print(f"{args.check}: accuracy {demo_accuracy:.4f}: " +
              ", ".join(f"{q['file']} -> {q['predicted']}" for q in predictions))
        record["check"] = {"folder": args.check, "accuracy": demo_accuracy, "predictions": predictions}
    with open(os.path.join(os.path.dirname(os.path.abspath(args.out)), "training.json"), "w") as f:
        f.write(dumps(record))


if __name__ == "__main__":
    main(sys.argv[1:])
