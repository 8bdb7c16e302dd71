"""Which files an adopted Nagios server reads, found the way Nagios finds them and confined to the adopted tree.

Nagios reads every ``cfg_file``, every ``*.cfg`` under each ``cfg_dir`` (recursively, hidden entries skipped,
symlinks followed) and each ``resource_file``. adopt lists those files itself instead of letting Nagios roam: each
path, after symlinks, must lie inside the adopted tree (by default the directory of the main file), so a
``cfg_dir=`` pointing at another team's published objects is refused rather than imported; each directory is entered
once (a symlink loop ends instead of spinning); ``include_file``/``include_dir`` lines inside object files, which
Nagios resolves against its working directory, are refused so nothing is read that adopt did not confine.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from nagios_herd.parsers.nagios_objects import parse_main, parse_resource

# main-file options that change how objects resolve; the oracle run keeps them
OBJECT_OPTIONS = ("use_regexp_matching", "use_true_regexp_matching", "illegal_object_name_chars",
                  "allow_empty_hostgroup_assignment")
_INCLUDE = re.compile(rb"^[ \t]*(include_file|include_dir)[ \t]*=", re.M)


@dataclass
class ServerFiles:
    main: Path
    root: Path
    object_files: list[Path] = field(default_factory=list)
    resource_files: list[Path] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)
    user_macros: dict[str, str] = field(default_factory=dict)  # $USERn$ from the resource files, the last one wins
    problems: list[str] = field(default_factory=list)


class _Walker:
    def __init__(self, files: ServerFiles) -> None:
        self.files = files
        self.root = files.root
        self.visited: set[Path] = set()
        self.seen_files: set[Path] = set()

    def confined(self, where: str, path: Path) -> Path | None:
        """``path`` with symlinks resolved when it lies in the tree, else None after recording why."""
        try:
            real = path.resolve(strict=True)
        except FileNotFoundError:
            self.files.problems.append(f"{where}: {path} does not exist")
            return None
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop on older Pythons
            self.files.problems.append(f"{where}: {path} is a symlink loop")
            return None
        if real != self.root and not real.is_relative_to(self.root):
            self.files.problems.append(f"{where}: {path} is outside the adopted tree {self.root}")
            return None
        return real

    def add_file(self, where: str, path: Path) -> None:
        real = self.confined(where, path)
        if real is None or real in self.seen_files:
            return
        if not real.is_file():
            self.files.problems.append(f"{where}: {path} is not a file")
            return
        self.seen_files.add(real)
        try:
            data = real.read_bytes()
        except OSError as error:
            self.files.problems.append(f"{where}: {path}: cannot read: {error.strerror}")
            return
        include = _INCLUDE.search(data)
        if include:
            line = data[:include.start()].count(b"\n") + 1
            self.files.problems.append(f"{path}: {include.group(1).decode()} (line {line}): not followed by adopt; "
                                       "name the file with cfg_file or cfg_dir in the main file")
        self.files.object_files.append(real)

    def add_dir(self, where: str, path: Path) -> None:
        real = self.confined(where, path)
        if real is None:
            return
        if not real.is_dir():
            self.files.problems.append(f"{where}: {path} is not a directory")
            return
        if real in self.visited:  # a loop or a second way in: Nagios would read these files again
            return
        self.visited.add(real)
        try:
            entries = sorted(os.scandir(real), key=lambda entry: entry.name)
        except OSError as error:
            self.files.problems.append(f"{where}: {path}: cannot list: {error.strerror}")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()  # follows a symlink, as Nagios' stat() does
            except OSError:
                is_dir = False
            if is_dir:
                self.add_dir(where, path / entry.name)
            elif entry.name.endswith(".cfg"):
                self.add_file(where, path / entry.name)  # a looping or dangling link is reported there


def server_files(main: Path, root: Path | None = None) -> ServerFiles:
    """Every object and resource file the server whose main file is ``main`` reads, with the problems found."""
    base = main.parent.resolve()
    files = ServerFiles(main, (root or base).resolve())
    walker = _Walker(files)
    text = main.read_text(encoding="utf-8", errors="replace")
    for key, value in parse_main(text):
        if key in OBJECT_OPTIONS:
            files.options[key] = value
        if key not in ("cfg_file", "cfg_dir", "resource_file"):
            continue
        path = Path(value) if value.startswith("/") else base / value
        where = f"{main}: {key}"
        if key == "cfg_dir":
            walker.add_dir(where, path)
        elif key == "cfg_file":
            walker.add_file(where, path)
        else:
            real = walker.confined(where, path)
            if real is not None:
                files.resource_files.append(real)
                try:
                    files.user_macros.update(parse_resource(real.read_text(encoding="utf-8", errors="replace")))
                except OSError as error:
                    files.problems.append(f"{where}: {path}: cannot read: {error.strerror}")
    return files
