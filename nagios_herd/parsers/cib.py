"""The configuration section of a Pacemaker CIB: its resources with their agents and attributes.

Pure: XML text in, :class:`Resource` list out, for the agent parameter check and for the tools that read placement
preferences back. Clones are returned as resources of kind ``clone`` (meta attributes only) and their primitive as
its own resource with ``parent`` set.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from nagios_herd.parsers.xml_root import xml_root


class CibError(ValueError):
    """The text is not a CIB."""


@dataclass(frozen=True)
class Resource:
    id: str
    kind: str  # primitive, clone, group, bundle
    agent: str = ""  # class:provider:type or class:type ("" for a clone)
    params: tuple[tuple[str, str], ...] = ()  # instance attributes, in file order (a repeat is kept)
    meta: tuple[tuple[str, str], ...] = ()
    parent: str = ""
    ops: tuple[dict[str, str], ...] = field(default=())


def parse_xml(text: str) -> ET.Element:
    """The ``<cib>`` root element of ``text``; :class:`CibError` when it is not XML or not a CIB."""
    return xml_root(text, "cib", CibError)


def _pairs(element: ET.Element, tag: str) -> tuple[tuple[str, str], ...]:
    return tuple((pair.get("name", ""), pair.get("value", "")) for block in element.findall(tag)
                 for pair in block.findall("nvpair"))


def _agent(element: ET.Element) -> str:
    parts = [element.get("class", ""), element.get("provider", ""), element.get("type", "")]
    return ":".join(part for part in parts if part)


def resources(text: str) -> list[Resource]:
    """Every primitive, clone and group of the configuration, parents before their children."""
    root = parse_xml(text)
    section = root.find("./configuration/resources")
    if section is None:
        raise CibError("no <configuration><resources> section")
    found: list[Resource] = []

    def walk(element: ET.Element, parent: str) -> None:
        for child in element:
            if child.tag == "primitive":
                found.append(Resource(child.get("id", ""), "primitive", _agent(child),
                                      _pairs(child, "instance_attributes"), _pairs(child, "meta_attributes"), parent,
                                      tuple(dict(op.attrib) for op in child.iterfind("./operations/op"))))
            elif child.tag in ("clone", "group", "bundle", "master"):
                found.append(Resource(child.get("id", ""), child.tag, meta=_pairs(child, "meta_attributes"),
                                      parent=parent))
                walk(child, child.get("id", ""))

    walk(section, "")
    return found


def location_preferences(text: str) -> dict[str, str]:
    """``{resource: node}`` for each positive, finite location preference (the herd's preferred hosts)."""
    root = parse_xml(text)
    preferences = {}
    for constraint in root.iterfind("./configuration/constraints/rsc_location"):
        score = constraint.get("score", "")
        if constraint.get("rsc") and constraint.get("node") and score.lstrip("+").isdigit() and int(score) > 0:
            preferences[constraint.get("rsc", "")] = constraint.get("node", "")
    return preferences
