"""The fast TOML subset reader agrees with tomllib: same document, or None (tomllib then decides).

A wrong fast-path answer would silently change what the inventory means, so every case here compares with the
standard library on the same text: shipped and fixture inventories, hand-picked edge cases, and a seeded mutation
sweep (single-character edits of a valid document) where the reader must either decline or match tomllib exactly.
"""

from __future__ import annotations

import random
import tomllib
from pathlib import Path

import pytest

from nagios_herd.inventory import toml_reader as inventory_toml

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = """# a team file
[team]
name = "db"   # trailing comment
alias = 'Database team'

[[contacts]]
name="alice"
email = "alice@example.net"
pager = ""

[[hosts]]
  name = "db01"
\tgroups = ["a", 'b',]
parents = [ ]
port = -0
big = 12345678901234567890
on = true
off = false

[[services]]
host = "db01"
line = "check \\"quoted\\" and \\\\ back"
args = ["x \\" y", "\\\\"]
"""

ACCEPTED = [
    "", "\n", "# only a comment", "a = 1", "a = 1\r\n", "a = 'x'\nb = \"y\"", "[t]\n", "[[a]]\n[[a]]\nk = 1\n",
    "[ t ]\nk = 1", "[[ a ]]", "a = [\"x\",\"y\"]", "k-_9 = 0", "k = \"caf\u00e9 \u2028\"", "k = '\t'",
    "a = 1 # c\t\n", "x = true\n[t]\nx = 2\n[[u]]\nx = 3\n",
    "[[h]]\na = 1\n[h.n]\na = 2\n[[h]]\na = 3\n[ h.n ]\n",  # adopt's [hosts.nagios] after each [[hosts]]
]
# texts the reader must hand to tomllib: either tomllib reads them differently, or refuses them
DECLINED = [
    "a = 1\na = 2", "[t]\n[t]", "[[a]]\n[a]", "[a]\n[[a]]", "a = []\n[[a]]", "a = 1\n[a]", "a = 1.5", "a = 1_000",
    "a = +1", "a = 01", "a = 0x1f", "a = 1979-05-27", "a = { b = 1 }", "a.b = 1", '"a" = 1', "[a.b]", '["a"]',
    "[t]\n[t.n]", "[[h]]\nn = 1\n[h.n]", "[[h]]\n[h.n]\n[h.n]", "[h.n]\n[[h]]", "[a.b.c]",
    'a = """x"""', "a = '''x'''", 'a = "\\n"', 'a = "\\u00e9"', 'a = "tab\there"', "a = [1, 2]", "a = [\n\"x\"]",
    "a = [,]", "a = 1\r", "a = 1\rb = 2", "\ufeffa = 1", "a = 1 # bell \x07", "a = truex", "a = 1 2",
    "[t] k = 1", "[[a]", "[a]]", "[ [a] ]", "a = \"x", "a", "= 1", "a = ", "a = 'x\x7f'", "a = \"\x00\"",
]


def typed(value: object) -> object:
    """``value`` with every leaf's type beside it (``True == 1`` must not hide a wrong type)."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value), value)


def _tomllib(text: str) -> object:
    try:
        return typed(tomllib.loads(text))
    except tomllib.TOMLDecodeError:
        return tomllib.TOMLDecodeError


@pytest.mark.parametrize("path", sorted([*ROOT.glob("etc/**/*.toml"), *ROOT.glob("tests/**/*.toml")]),
                         ids=lambda path: str(path.relative_to(ROOT)))
def test_shipped_inventories_read_the_same(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast = inventory_toml.loads(text)
    assert fast is None or typed(fast) == _tomllib(text)


def test_team_files_take_the_fast_path() -> None:
    teams = sorted(ROOT.glob("etc/*teams/*.toml"))
    assert teams and all(inventory_toml.loads(path.read_text(encoding="utf-8")) is not None for path in teams)


@pytest.mark.parametrize("text", [SAMPLE, *ACCEPTED])
def test_subset_reads_like_tomllib(text: str) -> None:
    fast = inventory_toml.loads(text)
    assert fast is not None
    assert typed(fast) == _tomllib(text)


@pytest.mark.parametrize("text", DECLINED)
def test_outside_the_subset_is_declined(text: str) -> None:
    assert inventory_toml.loads(text) is None


def test_mutations_are_declined_or_read_like_tomllib() -> None:
    alphabet = list("[]\"'=#.,\\ \t\n\r-+_01aZ{}\x00\x7f\u00e9") + ["true", "[[", "]]", '\\"', "\r\n"]
    rng = random.Random(20261126)
    fast_reads = 0
    for _ in range(3000):
        text = SAMPLE
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            cut = rng.choice((0, 0, 1, 2))
            text = text[:at] + rng.choice(alphabet + [""]) + text[at + cut:]
        fast = inventory_toml.loads(text)
        if fast is not None:
            fast_reads += 1
            assert typed(fast) == _tomllib(text), repr(text)
    assert fast_reads > 300  # the sweep exercised the fast path, not only the fallback
