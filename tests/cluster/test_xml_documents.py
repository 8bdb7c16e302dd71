"""The CIB, transition graph and agent metadata parsers open their XML one way (parsers/xml_root.py): one line in
the parser's own error class for text that is not XML or not their document."""

from __future__ import annotations

from pathlib import Path

import pytest

from nagios_herd.parsers import cib, ocf_metadata, transition_graph
from nagios_herd.parsers.xml_root import xml_root

CRM_MON = Path(__file__).resolve().parents[1] / "fixtures" / "pacemaker" / "crm_mon-2.1.5-herd-steady.xml"
PARSERS = [(cib.parse_xml, cib.CibError, "cib"), (cib.resources, cib.CibError, "cib"),
           (cib.location_preferences, cib.CibError, "cib"),
           (ocf_metadata.parse, ocf_metadata.MetadataError, "resource-agent"),
           (transition_graph.parse, transition_graph.GraphError, "transition_graph")]


@pytest.mark.parametrize("parse, error, tag", PARSERS)
@pytest.mark.parametrize("text, message", [
    ("", "not XML: no element found: line 1, column 0"),
    ("crm_resource: Metadata query for ocf:heartbeat:Xenn failed: No such device or address\n",
     "not XML: syntax error: line 1, column 0"),
    ("<cib><configuration>", "not XML: no element found: line 1, column 20"),
    ("<a/><b/>", "not XML: junk after document element: line 1, column 4"),
])
def test_text_that_is_not_xml(parse, error, tag, text, message):
    with pytest.raises(error) as raised:
        parse(text)
    assert str(raised.value) == message


@pytest.mark.parametrize("parse, error, tag", PARSERS)
def test_another_document_names_both_roots(parse, error, tag):
    with pytest.raises(error) as raised:
        parse(CRM_MON.read_text())
    assert str(raised.value) == f"root element is <pacemaker-result>, not <{tag}>"
    other = "<resource-agent/>" if tag != "resource-agent" else "<cib/>"
    with pytest.raises(error, match=f"^root element is <{other[1:-2]}>, not <{tag}>$"):
        parse(other)


def test_the_root_element_is_returned():
    root = xml_root('<cib epoch="3"><configuration/></cib>', "cib", cib.CibError)
    assert (root.tag, root.get("epoch"), [child.tag for child in root]) == ("cib", "3", ["configuration"])
