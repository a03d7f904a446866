#!/usr/bin/python3
"""PyTorch's own weight files, written by PyTorch and the safetensors package, and malformed ones.

Usage: torch_files.py OUTDIR

Good files: seeded random-weight torchvision resnet18, resnet50, vgg16 and vgg16_bn (biases and
batch-norm statistics randomised) saved by torch.save(model.state_dict()) and by
safetensors.torch.save_file in F32, F16 and BF16, plus checkpoint forms for resnet18 (a dict
with "state_dict", "epoch" and an optimizer's state; "model" with nn.DataParallel's "module."
keys) and a float16 torch.save. For each, PyTorch's float64 logits of the weights as stored
(rounded to float16/bfloat16 where the file is) for a batch of 2 at 64x64.

Malformed files: a small ResNet's state dict broken one way per file, in both formats. Pickles
that would run code (os.system, eval, subprocess.Popen, ...) touch OUTDIR/MARKER when
unpickled by Python; the script proves that (in a child process) and removes the marker, so a
marker found after igcam has read them means igcam ran code.

Writes OUTDIR/torch_files.json: {"models": [...], "malformed": [{"file", "message"}],
"marker": "MARKER"} where message is a substring of igcam's error after "{path}: ".
Runs in tools/install_metrics_env.sh's environment (it has the safetensors package); when
started with another python it installs that environment and re-executes itself there.
"""
import collections
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metrics_env  # noqa: E402

MODELS = [("resnet18", 0), ("resnet50", 1), ("vgg16", 2), ("vgg16_bn", 3)]
CLASSES = 10
SIZE = 64


# ---- good files --------------------------------------------------------------------------------

def logits_of(model, state, x):
    """PyTorch's float64 logits with the weights as stored (rounded to their dtype)."""
    import torch
    model.load_state_dict({k: v.to(torch.float64) if v.is_floating_point() else v for k, v in state.items()})
    with torch.no_grad():
        return model.double().eval()(x).numpy()


def good_files(out, manifest):
    import numpy as np
    import torch
    import export_torchvision
    from safetensors.torch import save_file

    x = torch.randn(2, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    np.save(os.path.join(out, "input.npy"), x.numpy())
    for arch, seed in MODELS:
        torch.manual_seed(seed)
        model = export_torchvision.randomize(export_torchvision.build(arch, "torchvision", CLASSES), seed)
        state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        files = []

        def add(name, stored, reference_state):
            logits = logits_of(model, reference_state, x)
            np.save(os.path.join(out, name + ".logits.npy"), logits)
            files.append({"file": name, "stored": stored, "logits": name + ".logits.npy"})

        torch.save(state, os.path.join(out, arch + ".pth"))
        add(arch + ".pth", "F32", state)
        for label, dtype in (("F32", torch.float32), ("F16", torch.float16), ("BF16", torch.bfloat16)):
            cast = {k: (v.to(dtype) if v.is_floating_point() else v).contiguous() for k, v in state.items()}
            save_file(cast, os.path.join(out, f"{arch}.{label.lower()}.safetensors"))
            add(f"{arch}.{label.lower()}.safetensors", label, cast)
        if arch == "resnet18":
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
            model.float()
            model.load_state_dict(state)
            model.train()
            model(torch.randn(2, 3, SIZE, SIZE)).sum().backward()
            optimizer.step()  # momentum buffers: more tensors and Python values in the file
            model.eval()
            trained = {k: v.detach().clone() for k, v in model.state_dict().items()}
            torch.save({"epoch": 3, "state_dict": trained, "optimizer": optimizer.state_dict(), "best": 0.5},
                       os.path.join(out, "resnet18.checkpoint.pth"))
            add("resnet18.checkpoint.pth", "F32", trained)
            torch.save({"model": {"module." + k: v for k, v in state.items()}},
                       os.path.join(out, "resnet18.dataparallel.pth"))
            add("resnet18.dataparallel.pth", "F32", state)
            half = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
            torch.save(half, os.path.join(out, "resnet18.f16.pth"))
            add("resnet18.f16.pth", "F16", half)
        manifest["models"].append({"arch": arch, "files": files})


# ---- malformed torch.save archives --------------------------------------------------------------

class Storage:
    """What torch.save pickles for a storage: a persistent id, bytes in the archive."""
    def __init__(self, key, type_name, numel):
        self.key, self.type_name, self.numel = key, type_name, numel


class Rebuild:
    """A tensor as torch.save pickles it: _rebuild_tensor_v2(storage, offset, size, stride, ...)."""
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, tuple(size), tuple(stride), False, collections.OrderedDict())

    def __reduce__(self):
        import torch
        return (torch._utils._rebuild_tensor_v2, self.args)


class Payload:
    """An object whose unpickling runs `call(*args)`: what a hostile file carries."""
    def __init__(self, call, args):
        self.call, self.args = call, args

    def __reduce__(self):
        return (self.call, self.args)


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        import torch
        if isinstance(obj, Storage):
            return ("storage", getattr(torch, obj.type_name), obj.key, "cpu", obj.numel)
        return None


def pickled(obj, protocol=2):
    buffer = io.BytesIO()
    # fix_imports=False: Python 3's names (builtins.eval), not protocol 2's Python 2 aliases.
    TorchPickler(buffer, protocol=protocol, fix_imports=False).dump(obj)
    return buffer.getvalue()


def write_zip(path, members, compress=None):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = compress.get(name, zipfile.ZIP_STORED) if compress else zipfile.ZIP_STORED
            z.writestr(info, data)


def small_state():
    import torch
    import export_torchvision
    torch.manual_seed(0)
    model = export_torchvision.randomize(export_torchvision.build_custom("resnet", CLASSES), 0)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def archive_of(state, extra=None, as_int64=()):
    """The members of a torch.save archive for `state`, written by our own pickler so that the
    pickle can be edited; `extra` maps keys to further values (payloads, ...), which come
    first so that a payload runs first; keys in `as_int64` are stored as LongStorage."""
    import numpy as np
    members, entries = [], collections.OrderedDict(extra or {})
    for i, (k, v) in enumerate(state.items()):
        if k in as_int64:
            v = v.to(dtype=__import__("torch").int64)
        data = v.contiguous().numpy().tobytes()
        type_name = {"float32": "FloatStorage", "int64": "LongStorage"}[str(v.numpy().dtype)]
        storage = Storage(str(i), type_name, v.numel())
        stride = [int(s) for s in np.array(v.stride())] if v.dim() else []
        entries[k] = Rebuild(storage, 0, list(v.shape), stride)
        members.append((f"archive/data/{i}", data))
    return entries, members


def save_archive(path, entries, members, pickle_bytes=None, prefix="archive/", compress=None):
    data = pickle_bytes if pickle_bytes is not None else pickled(entries)
    write_zip(path, [(prefix + "data.pkl", data)] + members + [(prefix + "version", b"3\n")], compress)


def malformed_pth(out, cases, marker):
    import numpy as np
    import torch
    import subprocess as sp
    state = small_state()
    good = os.path.join(out, "small.pth")
    torch.save(state, good)
    hostile = []  # files whose pickle runs code under Python's pickle

    def case(name, message, entries=None, members=None, pickle_bytes=None, raw=None, code=False, **kw):
        path = os.path.join(out, "bad_" + name + ".pth")
        if raw is not None:
            with open(path, "wb") as f:
                f.write(raw)
        else:
            e, m = archive_of(state) if entries is None and members is None else (entries, members)
            save_archive(path, e, m, pickle_bytes, **kw)
        cases.append({"file": os.path.basename(path), "message": message})
        if code:
            hostile.append(path)

    touch = f"touch {marker}"
    for label, call, args, named in [
        ("os_system", os.system, (touch,), "'posix.system'"),
        ("builtins_eval", eval, (f"__import__('os').system({touch!r})",), "'builtins.eval'"),
        ("builtins_exec", exec, (f"__import__('os').system({touch!r})",), "'builtins.exec'"),
        ("subprocess_popen", sp.Popen, (["touch", marker],), "'subprocess.Popen'"),
        ("builtins_open", open, (marker, "w"), "'io.open'"),
    ]:
        e, m = archive_of(state, {"fc.extra": Payload(call, args)})
        case("global_" + label, "the pickle names the global " + named, e, m, code=True)
    # __reduce__ tricks: the callable itself fetched through getattr or __import__.
    e, m = archive_of(state, {"trick": Payload(getattr, ("text", "upper"))})
    case("getattr_trick", "the pickle names the global 'builtins.getattr'", e, m)
    e, m = archive_of(state, {"trick": Payload(__import__, ("os",))})
    case("import_trick", "the pickle names the global 'builtins.__import__'", e, m)
    e, m = archive_of(state, {"fc.extra": Payload(os.system, (touch,))})
    case("stack_global", "the pickle names the global 'posix.system'", e, m, pickle_bytes=pickled(e, protocol=4),
         code=True)
    # A whole module pickled (torch.save(model)), a numpy array, torch.load itself.
    import export_torchvision
    torch.save(export_torchvision.build_custom("resnet", CLASSES), os.path.join(out, "bad_whole_module.pth"))
    cases.append({"file": "bad_whole_module.pth", "message": "the pickle names the global 'export_torchvision."})
    e, m = archive_of(state, {"numpy": np.zeros(3)})
    case("numpy_array", "the pickle names the global 'numpy.core.multiarray._reconstruct'", e, m)
    e, m = archive_of(state, {"load": Payload(torch.load, ("x",))})
    case("torch_load", "the pickle names the global 'torch.serialization.load'", e, m)
    e, m = archive_of(state)
    # Opcodes a state dict never uses: INST (protocol 0) and NEWOBJ.
    case("opcode_inst", "the pickle opcode INST", e, m,
         pickle_bytes=b"\x80\x02(X\x07\x00\x00\x00touch mios\nsystem\n.", code=False)
    case("opcode_newobj", "the pickle opcode NEWOBJ", e, m, pickle_bytes=b"\x80\x02)\x81.")
    case("pickle_truncated", "the pickle is truncated", e, m, pickle_bytes=pickled(e)[:200])
    case("pickle_bad_memo", "GET of memo entry 5, which was never stored", e, m, pickle_bytes=b"\x80\x02h\x05.")
    case("pickle_underflow", "the pickle's stack underflows", e, m, pickle_bytes=b"\x80\x02\x85.")
    case("pickle_not_dict", "data.pkl does not hold a dict of tensors", e, m, pickle_bytes=pickled([1, 2]))
    case("pickle_protocol", "pickle protocol 9", e, m, pickle_bytes=b"\x80\x09}.")
    # The archive itself.
    case("zip_dotdot", "has a path outside the archive", e, m + [("archive/../../escape", b"x")])
    case("zip_absolute", "has a path outside the archive", e, m + [("/tmp/escape", b"x")])
    bomb = [(n, d) for n, d in m] + [("archive/data/bomb", b"\0" * (300 << 20))]
    case("zip_bomb", "(a zip bomb?); refused", e, bomb, compress={"archive/data/bomb": zipfile.ZIP_DEFLATED})
    with open(good, "rb") as f:
        data = f.read()
    case("truncated_half", "is a truncated zip archive", raw=data[: len(data) // 2])
    case("truncated_tail", "is a truncated zip archive", raw=data[:-10])
    case("no_data_pkl", "is a zip archive without <name>/data.pkl", members=m, entries=e,
         pickle_bytes=None, prefix="other/x/")
    path = os.path.join(out, "bad_keras_archive.pth")
    write_zip(path, [("config.json", b"{}"), ("model.weights.h5", b"x")])
    cases.append({"file": "bad_keras_archive.pth", "message": "model.weights.h5: not an HDF5 file"})
    # Storages and tensors that do not fit each other.
    short = [(n, d[:-4]) if n == "archive/data/0" else (n, d) for n, d in m]
    case("storage_short", "bytes, but its FloatStorage declares", e, short)
    missing = [(n, d) for n, d in m if n != "archive/data/0"]
    case("storage_missing", "its storage member 'archive/data/0' is missing", e, missing)
    e2, m2 = archive_of(state)
    first = next(iter(e2))
    storage, offset, size, stride = e2[first].args[:4]
    e2[first] = Rebuild(storage, 5, size, stride)
    case("tensor_past_storage", "the tensor reaches past the end of its storage", e2, m2)
    e2[first] = Rebuild(storage, 0, [2, 2], [2 ** 33, 2 ** 33])  # offsets that overflow 64 bits if multiplied out
    case("stride_overflow", "the tensor reaches past the end of its storage", e2, m2)
    e5, m5 = archive_of(state)
    bias_storage = e5["fc.bias"].args[0]
    e5["fc.weight"] = Rebuild(bias_storage, 0, list(state["fc.weight"].shape), [0, 0])  # 160 elements from 10
    case("stride_zero", "(a state dict's tensors do not overlap themselves)", e5, m5)
    # Hostile shapes of the pickle itself: a million nested tuples, a dict that holds itself
    # under "state_dict" (through the memo), more values than the reader builds.
    case("pickle_deep", "data.pkl does not hold a dict of tensors", e, m,
         pickle_bytes=b"\x80\x02N" + b"\x85" * 1_000_000 + b".")
    case("pickle_cycle", "the value of 'state_dict' is not a tensor", e, m,
         pickle_bytes=b"\x80\x02}q\x00X\x0a\x00\x00\x00state_dicth\x00s.")
    case("pickle_many_values", "more than 1048576 values", e, m,
         pickle_bytes=b"\x80\x02]" + b"Na" * ((1 << 20) + 10) + b".")
    e3, m3 = archive_of(state, {"epoch_like": 3})
    case("value_not_tensor", "the value of 'epoch_like' is not a tensor", e3, m3)
    e4, m4 = archive_of(state, as_int64=("conv1.weight",))
    case("integer_weights", "has dtype LongStorage, expected float32, float64, float16 or bfloat16", e4, m4)
    nan = dict(state)
    nan["fc.weight"] = nan["fc.weight"].clone()
    nan["fc.weight"][0, 0] = float("nan")
    torch.save(nan, os.path.join(out, "bad_nan.pth"))
    cases.append({"file": "bad_nan.pth", "message": "fc.weight: holds a non-finite value (NaN or infinity)"})
    extra = dict(state)
    extra["head.weight"] = torch.zeros(3)
    torch.save(extra, os.path.join(out, "bad_extra.pth"))
    cases.append({"file": "bad_extra.pth", "message": "head.weight: unexpected tensor"})
    torch.save(state, os.path.join(out, "bad_legacy.pth"), _use_new_zipfile_serialization=False)
    cases.append({"file": "bad_legacy.pth", "message": "legacy (before PyTorch 1.6) pickle format"})
    # A corrupt stored member: the CRC check catches it.
    path = os.path.join(out, "bad_crc.pth")
    with open(good, "rb") as f:
        data = bytearray(f.read())
    with zipfile.ZipFile(good) as z:
        info = next(i for i in z.infolist() if i.filename.endswith("/data/0"))
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_length + extra_length  # the local header's own lengths
    data[start + 3] ^= 0xFF
    with open(path, "wb") as f:
        f.write(bytes(data))
    cases.append({"file": "bad_crc.pth", "message": "fails its CRC check"})
    return hostile


def prove_hostile(paths, marker):
    """Each hostile pickle does run code when Python unpickles it (so igcam refusing it is the
    protection): unpickled in a child, each must create the marker; the marker is then removed."""
    for path in paths:
        with zipfile.ZipFile(path) as z:
            data = z.read("archive/data.pkl")
        script = ("import pickle, sys\n"
                  "class U(pickle.Unpickler):\n"
                  "    def persistent_load(self, pid): return None\n"
                  "try:\n    U(sys.stdin.buffer).load()\nexcept Exception:\n    pass\n")
        subprocess.run([sys.executable, "-c", script], input=data, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not os.path.exists(marker):
            sys.exit(f"torch_files.py: {path}'s pickle did not run its payload under Python's pickle")
        os.remove(marker)


# ---- malformed safetensors -----------------------------------------------------------------------

def malformed_safetensors(out, cases):
    import torch
    from safetensors.torch import save_file
    state = {k: v.contiguous() for k, v in small_state().items()}
    good = os.path.join(out, "small.safetensors")
    save_file(state, good)
    with open(good, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]

    def write(name, message, header_obj=None, body=None, text=None, length=None, raw=None):
        path = os.path.join(out, "bad_" + name + ".safetensors")
        if raw is None:
            h = text if text is not None else json.dumps(header_obj if header_obj is not None else header)
            hb = h.encode() if isinstance(h, str) else h
            raw = struct.pack("<Q", len(hb) if length is None else length) + hb + (data if body is None else body)
        with open(path, "wb") as f:
            f.write(raw)
        cases.append({"file": os.path.basename(path), "message": message})

    def edited(fn):
        h = json.loads(json.dumps(header))
        fn(h)
        return h

    keys = [k for k in header if k != "__metadata__" and "num_batches" not in k]
    by_offset = sorted(keys, key=lambda k: header[k]["data_offsets"][0])
    first, second, last = by_offset[0], by_offset[1], by_offset[-1]
    write("short", "truncated safetensors file", raw=blob[:7] + b"")  # 7 bytes: no sniffable header
    cases[-1]["message"] = "not an HDF5 file"  # too short to be recognised as safetensors at all
    write("header_huge", "exceeds the limit of 100000000 bytes", length=200_000_000)
    write("header_past_end", "runs past the end of the file", length=len(json.dumps(header)) + len(data) + 1)
    write("header_cut", "is not valid JSON", length=n // 2)
    write("header_into_data", "holds a NUL byte", length=len(json.dumps(header)) + 64)
    write("header_deep", "nests deeper than a valid one", edited(lambda h: h.__setitem__("x", [[[[[1]]]]])))
    write("header_not_utf8", "is not valid JSON", text=b"{\xff\xfe}")
    write("entry_not_object", "is not an object", edited(lambda h: h.__setitem__(first, 1)))
    dup = json.dumps(header)[:-1] + ', ' + json.dumps(first) + ': ' + json.dumps(header[first]) + '}'
    write("duplicate_name", "twice", text=dup)
    write("unknown_dtype", "unknown dtype 'F128'", edited(lambda h: h[first].__setitem__("dtype", "F128")))
    write("dtype_not_string", "dtype is missing or not a string", edited(lambda h: h[first].__setitem__("dtype", 4)))
    write("negative_dim", "shape must hold non-negative integers",
          edited(lambda h: h[first].__setitem__("shape", [-1] + h[first]["shape"][1:])))
    write("float_dim", "shape must hold non-negative integers",
          edited(lambda h: h[first].__setitem__("shape", [1.5] + h[first]["shape"][1:])))
    write("billion_elements", "holds more elements than the file has bytes",
          edited(lambda h: h[first].__setitem__("shape", [1000, 1000, 1000, 1000])))
    write("offsets_missing", "data_offsets is missing", edited(lambda h: h[first].pop("data_offsets")))
    write("offsets_three", "data_offsets is missing or not [begin, end]",
          edited(lambda h: h[first].__setitem__("data_offsets", [0, 4, 8])))
    write("offsets_reversed", "lie outside the data",
          edited(lambda h: h[first].__setitem__("data_offsets", h[first]["data_offsets"][::-1])))
    write("offsets_past_end", "lie outside the data",
          edited(lambda h: h[last].__setitem__("data_offsets", [h[last]["data_offsets"][0], len(data) + 64])))
    write("length_mismatch", "takes", edited(lambda h: h[first].__setitem__("shape", [1])))

    def overlap(h):
        b, e = h[second]["data_offsets"]
        h[second]["data_offsets"] = [b - 4, e - 4]
    write("overlap", "overlap the previous tensor's bytes", edited(overlap))

    def gap(h):
        for k in by_offset[1:]:
            b, e = h[k]["data_offsets"]
            h[k]["data_offsets"] = [b + 8, e + 8]
    write("gap", "belong to no tensor", edited(gap), body=data + b"\0" * 8)
    write("trailing_bytes", "bytes at the end of the file belong to no tensor", body=data + b"\0" * 16)
    write("truncated_data", "lie outside the data", body=data[:-100])
    write("unknown_field", "unknown field 'foo'", edited(lambda h: h[first].__setitem__("foo", 1)))
    write("metadata_not_object", "__metadata__': must be an object of strings",
          edited(lambda h: h.__setitem__("__metadata__", [1])))
    write("metadata_value", "is not a string", edited(lambda h: h.__setitem__("__metadata__", {"format": 3})))
    weight = "conv1.weight"
    w = header[weight]
    write("integer_weight", "conv1.weight: has dtype I32, expected F32, F64, F16 or BF16",
          edited(lambda h: h[weight].__setitem__("dtype", "I32")))
    shape = w["shape"]
    write("wrong_shape", "conv1.weight: expected shape",
          edited(lambda h: h[weight].__setitem__("shape", [shape[1], shape[0]] + shape[2:])))
    # A valid file whose header length is 640 + 65536 (bytes 80 02 ...): it opens like a pickle's PROTO 2.
    text = json.dumps(header)
    length = 640 + 65536
    assert len(text) < length
    with open(os.path.join(out, "small.pickle_like_length.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", length) + text.encode() + b" " * (length - len(text)) + data)
    fewer = {k: v for k, v in state.items() if k != "fc.bias"}
    save_file(fewer, os.path.join(out, "bad_missing_tensor.safetensors"))
    cases.append({"file": "bad_missing_tensor.safetensors", "message": "fc.bias: missing tensor"})
    more = dict(state, **{"head.weight": torch.zeros(2)})
    save_file(more, os.path.join(out, "bad_extra_tensor.safetensors"))
    cases.append({"file": "bad_extra_tensor.safetensors", "message": "head.weight: unexpected tensor"})
    nan = dict(state)
    nan["fc.weight"] = nan["fc.weight"].clone()
    nan["fc.weight"][0, 0] = float("inf")
    save_file(nan, os.path.join(out, "bad_infinite.safetensors"))
    cases.append({"file": "bad_infinite.safetensors", "message": "fc.weight: holds a non-finite value"})
    long_name = "x" * 100_000
    write("long_name", "(100000 bytes)", edited(lambda h: h.__setitem__(long_name, {"dtype": "F128", "shape": [],
                                                                                    "data_offsets": [0, 0]})))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    marker = os.path.join(out, "MARKER")
    if os.path.exists(marker):
        os.remove(marker)
    manifest = {"models": [], "malformed": [], "marker": "MARKER", "size": SIZE}
    from PIL import Image
    import numpy as np
    pixels = np.random.default_rng(5).integers(0, 256, size=(80, 96, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(os.path.join(out, "sample.png"))  # for the igcam-run checks
    malformed_safetensors(out, manifest["malformed"])
    hostile = malformed_pth(out, manifest["malformed"], marker)
    prove_hostile(hostile, marker)
    good_files(out, manifest)
    with open(os.path.join(out, "torch_files.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"torch_files: {sum(len(m['files']) for m in manifest['models'])} good files, "
          f"{len(manifest['malformed'])} malformed, {len(hostile)} hostile pickles proven live")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    metrics_env.reexec_in_metrics_env(__file__, ["safetensors.torch", "torch"],
                                      lambda reason: sys.exit(f"torch_files.py: {reason}"))
    main()
