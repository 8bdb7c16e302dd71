"""Build hook: the top-level ``templates/``, ``etc/`` and ``checks/`` (the plugin launchers) of the source tree
become package data."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("templates", "etc", "checks")


class BuildWithShippedFiles(build_py):
    """Copy the shipped directories into ``nagios_herd/data/`` of the build (an editable install reads them in
    place)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        root = Path(__file__).resolve().parent
        for name in SHIPPED:
            target = Path(self.build_lib) / "nagios_herd" / "data" / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(root / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


# The checks install as their launchers, not as console-script wrappers: a wrapper imports ``re`` (a third of a
# check's start-up). pip writes the virtualenv's python into the launcher's shebang without its -sS, so there the
# virtualenv's ``site`` still runs (about 2 ms, its .pth files); the launcher finds the package either way.
CHECKS = sorted(str(path.relative_to(Path(__file__).resolve().parent))
                for path in (Path(__file__).resolve().parent / "checks").glob("check_*"))

setup(cmdclass={"build_py": BuildWithShippedFiles}, scripts=CHECKS)
