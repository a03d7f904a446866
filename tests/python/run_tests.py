#!/usr/bin/python3
"""The Python module's tests, as ctest runs them: installs the igcam package with
`pip install .` into tools/install_metrics_env.sh's virtual environment (which has nanobind,
scikit-build-core, pytest and the references: pytorch-grad-cam, TorchRay, SciPy,
scikit-image), then runs pytest on tests/python.

Usage: run_tests.py IGCAM_RUN BUILD_DIR WORK_DIR

BUILD_DIR/python-module is pip's persistent build folder, so a second run rebuilds only what
changed. The CUDA backend is left out of this build (IGCAM_CUDA=OFF) to keep the suite's
time down: the module's code does not depend on it, and the main build compiles it.
Installs the environment first when the python running this is not in it.
"""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
import metrics_env  # noqa: E402


def give_up(reason):
    print(f"error: the Python module's tests cannot run: {reason}", file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) != 4:
        give_up("usage: run_tests.py IGCAM_RUN BUILD_DIR WORK_DIR")
    igcam_run, build_dir, work = sys.argv[1:4]
    metrics_env.reexec_in_metrics_env(__file__, ["pytest", "nanobind", "scikit_build_core", "pytorch_grad_cam"], give_up)
    os.makedirs(work, exist_ok=True)
    start = time.time()
    env = dict(os.environ, CMAKE_BUILD_PARALLEL_LEVEL=os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2"))
    install = [sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-input",
               "--disable-pip-version-check", "--force-reinstall", "-q",
               f"--config-settings=build-dir={os.path.join(build_dir, 'python-module')}",
               "--config-settings=cmake.define.IGCAM_CUDA=OFF", "--config-settings=cmake.define.IGCAM_WERROR=ON", ROOT]
    print("+", " ".join(install), flush=True)
    if subprocess.run(install, env=env).returncode != 0:
        give_up("pip install of the igcam package failed (its output is above)")
    print(f"installed the igcam package in {time.time() - start:.1f} s", flush=True)
    # From the work folder, so that `import igcam` finds the installed package, not python/igcam.
    test = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", HERE, HERE]
    env = dict(os.environ, IGCAM_RUN=os.path.abspath(igcam_run), IGCAM_PYTHON_TEST_WORK=os.path.abspath(work))
    sys.exit(subprocess.run(test, cwd=work, env=env).returncode)


if __name__ == "__main__":
    main()
