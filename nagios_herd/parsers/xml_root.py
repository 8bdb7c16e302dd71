"""The root element of an XML document that must be one kind: how the CIB, transition graph and agent metadata
parsers open their text.

Pure: text in, the root :class:`~xml.etree.ElementTree.Element` out. Bad input is one line in the caller's own
exception class (so each parser keeps its own error type): ``not XML: <the XML parser's message>`` or
``root element is <x>, not <tag>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET


def xml_root(text: str, tag: str, error: type[ValueError]) -> ET.Element:
    """The root of ``text`` when it parses and is a ``<tag>``; otherwise raise ``error`` with one line."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as problem:
        raise error(f"not XML: {problem}") from None
    if root.tag != tag:
        raise error(f"root element is <{root.tag}>, not <{tag}>")
    return root
