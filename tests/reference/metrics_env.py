"""Re-running a reference script inside tools/install_metrics_env.sh's virtual environment."""
import os
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def reexec_in_metrics_env(script, modules, give_up):
    """Returns when every module in `modules` imports; otherwise installs the environment (once)
    and re-executes `script` with the same arguments under its python. Calls give_up(reason)
    (which must not return) when that cannot be done."""
    try:
        for module in modules:
            __import__(module)
        return
    except ImportError:
        pass
    if os.environ.get("IGCAM_METRICS_REEXEC"):
        give_up(f"the reference environment's python cannot import {', '.join(modules)}")
    installer = os.path.join(ROOT, "tools", "install_metrics_env.sh")
    result = subprocess.run(["bash", installer], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sys.stderr.write(result.stderr[-4000:])
    if result.returncode != 0:
        lines = [l for l in result.stderr.splitlines() if "cannot install" in l] or result.stderr.splitlines()[-1:]
        give_up(lines[-1] if lines else f"{installer} exited with {result.returncode}")
    python = result.stdout.strip().splitlines()[-1]
    os.environ["IGCAM_METRICS_REEXEC"] = "1"
    os.execv(python, [python, os.path.abspath(script)] + sys.argv[1:])
