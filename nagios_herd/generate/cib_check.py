"""Check a generated CIB with Pacemaker's own tools, and what they do not check, against the agents' metadata.

- ``crm_verify -VV`` (schema, IDs and references, then a full scheduler run) on a copy where every node of the
  configuration is online (``crm_simulate --node-up … --run --save-output``): on the bare configuration the
  scheduler would warn that it must fence nodes it never saw, which says nothing about the file.
- crm_verify never reads agent metadata, so every primitive's agent must exist (``crm_resource --show-metadata``),
  every instance attribute must be one of its parameters (plus the fencer's ``pcmk_*`` ones for stonith devices),
  every ``required`` parameter must be set, and no two resources may share a ``unique`` parameter's value.
- Meta attributes: the names Pacemaker 2.1 knows for resources and clones, booleans and scores well-formed.

Each problem is one text naming the resource and the parameter.
"""

from __future__ import annotations

import difflib
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

from nagios_herd.generate.tool import run_tool
from nagios_herd.parsers import cib as cibparse
from nagios_herd.parsers import ocf_metadata

CRM_VERIFY = "/usr/sbin/crm_verify"
CRM_SIMULATE = "/usr/sbin/crm_simulate"
CRM_RESOURCE = "/usr/sbin/crm_resource"
FENCED = "/usr/lib/pacemaker/pacemaker-fenced"
TIMEOUT = 60

BOOLEAN = {"true", "false", "yes", "no", "on", "off", "1", "0", "y", "n"}
_SCORE = re.compile(r"^[+-]?(?:\d+|INFINITY)$")
_DURATION = re.compile(r"^\d+(?:ms|msec|us|usec|s|sec|m|min|h|hr)?$")
RESOURCE_META = {
    "allow-migrate": "bool", "resource-stickiness": "score", "migration-threshold": "score", "priority": "score",
    "failure-timeout": "duration", "target-role": "role", "is-managed": "bool", "maintenance": "bool",
    "multiple-active": "text", "requires": "text", "critical": "bool", "allow-unhealthy-nodes": "bool",
    "container-attribute-target": "text", "remote-node": "text", "remote-addr": "text", "remote-port": "text",
    "remote-connect-timeout": "duration", "remote-allow-migrate": "bool",
}
CLONE_META = {
    "promotable": "bool", "promoted-max": "count", "promoted-node-max": "count", "clone-max": "count",
    "clone-node-max": "count", "clone-min": "count", "notify": "bool", "globally-unique": "bool",
    "ordered": "bool", "interleave": "bool", "master-max": "count", "master-node-max": "count",
}
ROLES = {"Stopped", "Started", "Promoted", "Unpromoted", "Master", "Slave"}
_IGNORED = re.compile(r"Blind faith: not fencing unseen nodes")


def _run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_tool(argv, TIMEOUT, env)


def _messages(text: str) -> list[str]:
    """crm_verify's warning and error lines, without the ``(function) \\t`` prefix."""
    lines = []
    for line in text.splitlines():
        message = re.sub(r"^\([^)]*\)\s*", "", line.strip())
        if "validity error" in message:
            message = "error: " + message.split("validity error", 1)[1].lstrip(" :")
        if re.match(r"^(warning|error|crit|Errors found|Warnings found)", message) and not _IGNORED.search(message):
            lines.append(message)
    return lines


def verify(path: Path, nodes: list[str]) -> list[str]:
    """crm_verify's complaints about ``path`` with every node online; [] when it is clean."""
    with tempfile.TemporaryDirectory(prefix="nagios-herd-cib-") as scratch:
        online = Path(scratch) / "online.xml"
        injected = _run([CRM_SIMULATE, "--xml-file", str(path), *[f"--node-up={node}" for node in nodes],
                         "--run", "--save-output", str(online)])
        checked = online if injected.returncode == 0 and online.is_file() else path  # schema errors: as it is
        done = _run([CRM_VERIFY, "--xml-file", str(checked), "-VV"])
    problems = _messages(done.stderr + "\n" + done.stdout)
    problems = [line for line in dict.fromkeys(problems) if not line.startswith(("Errors found", "Warnings found"))]
    if done.returncode != 0 and not problems:
        problems = [f"exit {done.returncode}: {_first(done.stderr or done.stdout)}"]
    return [f"crm_verify: {line}" for line in problems]


def _first(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "no output"


@lru_cache(maxsize=64)
def agent_parameters(agent: str) -> ocf_metadata.AgentParameters | None:
    """The agent's declared parameters, None when no such agent is installed."""
    done = _run([CRM_RESOURCE, "--show-metadata", agent])
    if done.returncode != 0:
        return None
    try:
        declared = ocf_metadata.parse(done.stdout)
    except ocf_metadata.MetadataError:
        return None
    if agent.startswith("stonith:"):
        declared = ocf_metadata.AgentParameters(declared.agent, declared.parameters + fencer_parameters())
    return declared


@lru_cache(maxsize=1)
def fencer_parameters() -> tuple[ocf_metadata.Parameter, ...]:
    """The ``pcmk_*`` parameters every stonith device accepts (the fencer's own metadata)."""
    fencer = _run([FENCED, "metadata"])
    try:
        return ocf_metadata.parse(fencer.stdout).parameters if fencer.returncode == 0 else ()
    except ocf_metadata.MetadataError:
        return ()


def _did_you_mean(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _meta_problem(key: str, value: str, kind: str) -> str | None:
    if kind == "bool" and value.lower() not in BOOLEAN:
        return f"{value!r} is not a boolean"
    if kind == "score" and not _SCORE.match(value):
        return f"{value!r} is not a score (an integer or INFINITY)"
    if kind == "count" and not value.isdigit():
        return f"{value!r} is not a non-negative integer"
    if kind == "duration" and not _DURATION.match(value):
        return f"{value!r} is not a duration (e.g. 600s)"
    if kind == "role" and value not in ROLES:
        return f"{value!r} is not a role ({', '.join(sorted(ROLES))})"
    return None


def check_resources(text: str) -> list[str]:
    """Agent, parameter and meta attribute problems of every resource, each naming the resource."""
    problems = []
    unique_seen: dict[tuple[str, str, str], str] = {}
    for resource in cibparse.resources(text):
        known_meta = CLONE_META | RESOURCE_META if resource.kind in ("clone", "master") else RESOURCE_META
        for key, value in resource.meta:
            if key not in known_meta:
                problems.append(f"resource {resource.id}: unknown meta attribute {key!r}"
                                f"{_did_you_mean(key, set(known_meta))}")
            elif problem := _meta_problem(key, value, known_meta[key]):
                problems.append(f"resource {resource.id}: meta attribute {key!r}: {problem}")
        if resource.kind != "primitive":
            continue
        declared = agent_parameters(resource.agent)
        if declared is None:
            problems.append(f"resource {resource.id}: no such resource agent {resource.agent!r} "
                            f"(crm_resource --show-metadata finds none)")
            continue
        names = declared.names()
        given = [key for key, _ in resource.params]
        for key in given:
            if key not in names:
                problems.append(f"resource {resource.id}: parameter {key!r} is not a parameter of {resource.agent}"
                                f"{_did_you_mean(key, names)}")
        for key in sorted({key for key in given if given.count(key) > 1}):
            problems.append(f"resource {resource.id}: parameter {key!r} is set twice")
        for parameter in declared.parameters:
            if parameter.required and parameter.name not in given and parameter.obsoletes not in given:
                problems.append(f"resource {resource.id}: required parameter {parameter.name!r} of "
                                f"{resource.agent} is missing")
            if parameter.unique:
                for key, value in resource.params:
                    if key == parameter.name:
                        owner = unique_seen.setdefault((resource.agent, key, value), resource.id)
                        if owner != resource.id:
                            problems.append(f"resource {resource.id}: parameter {key!r} = {value!r} is unique to "
                                            f"one resource of {resource.agent}, and {owner} has it too")
    return problems


def nodes_of(text: str) -> list[str]:
    root = cibparse.parse_xml(text)
    return [node.get("uname", "") for node in root.iterfind("./configuration/nodes/node") if node.get("uname")]


def check(path: Path) -> list[str]:
    """Every problem of the CIB at ``path``: crm_verify first, then the agents' parameters."""
    text = path.read_text()
    try:
        nodes = nodes_of(text)
    except cibparse.CibError as error:
        return [str(error)]
    try:
        agents = sorted({resource.agent for resource in cibparse.resources(text) if resource.kind == "primitive"})
    except cibparse.CibError as error:
        return verify(path, nodes) + [str(error)]
    with ThreadPoolExecutor(max_workers=4) as pool:  # the tools are separate processes: read metadata meanwhile
        verified = pool.submit(verify, path, nodes)
        list(pool.map(agent_parameters, agents))
        problems = verified.result()
    return problems + check_resources(text)
