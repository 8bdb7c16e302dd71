"""Bad input to every ``nagios-herd`` subcommand: one line on stderr naming the option, the variable or the file,
a non-zero exit, never a traceback, nothing written where it was refused. Runs the real command (``python -m
nagios_herd.cli``, what the console script calls) on a private copy of the small inventory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from inventory_helpers import ROOT, copy_fixture

INVENTORY = "{tmp}/inv/herd.toml"
# (argv, extra environment, exit status, the line on stderr); {tmp} is the test's tmp_path, which holds "file" (a
# regular file), "notatree" (a directory with a file in it, no MANIFEST.json) and inv/ (the inventory).
BAD_INPUT = [
    ([], {}, 2, "nagios-herd: the following arguments are required: COMMAND"),
    (["bogus"], {}, 2, "nagios-herd: argument COMMAND: invalid choice: 'bogus' (choose from 'generate', 'validate', "
                       "'publish', 'adopt', 'watch', 'lab')"),
    (["generate", "--output", "{tmp}/file"], {}, 1,
     "nagios-herd: --output {tmp}/file: not a directory; refusing to replace it"),
    (["generate", "--output", "{tmp}/notatree"], {}, 1,
     "nagios-herd: --output {tmp}/notatree: not a build tree (no MANIFEST.json); refusing to replace it"),
    (["generate", "--inventory", "{tmp}/notatree", "--output", "{tmp}/out"], {}, 2,
     "nagios-herd: --inventory {tmp}/notatree: is a directory"),
    (["generate", "--output", "{tmp}/out"], {"NAGIOS_HERD_INVENTORY": "{tmp}/missing.toml"}, 2,
     "nagios-herd: $NAGIOS_HERD_INVENTORY {tmp}/missing.toml: No such file or directory"),
    (["generate", "--publish", "--keep", "0"], {}, 2, "nagios-herd generate: argument --keep: '0': must be at least 1"),
    (["validate", "--output", "{tmp}/file"], {}, 2,
     "nagios-herd: {tmp}/file: no build tree here (no MANIFEST.json); run 'nagios-herd generate' first"),
    (["publish", "--keep", "x"], {}, 2, "nagios-herd publish: argument --keep: 'x': not a whole number"),
    (["publish", "--wait", "nan"], {}, 2, "nagios-herd publish: argument --wait: 'nan': not a finite number"),
    (["publish", "--wait", "-1"], {}, 2, "nagios-herd publish: argument --wait: '-1': must be at least 0"),
    (["publish", "--live", "{tmp}/file"], {}, 1,
     "nagios-herd: --live {tmp}/file: not a directory (a symlink or a file); refusing to use it"),
    (["publish", "--live", "{tmp}/file/live"], {}, 1, "nagios-herd: --live {tmp}/file/live: Not a directory"),
    (["publish", "--reload", " ", "--live", "{tmp}/live"], {}, 2, "nagios-herd: --reload ' ': empty command"),
    (["adopt", "--team", "alpha"], {}, 2,
     "nagios-herd adopt: the following arguments are required: PATH/TO/nagios.cfg"),
    (["adopt", "--team", "nosuch", "{tmp}/nagios.cfg"], {}, 2,
     "nagios-herd: {tmp}/inv/herd.toml: no guest has team 'nosuch' (teams: alpha, beta, gamma)"),
    (["adopt", "--team", "alpha", "--tree", "{tmp}/file", "{tmp}/nagios.cfg"], {}, 2,
     "nagios-herd: --tree {tmp}/file: not a directory"),
    (["watch", "--connect-timeout", "0"], {}, 2,
     "nagios-herd watch: argument --connect-timeout: '0': must be at least 1"),
    (["watch", "--backoff", "inf"], {}, 2, "nagios-herd watch: argument --backoff: 'inf': not a finite number"),
    (["watch", "--reset-after", "an hour"], {}, 2,
     "nagios-herd watch: argument --reset-after: 'an hour': not a number"),
    (["watch", "--pause", "-5"], {}, 2, "nagios-herd watch: argument --pause: '-5': must be at least 0"),
    (["watch", "--pause", "5", "--resume"], {}, 2,
     "nagios-herd watch: argument --resume: not allowed with argument --pause"),
    (["watch", "--state-dir", "{tmp}/file"], {}, 1,
     "nagios-herd: --state-dir {tmp}/file: not a directory (a symlink or a file); refusing to use it"),
    (["watch", "--resume"], {"NAGIOS_HERD_STATE_DIR": "{tmp}/file"}, 1,
     "nagios-herd: $NAGIOS_HERD_STATE_DIR {tmp}/file: not a directory (a symlink or a file); refusing to use it"),
    (["watch", "--state-file", "{tmp}/notatree"], {}, 1, "nagios-herd: {tmp}/notatree: not a regular file"),
    (["watch", "--pause-file", "{tmp}/notatree", "--pause", "60"], {}, 1,
     "nagios-herd: {tmp}/notatree: is a directory; refusing to replace it"),
    (["watch", "--pause-file", "{tmp}/notatree", "--resume"], {}, 1,
     "nagios-herd: {tmp}/notatree: cannot remove: Is a directory"),
    (["lab", "fault", "primary", "slow-shutdown", "-1"], {}, 2,
     "nagios-herd lab fault: argument SECONDS: '-1': must be at least 0"),
    (["lab", "fault", "primary", "explode"], {}, 2,
     "nagios-herd lab fault: argument ACTION: invalid choice: 'explode' (choose from 'crash', 'revive', "
     "'slow-shutdown', 'cut', 'heal')"),
    (["lab", "up", "--inventory", "{tmp}/notatree", "--state-dir", "{tmp}/lab"], {}, 2,
     "nagios-herd: --inventory {tmp}/notatree: is a directory"),
]


@pytest.mark.parametrize("args, env, code, message", BAD_INPUT)
def test_bad_input_is_one_line_naming_the_option(tmp_path: Path, args, env, code, message) -> None:
    copy_fixture(tmp_path)
    (tmp_path / "file").write_text("not a directory\n")
    (tmp_path / "notatree").mkdir()
    (tmp_path / "notatree" / "keep.txt").write_text("an operator's file\n")
    (tmp_path / "nagios.cfg").write_text("cfg_dir=objects\n")
    before = sorted(tmp_path.rglob("*"))
    environment = {"PATH": os.environ["PATH"], "LC_ALL": "C", "HOME": str(tmp_path),
                   "NAGIOS_HERD_INVENTORY": INVENTORY.format(tmp=tmp_path),
                   "NAGIOS_HERD_STATE_DIR": str(tmp_path / "state"),
                   **{name: value.format(tmp=tmp_path) for name, value in env.items()}}
    done = subprocess.run([sys.executable, "-m", "nagios_herd.cli", *(arg.format(tmp=tmp_path) for arg in args)],
                          cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in done.stderr
    assert (done.returncode, done.stderr.splitlines()) == (code, [message.format(tmp=tmp_path)]), done.stderr
    assert [path for path in sorted(tmp_path.rglob("*")) if path.name != "state"] == \
        [path for path in before if path.name != "state"]
    assert (tmp_path / "notatree" / "keep.txt").read_text() == "an operator's file\n"
