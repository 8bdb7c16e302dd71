"""Where the files shipped beside the code live: the Jinja2 templates, the example inventories, the plugin launchers.

An installed package (wheel, Debian package) carries them as package data in ``nagios_herd/data/``; a checkout
keeps them at its top level (``templates/``, ``etc/``, ``checks/``) and the build copies them into the package, so both forms
find the same files through :func:`shipped`.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DATA = Path(__file__).resolve().parent / "data"
CHECKOUT = Path(__file__).resolve().parent.parent


def shipped(name: str) -> Path:
    """``nagios_herd/data/NAME`` when the package carries it, else the checkout's top-level ``NAME``."""
    packaged = PACKAGE_DATA / name
    return packaged if packaged.is_dir() else CHECKOUT / name


def templates() -> Path:
    return shipped("templates")


def lab_inventory() -> Path:
    """The default lab inventory: ``etc/lab.toml`` and its ``lab-teams/``."""
    return shipped("etc") / "lab.toml"


def example_inventory() -> Path:
    return shipped("etc") / "herd.toml"


def launchers() -> Path:
    """The check plugins' thin executables (``check_*``)."""
    return shipped("checks")
