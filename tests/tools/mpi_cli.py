"""igcam-eval and igcam-run as MPI jobs, on this machine (loopback, ranks oversubscribed).

  mpi_cli.py IGCAM_EVAL IGCAM_RUN WEIGHTS WORK

Every output of `mpirun -np N` (N = 1, 2, 3) must be the same bytes as one process's:
rows.jsonl and the summaries of igcam-eval with --batch 1 (float32 and float64;
--no-timings), every PNG and .npy of igcam-run; with automatic batches the rounded tables
are the same bytes and the rows' numbers agree to the last bits. A 2-rank evaluation whose
rank dies half way must fail with our message and resume with 3 ranks to the same bytes. A
bad image is a failed row wherever it lands; a bad flag or weight file is reported once.

Exits 77 (ctest: skipped) with the reason when the build has no MPI or mpirun is missing.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

EVAL, RUN, WEIGHTS, WORK = sys.argv[1:5]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import demo_scenes  # noqa: E402

SKIP = 77
failures = []


def expect(name, ok, detail=""):
    print(("ok    " if ok else "FAIL  ") + name + ("" if ok else ": " + detail))
    if not ok:
        failures.append(name)


mpirun = shutil.which("mpirun")
if mpirun is None:
    print("SKIPPED: no mpirun (Debian package openmpi-bin; tools/install_deps.sh installs it)")
    sys.exit(SKIP)
help_text = subprocess.run([EVAL, "--help"], capture_output=True, text=True).stdout
if "this build has none" in help_text:
    print("SKIPPED: this build has no MPI (configured with IGCAM_MPI=OFF, or MPI was not found)")
    sys.exit(SKIP)

env = dict(os.environ)
env.pop("IGCAM_NUM_THREADS", None)
if os.geteuid() == 0:  # Open MPI refuses root without these
    env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
single_env = dict(env, IGCAM_NUM_THREADS="1")  # as each rank runs here: one core each


def mpi(n, command):
    return [mpirun, "--oversubscribe", "--mca", "btl", "self,vader", "-np", str(n)] + command


def run(command, environment):
    p = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=600)
    return p.returncode, p.stdout, p.stderr


def same_files(a, b, names):
    return [n for n in names if open(os.path.join(a, n), "rb").read() != open(os.path.join(b, n), "rb").read()]


def error_lines(text):
    return [line for line in text.splitlines() if line.startswith("error:")]


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
data = os.path.join(WORK, "voc")
demo_scenes.write_voc(data, 24, seed=13, size=128)
# A broken image: a failed row in one process, and the same failed row from whichever rank has it.
ids = open(os.path.join(data, "ImageSets", "Main", "test.txt")).read().split()
open(os.path.join(data, "JPEGImages", ids[7] + ".jpg"), "wb").write(b"\xff\xd8\xff\xe0 not a jpeg")
OUTPUTS = ["rows.jsonl", "summary.json", "summary.csv", "summary.md"]


def evaluate(out, extra, ranks=None, environment=None, steps="16"):
    command = [EVAL, "--weights", WEIGHTS, "--data", data, "--method", "gradcam,igcam", "--igcam-steps", steps,
               "--metrics", "all", "--steps", "8", "--no-timings", "--out", out] + extra
    if ranks is None:
        return run(command + ["--quiet"], environment or single_env)
    return run(mpi(ranks, command), environment or env)


# 1. The same bytes for any number of ranks, with --batch 1: each image is then computed
# alone, so its numbers cannot depend on which images a rank batched it with.
def rows_of(out):
    return [json.loads(line) for line in open(os.path.join(out, "rows.jsonl")).read().splitlines()[1:]]


def numbers_within(a, b, rtol, atol):
    """Every number of a and b within rtol * |b| + atol; everything else equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(numbers_within(a[k], b[k], rtol, atol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(numbers_within(x, y, rtol, atol) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return abs(a - b) <= rtol * abs(b) + atol
    return a == b


CASES = (("f32-batch1", ["--batch", "1"], (1, 2, 3), None),
         ("f64-batch1", ["--dtype", "f64", "--batch", "1"], (2, 3), None),
         # Automatic batches: a rank batches an image with other neighbours than one process
         # does, and oneDNN's float32 convolutions round a batch's rows in an order that
         # depends on the batch. Measured: class scores within 1e-6 relative (float32's
         # 6e-8 unit roundoff grown through the network), Drop (100 (Y - O) / Y, a
         # difference of nearly equal scores) within 1e-7 absolute; every number, the
         # summary's too, within 1e-5 relative + 1e-6 absolute (metrics are percentages,
         # AUCs and probabilities, all of order 1 to 100).
         ("f32", [], (2, 3), (1e-5, 1e-6)))
for label, extra, counts, tolerance in CASES:
    reference = os.path.join(WORK, "eval-" + label)
    code, _, err = evaluate(reference, extra)
    expect(f"eval {label} one process", code == 5 and len(error_lines(err)) == 1, f"exit {code} {err}")
    for n in counts:
        out = os.path.join(WORK, f"eval-{label}-np{n}")
        code, stdout, err = evaluate(out, extra, ranks=n)
        expect(f"eval {label} np {n} exit 5 (one image failed), every rank finished cleanly",
               code == 5 and "exiting improperly" not in err and "MPI_ABORT" not in err, f"exit {code} {err}")
        if code != 5:
            continue
        if tolerance is None:
            differ = same_files(reference, out, OUTPUTS)
            expect(f"eval {label} np {n} identical {', '.join(OUTPUTS)}", not differ, "differ: " + ", ".join(differ))
        else:
            expect(f"eval {label} np {n} rows within {tolerance}", numbers_within(rows_of(out), rows_of(reference), *tolerance))
            expect(f"eval {label} np {n} summary.json within {tolerance}",
                   numbers_within(json.load(open(os.path.join(out, "summary.json"))),
                                  json.load(open(os.path.join(reference, "summary.json"))), *tolerance))
        expect(f"eval {label} np {n} one error line for the bad image",
               len(error_lines(err)) == 1 and ids[7] in error_lines(err)[0], err)
        expect(f"eval {label} np {n} progress line", "evaluating: 24/24 images (100.0 %)" in err, err)
        expect(f"eval {label} np {n} says its ranks", f"on {n} ranks" in stdout if n > 1 else True, stdout)

# 2. A rank dies half way through a 2-rank run; 3 ranks resume it to the same bytes.
slow = ["--dtype", "f64", "--batch", "1", "--igcam-steps", "64"]
whole = os.path.join(WORK, "eval-whole")
code, _, err = evaluate(whole, slow[:-2], steps="64")
expect("resume: whole run", code == 5, f"exit {code} {err}")
killed = os.path.join(WORK, "eval-killed")
rows = os.path.join(killed, "rows.jsonl")
command = [EVAL, "--weights", WEIGHTS, "--data", data, "--method", "gradcam,igcam", "--metrics", "all", "--steps", "8",
           "--no-timings", "--out", killed] + slow
job = subprocess.Popen(mpi(2, command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def images_written():
    if not os.path.exists(rows):
        return 0
    lines = open(rows).read().splitlines()[1:]
    return len({json.loads(line)["index"] for line in lines if line.endswith("}")})


deadline = time.monotonic() + 300
while images_written() < 8 and job.poll() is None and time.monotonic() < deadline:
    time.sleep(0.05)
victims = subprocess.run(["pgrep", "-P", str(job.pid)], capture_output=True, text=True).stdout.split()
written = images_written()
if victims:
    os.kill(int(victims[-1]), signal.SIGKILL)  # the last rank mpirun started
_, err = job.communicate(timeout=120)
expect("resume: the killed job fails", job.returncode != 0 and victims != [], f"exit {job.returncode}")
expect("resume: the killed job says what to do", "the job stopped before it finished" in err and
       "--resume, with any number of ranks" in err, err)
print(f"killed a rank with {written} of 24 images written")
code, stdout, err = run(mpi(3, command + ["--resume"]), env)
expect("resume: 3 ranks finish it", code == 5 and "resuming" in stdout, f"exit {code} {stdout} {err}")
differ = same_files(whole, killed, OUTPUTS)
expect("resume: identical " + ", ".join(OUTPUTS), not differ, "differ: " + ", ".join(differ))

# 3. Mistakes are reported once, by one rank, with the one-process exit code.
code, _, err = run(mpi(3, [EVAL, "--weights", os.path.join(WORK, "none.h5"), "--data", data, "--out",
                           os.path.join(WORK, "none")]), env)
expect("bad weights: exit 3, one error line", code == 3 and len(error_lines(err)) == 1, f"exit {code} {err}")
code, _, err = run(mpi(2, [EVAL, "--weights", WEIGHTS, "--data", data, "--bogus"]), env)
expect("bad flag: exit 2, one error line", code == 2 and len(error_lines(err)) == 1, f"exit {code} {err}")
code, _, err = run(mpi(2, [EVAL, "--weights", WEIGHTS, "--data", data, "--dump", os.path.join(WORK, "d"),
                           "--out", os.path.join(WORK, "dumped")]), env)
expect("eval --dump under MPI: exit 2", code == 2 and error_lines(err) == [
    "error: --dump writes from one process: run it without mpirun"], f"exit {code} {err}")

# 4. igcam-run: every overlay, map and grid the same bytes as one process's.
images = os.path.join(os.path.dirname(WEIGHTS), "..", "images")
explain = [RUN, "--weights", WEIGHTS, "--image", images, "--method", "all", "--batch", "1"]
one = os.path.join(WORK, "run-one")
code, stdout_one, err = run(explain + ["--out", one, "--quiet"], single_env)
expect("run one process", code == 0, f"exit {code} {err}")
three = os.path.join(WORK, "run-np3")
code, stdout_three, err = run(mpi(3, explain + ["--out", three]), env)
expect("run np 3", code == 0, f"exit {code} {err}")
if code == 0:
    names = sorted(os.listdir(one))
    expect("run np 3 the same files", names == sorted(os.listdir(three)), f"{names} {sorted(os.listdir(three))}")
    differ = same_files(one, three, [n for n in names if n != "report.json"])
    expect("run np 3 identical PNG and .npy files", not differ, "differ: " + ", ".join(differ))

    def stable(report):  # the report without what varies: times, the command, the ranks
        if isinstance(report, dict):
            return {k: stable(v) for k, v in report.items() if not k.endswith("ms") and k not in ("command", "ranks")}
        return [stable(v) for v in report] if isinstance(report, list) else report
    a = json.load(open(os.path.join(one, "report.json")))
    b = json.load(open(os.path.join(three, "report.json")))
    expect("run np 3 report.json equal but for times", stable(a) == stable(b) and b["ranks"] == 3)
    without_times = [line for line in stdout_one.splitlines() if " ms" not in line and not line.startswith("wrote")]
    expect("run np 3 the same summary",
           without_times == [line for line in stdout_three.splitlines() if " ms" not in line
                             and not line.startswith("wrote")], stdout_three)
broken = os.path.join(WORK, "run-broken")
shutil.copytree(images, broken)
open(os.path.join(broken, "0009_broken.png"), "wb").write(b"\x89PNG\r\n\x1a\n truncated")
out = os.path.join(WORK, "run-broken-out")
code, _, err = run(mpi(3, [RUN, "--weights", WEIGHTS, "--image", broken, "--method", "gradcam", "--out", out]), env)
expect("run np 3 bad image: exit 3, one error line naming it, no output folder",
       code == 3 and len(error_lines(err)) == 1 and "0009_broken.png" in err and not os.path.exists(out),
       f"exit {code} {err}")
code, _, err = run(mpi(2, [RUN, "--weights", WEIGHTS, "--image", images, "--dump", os.path.join(WORK, "d.h5")]), env)
expect("run --dump under MPI: exit 2", code == 2 and error_lines(err) == [
    "error: --dump writes one HDF5 file from one process: run it without mpirun"], f"exit {code} {err}")

# 5. A rank of igcam-run dies half way: rank 0 removes its staged files and the folder it made.
many = os.path.join(WORK, "run-many")
os.makedirs(many)
for k in range(24):
    name = sorted(n for n in os.listdir(images) if n.endswith(".png"))[k % 6]
    shutil.copy(os.path.join(images, name), os.path.join(many, f"{k:02d}_{name}"))
out = os.path.join(WORK, "run-killed")
job = subprocess.Popen(mpi(3, [RUN, "--weights", WEIGHTS, "--image", many, "--method", "igcam", "--steps", "400",
                               "--batch", "1", "--out", out]),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
deadline = time.monotonic() + 300
while job.poll() is None and time.monotonic() < deadline and not (
        os.path.isdir(out) and sum(n.endswith(".partial") for n in os.listdir(out)) >= 6):
    time.sleep(0.05)
victims = subprocess.run(["pgrep", "-P", str(job.pid)], capture_output=True, text=True).stdout.split()
staged = sum(n.endswith(".partial") for n in os.listdir(out)) if os.path.isdir(out) else 0
if victims:
    os.kill(int(victims[-1]), signal.SIGKILL)
_, err = job.communicate(timeout=120)
print(f"killed a rank of igcam-run with {staged} files staged")
expect("run killed: fails, says so, leaves no output folder",
       job.returncode != 0 and staged > 0 and "nothing was written to " + out in err and not os.path.exists(out),
       f"exit {job.returncode}, {staged} staged, exists {os.path.exists(out)}: {err}")

if failures:
    print(f"{len(failures)} checks failed")
    sys.exit(1)
print("all MPI checks passed")
