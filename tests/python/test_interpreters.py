"""The README's one-liner under the first python3 on PATH, which may not be the interpreter the
module was built for (pyenv, a venv without NumPy): it must still import and print SiLU's
derivative."""

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import tapegrad as tg

ONE_LINER = ("import tapegrad as tg; x = tg.tensor([-2.0, 0.0, 2.0], requires_grad=True); "
             "tg.silu(x).sum().backward(); print(x.grad.numpy())")


def test_one_liner_under_python3_on_path():
    python3 = shutil.which("python3")
    if python3 is None:
        pytest.skip("no python3 on PATH")
    version = subprocess.run([python3, "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True).stdout.split()
    if tuple(map(int, version)) != tg._build_info.PYTHON_VERSION:
        pytest.skip(f"{python3} is Python {'.'.join(version)}; the module is built for "
                    f"{tg._build_info.PYTHON_VERSION}")
    package_root = Path(tg.__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(package_root))
    out = subprocess.run([python3, "-c", ONE_LINER], capture_output=True, text=True, env=env,
                         cwd=package_root)
    assert out.returncode == 0, out.stderr
    values = np.array(out.stdout.strip().strip("[]").split(), dtype=float)
    v = np.array([-2.0, 0.0, 2.0])
    s = 1 / (1 + np.exp(-v))
    np.testing.assert_allclose(values, s * (1 + v * (1 - s)), rtol=1e-6)
