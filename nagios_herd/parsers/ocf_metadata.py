"""Resource agent metadata (``crm_resource --show-metadata CLASS:PROVIDER:TYPE``, OCF ra-api-1 XML): its parameters.

Pure: text in, :class:`AgentParameters` out. The fencer's own ``pcmk_*`` parameters, which every stonith device
accepts, come in the same format (``pacemaker-fenced metadata``) and are merged by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from nagios_herd.parsers.xml_root import xml_root


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
    root = xml_root(text, "resource-agent", MetadataError)
    parameters = tuple(
        Parameter(name=element.get("name", ""), required=element.get("required") == "1",
                  unique=element.get("unique") == "1", obsoletes=element.get("obsoletes", ""))
        for element in root.iterfind("./parameters/parameter") if element.get("name"))
    return AgentParameters(root.get("name", ""), parameters)
