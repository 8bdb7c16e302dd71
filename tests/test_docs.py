"""The docs cannot drift from the code.

- docs/inventory.md lists exactly the keys the inventory schema accepts. The schema tables are read from
  :mod:`nagios_herd.inventory.schema` (every ``Spec`` in it must be mapped to its TOML table here, so a new table
  cannot go undocumented either), the top-level tables from the loaders, and the defaults from the model the
  inventory is built into. Each documented key must have the schema's type, say "required" exactly when the
  schema requires it, show the model's default, and give an integer's range as ``LOW..HIGH``.
- Every code the program prints or cites (I4, A4.3, V13) is defined in docs/operator-guide.md.
- Links between README.md and the docs pages reach an existing file and heading.
- Every fixture file is named in tests/fixtures/PROVENANCE.md.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from nagios_herd import model
from nagios_herd.inventory import schema
from nagios_herd.inventory.files import TEAM_KEYS
from nagios_herd.inventory.loader import HERD_KEYS

DOCS = Path(__file__).resolve().parent.parent / "docs"

# Each TOML table as the docs write its header -> (the file it belongs in, its Spec, the model class of its values)
TABLES = {
    "[herd]": ("herd", schema.HERD, model.Herd),
    "[paths]": ("herd", schema.PATHS, model.Paths),
    "[pacemaker]": ("herd", schema.PACEMAKER, model.Cluster),
    "[fencing.NAME]": ("herd", schema.FENCING, model.FenceDevice),
    "[commands.NAME]": ("herd", schema.HERD_COMMAND, model.Command),
    "[[admins]]": ("herd", schema.ADMIN, model.Contact),
    "[notifications]": ("herd", schema.NOTIFICATIONS, model.Notifications),
    "[lab]": ("herd", schema.LAB, model.LabTuning),
    "[hosts.NAME]": ("herd", schema.XEN_HOST, model.XenHost),
    "[guests.NAME]": ("herd", schema.GUEST, model.Guest),
    "[team]": ("team", schema.TEAM, model.Team),
    "[[contacts]]": ("team", schema.CONTACT, model.Contact),
    "[[commands]]": ("team", schema.TEAM_COMMAND, model.Command),
    "[[hosts]]": ("team", schema.MONITORED_HOST, model.MonitoredHost),
    "[[services]]": ("team", schema.SERVICE, model.Service),
}
# arrays of whole Nagios objects: their keys are Nagios directives, documented as such rather than row by row
DIRECTIVE_TABLES = {f"[[{key}]]" for key in schema.DEFINITIONS}
SECTIONS = {"## The herd file": "herd", "## Team files": "team"}
TYPES = {str: "string", int: "integer", bool: "boolean", list: "list of strings", dict: "table"}
HEADING = re.compile(r"^### `(\[\[?[a-z_.A-Z]+\]\]?)`(?: \((.*)\))?$")
ROW = re.compile(r"^\| `([a-z_0-9]+)` \| ([^|]+) \| ([^|]+) \| (.*) \|$")


def documented(page: Path) -> dict[str, tuple[str, str, dict[str, tuple[str, str, str]]]]:
    """``{table header: (file kind, what the heading says in parentheses, {key: (type, default, constraint)})}``."""
    tables: dict[str, tuple[str, str, dict[str, tuple[str, str, str]]]] = {}
    kind = current = None
    for line in page.read_text().splitlines():
        if line.startswith("## "):
            kind, current = SECTIONS.get(line), None
        elif line.startswith("### "):
            match = HEADING.match(line)
            current = match.group(1) if match and kind else None
            if current:
                assert current not in tables, f"{page.name}: {current} documented twice"
                tables[current] = (kind, match.group(2) or "", {})
        elif current and (row := ROW.match(line)):
            key, *cells = (cell.strip() for cell in row.groups())
            assert key not in tables[current][2], f"{page.name}: {current} {key} documented twice"
            tables[current][2][key] = tuple(cells)
    return tables


@pytest.fixture(scope="module")
def tables() -> dict[str, tuple[str, str, dict[str, tuple[str, str, str]]]]:
    return documented(DOCS / "inventory.md")


def toml_default(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, tuple):
        return "`[" + ", ".join(f'"{item}"' for item in value) + "]`"
    if isinstance(value, str):
        return f'`"{value}"`'
    return f"`{value}`"


def test_every_schema_table_is_mapped_to_its_toml_header() -> None:
    specs = {name for name, value in vars(schema).items() if isinstance(value, schema.Spec)}
    mapped = {name for name, value in vars(schema).items() if any(value is spec for _, spec, _ in TABLES.values())}
    assert specs == mapped, f"map the new schema table(s) {sorted(specs - mapped)} in TABLES and document them"


def test_every_top_level_table_is_documented_with_whether_it_is_required(tables) -> None:
    for kind, keys in (("herd", HERD_KEYS), ("team", TEAM_KEYS)):
        headers = {header: note for header, (where, note, _) in tables.items() if where == kind}
        tops = {re.sub(r"[\[\]]|\.NAME", "", header): note for header, note in headers.items()}
        assert set(tops) == set(keys), f"{kind} file: documented {sorted(tops)}, the loader reads {sorted(keys)}"
        for key, required in keys.items():
            assert tops[key].startswith("required") == required, \
                f"{kind} file: [{key}] is {'required' if required else 'optional'}; the heading says {tops[key]!r}"


def test_documented_tables_are_the_schema_tables(tables) -> None:
    assert set(tables) == set(TABLES) | DIRECTIVE_TABLES, "docs/inventory.md: document each table under its TOML header"
    for header, (kind, _, _) in tables.items():
        assert kind == (TABLES[header][0] if header in TABLES else "team"), f"{header} is documented under the wrong file"


@pytest.mark.parametrize("header", sorted(TABLES))
def test_every_key_is_documented_and_every_documented_key_exists(tables, header: str) -> None:
    _, spec, _ = TABLES[header]
    keys = tables.get(header, ("", "", {}))[2]
    assert not set(spec) - set(keys), f"docs/inventory.md {header}: undocumented key(s) {sorted(set(spec) - set(keys))}"
    assert not set(keys) - set(spec), f"docs/inventory.md {header}: no such key(s) {sorted(set(keys) - set(spec))}"


@pytest.mark.parametrize("header", sorted(TABLES))
def test_type_default_and_range_of_each_key_match_the_code(tables, header: str) -> None:
    _, spec, cls = TABLES[header]
    defaults = {field.name: field.default for field in dataclasses.fields(cls)
                if field.default is not dataclasses.MISSING}
    defaults |= {field.name: field.default_factory() for field in dataclasses.fields(cls)
                 if field.default_factory is not dataclasses.MISSING}
    for key, (kind, default, constraint) in tables.get(header, ("", "", {}))[2].items():
        field = spec[key]
        where = f"docs/inventory.md {header} {key}"
        assert kind == TYPES[field.kind], f"{where}: type is {TYPES[field.kind]!r}, the page says {kind!r}"
        assert (default == "required") == field.required, \
            f"{where}: {'required' if field.required else 'optional'}, the page says {default!r}"
        if not field.required and key in defaults:
            assert default == toml_default(defaults[key]), \
                f"{where}: the default is {toml_default(defaults[key])}, the page says {default!r}"
        if field.kind is int:
            assert f"{field.low}..{field.high}" in constraint, \
                f"{where}: the range is {field.low}..{field.high}, the page says {constraint!r}"


def test_the_reader_finds_what_it_is_meant_to(tmp_path: Path) -> None:
    """The parser of the page is itself tested: a missing key, an extra key and a wrong type are seen."""
    page = tmp_path / "inventory.md"
    page.write_text("## The herd file\n\n### `[herd]` (required)\n\n| Key | Type | Default | Constraint |\n"
                    "|---|---|---|---|\n| `name` | integer | required | a name |\n| `bogus` | string | `1` | x |\n")
    found = documented(page)
    assert found == {"[herd]": ("herd", "required", {"name": ("integer", "required", "a name"),
                                                     "bogus": ("string", "`1`", "x")})}


ROOT = DOCS.parent
CODE = re.compile(r"\b(?:A[0-9](?:\.[0-9]+)?|I[0-9]{1,2}|V[0-9]{1,2})\b")


def defined_codes(page: Path) -> set[str]:
    """The codes the operator's guide defines: ``- **I1 ...`` items, ``### A1 ...`` headings with their numbered
    steps (``A1.3``), and ``| V1 |`` table rows."""
    codes: set[str] = set()
    procedure = None
    for line in page.read_text().splitlines():
        if match := re.match(r"^- \*\*(I[0-9]+) ", line):
            codes.add(match.group(1))
        elif match := re.match(r"^\| (V[0-9]+) \|", line):
            codes.add(match.group(1))
        elif line.startswith("#"):
            match = re.match(r"^### (A[0-9]+) ", line)
            procedure = match.group(1) if match else None
            if procedure:
                codes.add(procedure)
        elif procedure and (match := re.match(r"^([0-9]+)\. ", line)):
            codes.add(f"{procedure}.{match.group(1)}")
    return codes


def test_every_code_the_program_prints_is_defined_in_the_operators_guide() -> None:
    """Help texts, messages and docstrings may say V7 or A4.3 only because the guide defines them."""
    sources = [*sorted((ROOT / "nagios_herd").rglob("*.py")), *sorted((ROOT / "checks").iterdir()),
               ROOT / "fabfile.py"]
    used = {(code, path.relative_to(ROOT).as_posix()) for path in sources if path.is_file()
            for code in CODE.findall(path.read_text())}
    defined = defined_codes(DOCS / "operator-guide.md")
    missing = sorted(f"{code} ({where})" for code, where in used if code not in defined)
    assert not missing, f"define these codes in docs/operator-guide.md: {', '.join(missing)}"


def test_the_guide_defines_the_whole_series() -> None:
    defined = defined_codes(DOCS / "operator-guide.md")
    for prefix, last in (("I", 10), ("A", 6), ("V", 14)):
        assert {f"{prefix}{n}" for n in range(1, last + 1)} <= defined, f"{prefix}1-{prefix}{last} not all defined"
    assert {"A1.3", "A4.3", "A6.1", "A6.5"} <= defined and "A4.9" not in defined


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lowercase, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", [ROOT / "README.md", *sorted(DOCS.glob("*.md"))], ids=lambda page: page.name)
def test_links_between_the_pages_resolve(page: Path) -> None:
    for target, fragment in re.findall(r"\]\(([^):#\s]*)(?:#([^)\s]*))?\)", page.read_text()):
        linked = (page.parent / target).resolve() if target else page
        assert linked.is_file(), f"{page.name}: link to missing {target}"
        if fragment and linked.suffix == ".md":
            anchors = {anchor(line.lstrip("#")) for line in linked.read_text().splitlines() if line.startswith("#")}
            assert fragment in anchors, f"{page.name}: no heading #{fragment} in {linked.name}"


FIXTURES = ROOT / "tests" / "fixtures"


def expand(pattern: str) -> list[str]:
    """``a_{x,y}.txt`` -> ``a_x.txt``, ``a_y.txt`` (nested braces are not used)."""
    match = re.search(r"\{([^{}]*)\}", pattern)
    if not match:
        return [pattern]
    return [expanded for choice in match.group(1).split(",")
            for expanded in expand(pattern[:match.start()] + choice + pattern[match.end():])]


def test_every_fixture_has_its_provenance() -> None:
    """Each file under tests/fixtures is named in PROVENANCE.md: by name, by a ``*``/``{a,b}`` pattern, or by a
    sub-directory (``adopt/hand/``) it lies in; a top-level heading such as ``issues/`` covers nothing by itself."""
    import fnmatch

    text = (FIXTURES / "PROVENANCE.md").read_text().replace("**", " ")  # bold markers are not wildcards
    patterns = {expanded.strip("`.,;:()") for token in re.findall(r"[\w./{},*+-]+", text) for expanded in expand(token)}
    patterns.discard("")
    missing = []
    for path in sorted(FIXTURES.rglob("*")):
        if not path.is_file() or path.name == "PROVENANCE.md" or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(FIXTURES).as_posix()
        if not any(fnmatch.fnmatch(path.name, p) or fnmatch.fnmatch(relative, p)
                   or (p.endswith("/") and p.count("/") > 1 and relative.startswith(p)) for p in patterns):
            missing.append(relative)
    assert not missing, f"tests/fixtures/PROVENANCE.md does not say where these come from: {missing}"
