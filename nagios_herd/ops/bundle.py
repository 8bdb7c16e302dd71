"""The plugin bundle: the check plugins and only the modules they import, as one checksummed tar.

Why a bundle: a dom0 or a guest has python3 (check_nagios_guest needs nothing beyond its standard library),
never a checkout or the operator's package. Members (sorted, owner root, mode 0644/0755, mtime 0, so the same
sources always give the same bytes and the same digest):

    checks/check_*                 the thin launchers; each finds ``nagios_herd`` beside ``checks/`` from its
                                   real path, so a link to it in the plugin dir works
    nagios_herd/__init__.py        the version ``-V`` prints
    nagios_herd/{errors,httpget,privilege,textsafe}.py   the core modules the checks import
    nagios_herd/{plugin,parsers,checks}/...py   the check runtime, the pure parsers, the checks
    SHA256SUMS                     ``sha256sum -c`` format, checked on the target after unpacking

``python3 -m nagios_herd.ops.bundle DIR`` writes the same tree unpacked (for packaging).
"""

from __future__ import annotations

import hashlib
import io
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from nagios_herd import __version__, shipped

PACKAGE = Path(__file__).resolve().parent.parent
SUBPACKAGES = ("plugin", "parsers", "checks")
# The core modules the plugin runtime and the checks import: the output sanitiser, the bounded HTTP GET, the
# plugins' state dir (the privilege model) and the error it raises.
CORE_MODULES = ("errors.py", "httpget.py", "privilege.py", "textsafe.py")
SUMS = "SHA256SUMS"


@dataclass(frozen=True)
class Bundle:
    """The tar's bytes and its sha256; ``name`` (the digest's first 16 hex digits) names its directory on a
    target."""

    data: bytes
    digest: str
    version: str
    checks: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.digest[:16]


def checks() -> tuple[str, ...]:
    """Every shipped launcher's name (``check_*``)."""
    return tuple(sorted(path.name for path in shipped.launchers().glob("check_*")))


def members() -> dict[str, tuple[bytes, int]]:
    """Bundle path -> (content, mode), SHA256SUMS included."""
    found: dict[str, tuple[bytes, int]] = {f"nagios_herd/{name}": ((PACKAGE / name).read_bytes(), 0o644)
                                           for name in ("__init__.py", *CORE_MODULES)}
    for sub in SUBPACKAGES:
        for path in sorted((PACKAGE / sub).rglob("*.py")):
            found[f"nagios_herd/{path.relative_to(PACKAGE).as_posix()}"] = (path.read_bytes(), 0o644)
    for check in checks():
        found[f"checks/{check}"] = ((shipped.launchers() / check).read_bytes(), 0o755)
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, (data, _) in sorted(found.items()))
    found[SUMS] = (sums.encode(), 0o644)
    return found


def build() -> Bundle:
    return pack(members())


def pack(found: dict[str, tuple[bytes, int]]) -> Bundle:
    """``found`` (path -> (content, mode)) as a deterministic tar."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, (data, mode) in sorted(found.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(data))
    data = buffer.getvalue()
    names = tuple(sorted(name.partition("/")[2] for name in found if name.startswith("checks/check_")))
    return Bundle(data, hashlib.sha256(data).hexdigest(), __version__, names)


def write_tree(directory: Path) -> None:
    """The bundle unpacked into ``directory`` (the Debian package's private module directory)."""
    for name, (data, mode) in members().items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(mode)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 -m nagios_herd.ops.bundle DIR")
    write_tree(Path(sys.argv[1]))
