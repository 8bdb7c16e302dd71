"""The project as users install it: an sdist and a wheel built from this tree, installed into a fresh virtualenv."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def run(argv: list[str], cwd: Path, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
                          stdin=subprocess.DEVNULL, **kwargs)


@pytest.fixture(scope="session")
def dists(tmp_path_factory) -> dict[str, Path]:
    """``python -m build``: the sdist, and the wheel built from that sdist (so the sdist must be complete)."""
    out = tmp_path_factory.mktemp("dist")
    done = run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=out)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return {"sdist": next(out.glob("nagios_herd-*.tar.gz")), "wheel": next(out.glob("nagios_herd-*.whl"))}


@pytest.fixture(scope="session")
def installed(dists: dict[str, Path], tmp_path_factory) -> Path:
    """A fresh virtualenv with the wheel (and its dependencies) installed, not editable; returns its bin/."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home, with_pip=True)
    done = run([str(home / "bin" / "python"), "-m", "pip", "install", "-q", str(dists["wheel"])], cwd=home)
    assert done.returncode == 0, done.stderr[-2000:]
    return home / "bin"
