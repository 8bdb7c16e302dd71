"""Attacks made for real: a directory an unprivileged user can reach, and commands run as that user."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
AS_NAGIOS = ["setpriv", "--reuid=nagios", "--regid=nagios", "--clear-groups"]


@pytest.fixture
def shared(tmp_path) -> Path:
    """A fresh directory under /tmp that every user may enter (pytest's own tmp_path is root-only)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to act as another user")
    path = Path(tempfile.mkdtemp(prefix="herd-sec-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def as_user(prefix: list[str], command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=30, **kwargs)
