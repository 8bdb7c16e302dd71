"""Resource agent metadata (``crm_resource --show-metadata CLASS:PROVIDER:TYPE``, OCF ra-api-1 XML): its parameters.

Pure: text in, :class:`AgentParameters` out. The fencer's own ``pcmk_*`` parameters, which every stonith device
accepts, come in the same format (``pacemaker-fenced metadata``) and are merged by the caller.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass


class MetadataError(ValueError):
    """The text is not resource agent metadata."""


@dataclass(frozen=True)
class Parameter:
    name: str
    required: bool
    unique: bool
    obsoletes: str = ""  # an older name the agent still accepts


@dataclass(frozen=True)
class AgentParameters:
    agent: str  # the <resource-agent name=...>
    parameters: tuple[Parameter, ...]

    def names(self) -> set[str]:
        return {p.name for p in self.parameters} | {p.obsoletes for p in self.parameters if p.obsoletes}


def parse(text: str) -> AgentParameters:
    """The parameters an agent declares, in its order."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        raise MetadataError(f"not XML: {error}") from None
    if root.tag != "resource-agent":
        raise MetadataError(f"root element is <{root.tag}>, not <resource-agent>")
    parameters = tuple(
        Parameter(name=element.get("name", ""), required=element.get("required") == "1",
                  unique=element.get("unique") == "1", obsoletes=element.get("obsoletes", ""))
        for element in root.iterfind("./parameters/parameter") if element.get("name"))
    return AgentParameters(root.get("name", ""), parameters)
