#!/usr/bin/python3
"""report.html, opened in headless Chromium (tests/report/browser.py).

Usage: check_report.py IGCAM_RUN DEMO_WEIGHTS DEMO_IMAGES WORK

Writes three reports and checks each page as a browser shows it: the bundled demo (6
images, every method), a seeded random-weight ResNet-50 (tools/export_torchvision.py; one
image, four methods) and the sensitivity demo. For each: no console error, no network
request, every picture decodes; every image's sections are present (input, one overlay per
method, IG-CAM's three plots and film strip, the trace diagram with one node per traced
gradient) and the methods' formulas; the numbers plotted equal report.json's to 6
significant digits (each point's value, read back from the SVG) and each point sits where
its value says (its pixel position through the plot's axis mapping, to 0.001 px). A
full-page screenshot of each lands in WORK.
"""
import json
import math
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import browser  # noqa: E402

REPO = HERE.parent.parent
FAILURES = []

COLLECT = r"""(() => {
  const plot = (id) => {
    const svg = document.getElementById(id);
    if (!svg) return null;
    return {box: Object.assign({}, svg.dataset),
            points: [...svg.querySelectorAll('circle.point')].map(c => ({
              series: c.dataset.series, x: c.dataset.x, y: c.dataset.y,
              cx: c.getAttribute('cx'), cy: c.getAttribute('cy')})),
            references: [...svg.querySelectorAll('line.reference')].map(l => ({
              id: l.dataset.reference, y: l.dataset.y, py: l.getAttribute('y1')}))};
  };
  const images = [...document.querySelectorAll('section.image')].map(s => {
    const stem = s.dataset.stem;
    return {
      stem,
      input: s.querySelectorAll('figure[data-panel="input"] img').length,
      methods: [...s.querySelectorAll('figure[data-method]')].map(f => f.dataset.method),
      visible: [...s.querySelectorAll('figure img')].every(i => i.getBoundingClientRect().width > 50),
      score: plot('plot-score-' + stem),
      gradient: plot('plot-gradient-' + stem),
      completeness: plot('plot-completeness-' + stem),
      strip: s.querySelectorAll('section.igcam-path figure.strip img').length,
      trace: [...s.querySelectorAll('section.trace g.node')].map(g => ({
        op: g.dataset.op, l2: g.dataset.l2, zeros: g.dataset.zeroFraction})),
    };
  });
  const methods = [...document.querySelectorAll('section.methods .method-info')].map(d => ({
    name: d.dataset.method, formula: (d.querySelector('code.formula') || {}).textContent || ''}));
  return {images, methods, plots: {f: plot('plot-f'), attributions: plot('plot-attributions')}};
})()"""


def check(condition, message):
    if not condition:
        FAILURES.append(message)
        print("FAIL:", message)
    return condition


def same6(a, b):
    """Equal to 6 significant digits: relative difference at most 1e-6."""
    a, b = float(a), float(b)
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b)) or abs(a - b) < 1e-300


def check_series(plot, series, xs, ys, what):
    points = [p for p in plot["points"] if p["series"] == series]
    if not check(len(points) == len(ys), f"{what}: {len(points)} points plotted, report.json has {len(ys)}"):
        return
    box = {k: float(v) for k, v in plot["box"].items()}
    for i, (p, x, y) in enumerate(zip(points, xs, ys)):
        check(same6(p["x"], x) and same6(p["y"], y),
              f"{what}[{i}]: plotted ({p['x']}, {p['y']}), report.json ({x!r}, {y!r})")
        # The pixel position, mapped back through the axes, gives the value again.
        px = box["x0"] + (float(p["cx"]) - box["left"]) / box["plotWidth"] * (box["x1"] - box["x0"])
        py = box["y0"] + (box["top"] + box["plotHeight"] - float(p["cy"])) / box["plotHeight"] * (box["y1"] - box["y0"])
        check(abs(px - float(p["x"])) <= 0.001 * (box["x1"] - box["x0"]) / box["plotWidth"] and
              abs(py - float(p["y"])) <= 0.001 * (box["y1"] - box["y0"]) / box["plotHeight"],
              f"{what}[{i}]: drawn at ({p['cx']}, {p['cy']}), which reads ({px}, {py}), not ({p['x']}, {p['y']})")


def open_page(b, html, screenshot):
    result = b.open(str(html))
    check(not result.console_errors, f"{html}: console errors {result.console_errors}")
    check(not browser.network_requests(result), f"{html}: network requests {browser.network_requests(result)}")
    broken = browser.broken_images(b)
    check(not broken, f"{html}: pictures that do not decode: {broken}")
    b.screenshot(str(screenshot))
    print(f"{html}: opened in {result.load_seconds:.2f} s, screenshot {screenshot}")
    return b.evaluate(COLLECT)


def check_run_report(b, out, name, work):
    report = json.loads((out / "report.json").read_text())
    check(report["report"] == "report.html", f"{name}: report.json does not name report.html")
    page = open_page(b, out / "report.html", work / f"{name}-report.png")
    images = report["images"]
    check([i["stem"] for i in page["images"]] == [i["stem"] for i in images],
          f"{name}: sections {[i['stem'] for i in page['images']]} for images {[i['stem'] for i in images]}")
    methods = [m["name"] for m in report["methods"]]
    check([m["name"] for m in page["methods"]] == methods, f"{name}: method notes {page['methods']} for {methods}")
    check(all(m["formula"].strip() for m in page["methods"]), f"{name}: a method without its formula")
    for shown, entry in zip(page["images"], images):
        stem = entry["stem"]
        check(shown["input"] == 1 and shown["visible"], f"{name}/{stem}: input missing or pictures not shown")
        check(shown["methods"] == methods, f"{name}/{stem}: overlays {shown['methods']}, methods {methods}")
        trace = entry["trace"]
        check(len(shown["trace"]) == len(trace) and len(trace) > 0,
              f"{name}/{stem}: {len(shown['trace'])} trace nodes drawn for {len(trace)} traced gradients")
        for node, e in zip(shown["trace"], trace):
            check(node["op"] == e["op"] and same6(node["l2"], e["l2"]) and same6(node["zeros"], e["zero_fraction"]),
                  f"{name}/{stem}: trace node {node} against {e}")
        igcam = next((m for m in entry["methods"] if m["name"] == "igcam"), None)
        if igcam is None:
            continue
        path, completeness = igcam["path"], igcam["params"]["completeness"]
        check(shown["strip"] == 1, f"{name}/{stem}: no per-step film strip")
        for plot in ("score", "gradient", "completeness"):
            check(shown[plot] is not None, f"{name}/{stem}: no {plot} plot")
        if shown["score"] is None or shown["gradient"] is None or shown["completeness"] is None:
            continue
        check_series(shown["score"], "score", path["t"], path["scores"], f"{name}/{stem} score")
        check_series(shown["gradient"], "gradient-norm", path["t"], path["gradient_norms"], f"{name}/{stem} gradient")
        m = len(path["running_sum"])
        check_series(shown["completeness"], "running-sum", [(i + 1) / m for i in range(m)], path["running_sum"],
                     f"{name}/{stem} running sum")
        references = {r["id"]: float(r["y"]) for r in shown["score"]["references"]}
        check(same6(references.get("score-input", math.nan), completeness["score_input"]) and
              same6(references.get("score-baseline", math.nan), completeness["score_baseline"]),
              f"{name}/{stem}: score reference lines {references} against {completeness}")
        change = [float(r["y"]) for r in shown["completeness"]["references"] if r["id"] == "score-change"]
        check(change and same6(change[0], completeness["score_change"]),
              f"{name}/{stem}: y(x) - y(x') line {change} against {completeness['score_change']}")
        # The running sum ends at the audit's total, which report.json also gives.
        check(same6(path["running_sum"][-1], completeness["stieltjes_sum"]),
              f"{name}/{stem}: running sum ends at {path['running_sum'][-1]}, the audit says "
              f"{completeness['stieltjes_sum']}")
    return page


def run(command):
    print("+", " ".join(map(str, command)))
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"FAIL: exit {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def main(argv):
    igcam_run, weights, images, work = argv[1], argv[2], argv[3], pathlib.Path(argv[4])
    work.mkdir(parents=True, exist_ok=True)
    demo, resnet, sensitivity = work / "demo", work / "resnet50", work / "sensitivity"
    run([igcam_run, "--weights", weights, "--image", images, "--method", "all", "--report", "--out", demo, "-q"])

    resnet_weights = work / "resnet50.h5"
    run([sys.executable, REPO / "tools" / "export_torchvision.py", "--arch", "resnet50", "--seed", "7",
         "--out", resnet_weights])
    run([igcam_run, "--weights", resnet_weights, "--image", pathlib.Path(images) / "0003_star.png", "--method",
         "gradcam,gradcam++,hirescam,igcam", "--steps", "16", "--report", "--out", resnet, "-q"])
    run([igcam_run, "--demo", "sensitivity", "--report", "--out", sensitivity])

    with browser.Browser() as b:
        page = check_run_report(b, demo, "demo", work)
        check(len(page["images"]) == 6, f"demo: {len(page['images'])} image sections, expected 6")
        check_run_report(b, resnet, "resnet50", work)

        curve = json.loads((sensitivity / "report.json").read_text())["curve"]
        page = open_page(b, sensitivity / "report.html", work / "sensitivity-report.png")
        plots = page["plots"]
        if check(plots["f"] is not None and plots["attributions"] is not None, "sensitivity: plots missing"):
            check_series(plots["f"], "f", curve["x"], curve["f"], "sensitivity f")
            check_series(plots["attributions"], "gradient", curve["x"], curve["gradient"], "sensitivity gradient")
            check_series(plots["attributions"], "integrated", curve["x"], curve["integrated"], "sensitivity integrated")

    if FAILURES:
        print(f"{len(FAILURES)} failures")
        return 1
    print("report pages: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
