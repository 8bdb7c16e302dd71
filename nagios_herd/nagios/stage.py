"""Run a generated Nagios tree somewhere other than ``/``: rebase its ``nagios.cfg`` onto a staging directory.

A generated guest tree names absolute Debian paths (``/etc/nagios4/objects/...``, ``/var/lib/nagios4/...``) because
that is where it is deployed, so it cannot be checked (``nagios4 -v``) or run (tests, the lab) in place. Staging
writes ONE new file, ``<stage>/nagios.cfg``: the generated main file with every path directive's value prefixed by
the stage directory, and ``<stage>/etc/nagios4`` a symlink to the generated ``etc/nagios4``. Nagios therefore reads
the generated object files, resource file and cgi.cfg byte for byte, through the symlink; only the main file is a
rewritten copy, and the rewrite touches nothing but path values (:func:`rebase` is pure and tested for that).
Runtime paths (status, spool, logs, lock) land in empty directories under the stage. ``nagios_user`` and
``nagios_group`` are set to the caller's own user and group: Nagios drops privileges before it reads the objects,
and a build tree under a private directory (``/root``, pytest's tmp) is not readable by the ``nagios`` user there;
who may read the deployed files is the deployment's concern, not the configuration's validity.
"""

from __future__ import annotations

import grp
import os
import pwd
from collections.abc import Mapping
from pathlib import Path

# nagios.cfg directives whose value is a path; (directive, is a directory).
PATH_DIRECTIVES: dict[str, bool] = {
    "cfg_file": False, "cfg_dir": True, "resource_file": False, "log_file": False, "log_archive_path": True,
    "object_cache_file": False, "precached_object_file": False, "status_file": False, "temp_file": False,
    "temp_path": True, "state_retention_file": False, "check_result_path": True, "command_file": False,
    "lock_file": False, "debug_file": False,
}


def rebase(text: str, stage: str, overrides: Mapping[str, str] | None = None) -> tuple[str, list[tuple[str, bool]]]:
    """The main file with absolute path values prefixed by ``stage``, and the (path, is_dir) list it now names.

    ``overrides`` replaces whole directive values (e.g. ``nagios_user=root`` to run as root in tests).
    """
    overrides = dict(overrides or {})
    lines = []
    paths: list[tuple[str, bool]] = []
    for line in text.splitlines(keepends=True):
        key, sep, value = line.partition("=")
        key = key.strip()
        if sep and key in overrides:
            line = f"{key}={overrides[key]}\n"
        elif sep and key in PATH_DIRECTIVES and value.strip().startswith("/"):
            target = stage.rstrip("/") + value.strip()
            line = f"{key}={target}\n"
            paths.append((target, PATH_DIRECTIVES[key]))
        lines.append(line)
    return "".join(lines), paths


def stage(tree: Path, stage_dir: Path, overrides: Mapping[str, str] | None = None) -> Path:
    """Prepare ``stage_dir`` to run the guest tree ``tree`` (which holds ``etc/nagios4``); returns the main file."""
    main = tree / "etc" / "nagios4" / "nagios.cfg"
    me = {"nagios_user": pwd.getpwuid(os.geteuid()).pw_name, "nagios_group": grp.getgrgid(os.getegid()).gr_name}
    text, paths = rebase(main.read_text(), str(stage_dir), {**me, **(overrides or {})})
    (stage_dir / "etc").mkdir(parents=True, exist_ok=True)
    link = stage_dir / "etc" / "nagios4"
    if not link.is_symlink():
        os.symlink(os.path.abspath(tree / "etc" / "nagios4"), link)  # unresolved: follows a swapped "current"
    for path, is_dir in paths:
        target = Path(path)
        if target.is_relative_to(link):
            continue
        (target if is_dir else target.parent).mkdir(parents=True, exist_ok=True)
    staged = stage_dir / "nagios.cfg"
    staged.write_text(text)
    return staged

