#!/usr/bin/python3
"""igcam-eval end to end: malformed datasets, exit codes, and resuming after SIGKILL.

  eval_cli.py IGCAM_EVAL WEIGHTS WORK

Builds small VOC-layout and CSV datasets with tools/demo_scenes.py, breaks one image of each
in a different way, and checks for each: the exact error line on stderr, exit code 5 (some
images failed), the failed row in rows.jsonl and the other images' rows intact. Dataset-wide
problems must exit 3 (or 2 for usage) with one error line and write no rows. Then a run is
killed with SIGKILL at a random moment, resumed, and must give the same summary bytes as an
uninterrupted run; a rows file cut in the middle of a line must resume too.
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import demo_scenes  # noqa: E402

EVAL, WEIGHTS, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
FAST = ["--method", "gradcam,gradcam++", "--quiet", "--bootstrap", "50"]
failures = []


def run(args, out):
    p = subprocess.run([EVAL, "--weights", WEIGHTS, "--out", out] + args, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def expect(name, condition, detail=""):
    if not condition:
        failures.append(f"{name}: {detail}")
        print(f"FAIL {name}: {detail}")


def rows_of(out):
    with open(os.path.join(out, "rows.jsonl")) as f:
        lines = [json.loads(line) for line in f]
    return lines[0], lines[1:]


def fresh_voc(name, count=4):
    root = os.path.join(WORK, name)
    shutil.rmtree(root, ignore_errors=True)
    demo_scenes.write_voc(root, count, seed=5, size=128)
    return root


def xml_path(root, i):
    return os.path.join(root, "Annotations", f"scene_{i:04d}.xml")


def edit_xml(root, i, old, new):
    path = xml_path(root, i)
    text = open(path).read()
    assert old in text, (path, old)
    open(path, "w").write(text.replace(old, new, 1))


def first_box(root, i):
    text = open(xml_path(root, i)).read()
    return text[text.index("<bndbox>"):text.index("</bndbox>") + len("</bndbox>")]


def first_name(root, i):
    text = open(xml_path(root, i)).read()
    return text[text.index("<name>"):text.index("</name>") + len("</name>")]


def first_object(root, i):
    """From the first object's <name> to the end of its box."""
    text = open(xml_path(root, i)).read()
    return text[text.index("<name>"):text.index("</bndbox>") + len("</bndbox>")]


def truncate(path, size):
    data = open(path, "rb").read()
    open(path, "wb").write(data[:size])


def case_image(name, breaker, message):
    """One VOC dataset with image 1 broken by `breaker(root)`; `message` is the error after 'error: '."""
    root = fresh_voc(name)
    breaker(root)
    out = os.path.join(WORK, name + "-out")
    shutil.rmtree(out, ignore_errors=True)
    code, _, err = run(["--data", root] + FAST, out)
    message = message.replace("ROOT", root)
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    expect(name, code == 5, f"exit {code}, stderr {err!r}")
    expect(name, lines == [f"error: {message} (recorded as a failed row)"], f"stderr {lines!r}")
    header, rows = rows_of(out)
    failed = [r for r in rows if r.get("failed")]
    good = {r["image"] for r in rows if not r.get("failed")}
    expect(name, len(failed) == 1 and failed[0]["image"] == "scene_0001" and failed[0]["error"] == message,
           f"failed rows {failed!r}")
    expect(name, good == {"scene_0000", "scene_0002", "scene_0003"}, f"images with rows {sorted(good)!r}")
    summary = json.load(open(os.path.join(out, "summary.json")))
    expect(name, summary["failed_images"] == 1, "summary.json failed_images")


def case_csv(name, line, message, count=3):
    root = fresh_voc(name, count)
    good = ["image,class,xmin,ymin,xmax,ymax,difficult"]
    for i in (0, 2):
        good.append(f"JPEGImages/scene_{i:04d}.jpg,circle,0,0,20,20,0")
    csv = os.path.join(root, "boxes.csv")
    open(csv, "w").write("\n".join(good[:2] + [line] + good[2:]) + "\n")
    out = os.path.join(WORK, name + "-out")
    shutil.rmtree(out, ignore_errors=True)
    code, _, err = run(["--data", csv] + FAST, out)
    message = message.replace("@CSV@", csv)
    lines = [l for l in err.splitlines() if l.startswith("error:")]
    expect(name, code == 5, f"exit {code}, stderr {err!r}")
    expect(name, lines == [f"error: {message} (recorded as a failed row)"], f"stderr {lines!r}")
    _, rows = rows_of(out)
    good_images = {r["image"] for r in rows if not r.get("failed")}
    expect(name, good_images == {"JPEGImages/scene_0000.jpg", "JPEGImages/scene_0002.jpg"}, f"{sorted(good_images)}")


def case_fatal(name, args, code_wanted, message):
    out = os.path.join(WORK, name + "-out")
    shutil.rmtree(out, ignore_errors=True)
    code, _, err = run(args + FAST, out)
    expect(name, code == code_wanted, f"exit {code}, stderr {err!r}")
    expect(name, err.strip().splitlines() == [f"error: {message}"], f"stderr {err!r}")
    expect(name, not os.path.exists(os.path.join(out, "rows.jsonl")), "a rows file was written")


def malformed_cases():
    a = lambda root: os.path.join(root, "Annotations", "scene_0001.xml")  # noqa: E731
    j = lambda root: os.path.join(root, "JPEGImages", "scene_0001.jpg")  # noqa: E731
    case_image("missing-image", lambda r: os.remove(j(r)), "ROOT/JPEGImages/scene_0001.jpg: cannot open for reading")
    case_image("not-an-image", lambda r: open(j(r), "wb").write(b"GIF89a not a jpeg at all"),
               "ROOT/JPEGImages/scene_0001.jpg: not a PNG or JPEG image")
    case_image("missing-xml", lambda r: os.remove(a(r)), "ROOT/Annotations/scene_0001.xml: no such annotation file")
    case_image("truncated-xml", lambda r: truncate(a(r), 150),
               "ROOT/Annotations/scene_0001.xml: malformed XML (Start-end tags mismatch at byte 149)")
    case_image("no-annotation-root", lambda r: open(a(r), "w").write("<notes><object/></notes>\n"),
               "ROOT/Annotations/scene_0001.xml: no <annotation> element")
    case_image("no-bndbox", lambda r: edit_xml(r, 1, first_box(r, 1), ""),
               "ROOT/Annotations/scene_0001.xml: object 1 has no <bndbox>")
    case_image("not-a-number", lambda r: edit_xml(r, 1, first_box(r, 1),
                                                  "<bndbox><xmin>1O</xmin><ymin>10</ymin><xmax>40</xmax><ymax>30</ymax></bndbox>"),
               "ROOT/Annotations/scene_0001.xml: object 1 <xmin> is '1O', not a number")
    case_image("inverted-box", lambda r: edit_xml(r, 1, first_box(r, 1),
                                                  "<bndbox><xmin>50</xmin><ymin>10</ymin><xmax>40</xmax><ymax>30</ymax></bndbox>"),
               "ROOT/Annotations/scene_0001.xml: object 1 has an inverted box (xmin 50, ymin 10, xmax 40, ymax 30)")
    case_image("zero-based-box", lambda r: edit_xml(r, 1, first_box(r, 1),
                                                    "<bndbox><xmin>0</xmin><ymin>10</ymin><xmax>40</xmax><ymax>30</ymax></bndbox>"),
               "ROOT/Annotations/scene_0001.xml: object 1 starts before pixel 1 (VOC boxes are 1-based) "
               "(xmin 0, ymin 10, xmax 40, ymax 30)")
    case_image("box-outside", lambda r: edit_xml(r, 1, first_object(r, 1), "<name>star</name><bndbox><xmin>100</xmin><ymin>10</ymin><xmax>129</xmax><ymax>30</ymax></bndbox>"),
               "ROOT/Annotations/scene_0001.xml: box 1 (star, columns 99-129, rows 9-30) reaches outside the "
               "128x128 image")
    case_image("unknown-class", lambda r: edit_xml(r, 1, first_name(r, 1), "<name>zebra</name>"),
               "ROOT/Annotations/scene_0001.xml: object 1 is a 'zebra', which the model does not know")
    case_image("size-mismatch", lambda r: edit_xml(r, 1, "<width>128</width>", "<width>130</width>"),
               "ROOT/Annotations/scene_0001.xml: the annotation says the image is 130x128 but it is 128x128")
    case_image("bad-size", lambda r: edit_xml(r, 1, "<height>128</height>", "<height>0</height>"),
               "ROOT/Annotations/scene_0001.xml: <size> is 128x0")
    case_csv("csv-fields", "JPEGImages/scene_0001.jpg,circle,0,0,20", "@CSV@:3: expected 6 or 7 fields "
             "(image,class,xmin,ymin,xmax,ymax[,difficult]), found 5")
    case_csv("csv-class", "JPEGImages/scene_0001.jpg,zebra,0,0,20,20", "@CSV@:3: class 'zebra' is not one the model knows")
    case_csv("csv-class-index", "JPEGImages/scene_0001.jpg,6,0,0,20,20",
             "@CSV@:3: class 6 is out of range (the model has 6 classes)")
    case_csv("csv-inverted", "JPEGImages/scene_0001.jpg,star,30,0,20,20",
             "@CSV@:3: the box is inverted or empty (CSV boxes are half-open: xmax > xmin, ymax > ymin) "
             "(xmin 30, ymin 0, xmax 20, ymax 20)")
    case_csv("csv-number", "JPEGImages/scene_0001.jpg,star,0,0,2.5,20", "@CSV@:3: xmax is '2.5', not an integer")
    case_csv("csv-difficult", "JPEGImages/scene_0001.jpg,star,0,0,20,20,yes", "@CSV@:3: difficult is 'yes', not 0 or 1")
    case_csv("csv-outside", "JPEGImages/scene_0001.jpg,star,0,0,20,200",
             "@CSV@:3: box 1 (star, columns 0-20, rows 0-200) reaches outside the 128x128 image")

    root = fresh_voc("fatal")
    case_fatal("no-dataset", ["--data", os.path.join(WORK, "nowhere")], 3,
               os.path.join(WORK, "nowhere") + ": no such dataset folder or file")
    case_fatal("no-annotations", ["--data", os.path.join(root, "JPEGImages")], 3,
               os.path.join(root, "JPEGImages") + ": not a VOC-layout dataset (no Annotations/ folder; a CSV of boxes "
               "must end in .csv)")
    case_fatal("missing-split", ["--data", root, "--split", "val"], 3,
               os.path.join(root, "ImageSets", "Main", "val.txt") + ": no such split file")
    txt = os.path.join(root, "boxes.txt")
    open(txt, "w").write("x\n")
    case_fatal("not-csv", ["--data", txt], 3, txt + ": a dataset is a VOC-layout folder or a .csv file of boxes")
    case_fatal("unknown-metric", ["--data", root, "--metrics", "ebpg,auc"], 2,
               "unknown metric 'auc' (ebpg, bbox, pointing, drop, increase, deletion, insertion, default or all)")
    empty = fresh_voc("empty-split")
    open(os.path.join(empty, "ImageSets", "Main", "test.txt"), "w").write("\n")
    case_fatal("empty-split", ["--data", empty], 3,
               os.path.join(empty, "ImageSets", "Main", "test.txt") + ": the split lists no image ids")


def summaries(out):
    s = json.load(open(os.path.join(out, "summary.json")))
    s.pop("timing")
    return (json.dumps(s, sort_keys=True), open(os.path.join(out, "summary.csv"), "rb").read(),
            open(os.path.join(out, "summary.md"), "rb").read())


def resume_cases():
    root = os.path.join(WORK, "resume-data")
    shutil.rmtree(root, ignore_errors=True)
    demo_scenes.write_voc(root, 24, seed=9, size=128)
    # One image per pass: a resumed run computes each image exactly as an uninterrupted one.
    args = ["--data", root, "--method", "gradcam,igcam", "--igcam-steps", "16", "--batch", "1",
            "--metrics", "all", "--steps", "8", "--quiet"]
    whole = os.path.join(WORK, "resume-whole")
    shutil.rmtree(whole, ignore_errors=True)
    start = time.monotonic()
    code, _, err = run(args, whole)
    duration = time.monotonic() - start
    expect("resume-whole", code == 0, f"exit {code} {err}")
    reference = summaries(whole)

    rng = random.Random(int(os.environ.get("IGCAM_RESUME_SEED", str(int(time.time())))))
    out = os.path.join(WORK, "resume-killed")
    shutil.rmtree(out, ignore_errors=True)
    rows = os.path.join(out, "rows.jsonl")
    delay = rng.uniform(0.2, 0.8) * duration
    p = subprocess.Popen([EVAL, "--weights", WEIGHTS, "--out", out] + args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.wait()
    lines = sum(1 for _ in open(rows)) if os.path.exists(rows) else 0
    print(f"killed after {delay:.2f} s of {duration:.2f} s with {lines} lines written")
    code, stdout, err = run(args + ["--resume"], out)
    expect("resume-killed", code == 0, f"exit {code} {err}")
    expect("resume-killed", summaries(out) == reference, "the resumed summary differs")

    # A rows file cut in the middle of its last line (and so of its last image).
    cut = os.path.join(WORK, "resume-cut")
    shutil.rmtree(cut, ignore_errors=True)
    shutil.copytree(whole, cut)
    data = open(os.path.join(cut, "rows.jsonl"), "rb").read()
    open(os.path.join(cut, "rows.jsonl"), "wb").write(data[:len(data) - 40])
    code, stdout, err = run(args + ["--resume"], cut)
    expect("resume-cut", code == 0 and "an incomplete last image cut off" in stdout, f"exit {code} {stdout} {err}")
    expect("resume-cut", summaries(cut) == reference, "the resumed summary differs")
    # Every image once.
    _, resumed_rows = rows_of(cut)
    expect("resume-cut", len({(r["index"], r["class_index"], r["method"]) for r in resumed_rows}) == len(resumed_rows),
           "a row appears twice")

    # Other settings: refused with the names of those that differ.
    code, _, err = run(args[:-1] + ["--ties", "raster", "--resume", "--quiet"], cut)
    expect("resume-settings", code == 2 and err.strip() == f"error: {cut}/rows.jsonl: --resume needs the settings of "
           "the run that wrote it; these differ: ties", f"exit {code} {err!r}")
    code, _, err = run(args, cut)
    expect("resume-exists", code == 2 and err.strip() == f"error: {cut}/rows.jsonl exists: pass --resume to continue "
           "that run, or choose another --out", f"exit {code} {err!r}")


os.makedirs(WORK, exist_ok=True)
malformed_cases()
resume_cases()
if failures:
    print(f"{len(failures)} checks failed")
    sys.exit(1)
print("all igcam-eval CLI checks passed")
