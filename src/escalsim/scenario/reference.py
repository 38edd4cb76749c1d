"""The field reference of the scenario format, rendered as Markdown from the schema itself.

``docs/scenario-reference.md`` is this module's output; a test keeps it current, so the
reference cannot drift from what the loader accepts. Regenerate with
``python -m escalsim.scenario.reference > docs/scenario-reference.md``.
"""

from __future__ import annotations

import json
from typing import Any

from escalsim.scenario.jsonschema import scenario_schema
from escalsim.scenario.schema import POLICY_MODELS

_ORDER = [
    "Scenario",
    "Source",
    "RunSettings",
    "Ladder",
    "Rung",
    "Endings",
    "Accidents",
    "Stakes",
    "War",
    "Beliefs",
    "Actor",
    "ResolveTypes",
    "CostTypes",
    # one section per registered policy, in the registry's order
    *(model.__name__ for model in POLICY_MODELS.values()),
    "Channel",
    "AgendaItem",
    "Agreement",
    "AgreementEffects",
    "ChannelEvent",
    "SummitEvent",
    "ElectionEvent",
    "SetEvent",
    "IncidentEvent",
    "Condition",
]


def _num(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def describe_type(node: dict[str, Any]) -> str:
    """Render a JSON Schema node as a short type phrase with its range.

    Parameters
    ----------
    node : dict
        A JSON Schema node from the scenario schema.

    Returns
    -------
    str
        E.g. ``number in [0, 1]``, ``list of [Rung](#rung) (2 to 50)``.
    """
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    for key in ("anyOf", "oneOf"):
        if key in node:
            parts = [p for p in node[key] if p.get("type") != "null"]
            text = " or ".join(describe_type(p) for p in parts)
            return text + (" or null" if len(parts) < len(node[key]) else "")
    if "const" in node:
        return f"`{node['const']}`"
    if "enum" in node:
        return "one of " + ", ".join(f"`{v}`" for v in node["enum"])
    kind = node.get("type")
    if kind == "string":
        if "pattern" in node:
            return "identifier"
        if "maxLength" in node:
            return f"text (at most {node['maxLength']} characters)"
        return "text"
    if kind in ("number", "integer"):
        word = "integer" if kind == "integer" else "number"
        lo = node.get("minimum", node.get("exclusiveMinimum"))
        hi = node.get("maximum", node.get("exclusiveMaximum"))
        left = "(" if "exclusiveMinimum" in node else "["
        right = ")" if "exclusiveMaximum" in node else "]"
        if hi is None:
            if lo is None:
                return word
            return f"{word} {'>' if left == '(' else '≥'} {_num(lo)}"
        if lo is None:
            return f"{word} {'<' if right == ')' else '≤'} {_num(hi)}"
        return f"{word} in {left}{_num(lo)}, {_num(hi)}{right}"
    if kind == "boolean":
        return "`true` or `false`"
    if kind == "array":
        inner = describe_type(node.get("items", {}))
        lo, hi = node.get("minItems"), node.get("maxItems")
        if lo is not None and lo == hi:
            return f"list of exactly {lo}: {inner}"
        size = f" ({lo or 0} to {hi})" if hi is not None else (f" (at least {lo})" if lo else "")
        return f"list of {inner}{size}"
    if kind == "object":
        values = node.get("additionalProperties")
        if isinstance(values, dict) and values:
            return f"mapping of name → {describe_type(values)}"
        return "mapping"
    return "any value"


def render() -> str:
    """Render the whole field reference as Markdown.

    Returns
    -------
    str
        One section per model, one table row per field.
    """
    schema = scenario_schema()
    defs: dict[str, Any] = dict(schema["definitions"])
    defs["Scenario"] = {k: v for k, v in schema.items() if k != "definitions"}
    lines = [
        "# Scenario format: field reference",
        "",
        "Generated from the schema by `python -m escalsim.scenario.reference`; do not edit by "
        "hand (a test checks that it is current). `docs/scenario-format.md` explains the format; "
        "this page lists every field.",
        "",
    ]
    for name in _ORDER:
        node = defs[name]
        title = "Scenario (the file)" if name == "Scenario" else name
        lines += [f"## {name}", ""] if name != "Scenario" else [f"## {title}", ""]
        doc = node.get("description", "").strip().split("\n\n")[0].replace("\n", " ")
        if doc:
            lines += [doc, ""]
        required = set(node.get("required", []))
        lines += ["| field | type | default | meaning |", "| --- | --- | --- | --- |"]
        for field, sub in node.get("properties", {}).items():
            if field in required:
                default = "required"
            elif "default" in sub:
                default = f"`{json.dumps(sub['default'])}`"
            elif sub.get("type") == "array":
                default = "`[]`"
            elif sub.get("type") == "object":
                default = "`{}`"
            else:
                default = "its fields' defaults"
            meaning = sub.get("description", "").replace("|", "\\|").replace("\n", " ")
            kind = describe_type(sub).replace("|", "\\|")
            lines.append(f"| `{field}` | {kind} | {default} | {meaning} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - a documentation generator
    print(render(), end="")
