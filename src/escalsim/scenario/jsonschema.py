"""JSON Schema export of the scenario format, draft-07 compatible (for editors)."""

from __future__ import annotations

import json
from typing import Any

from escalsim.scenario.schema import SCHEMA_VERSION, Scenario

DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def _rewrite(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$defs":
                out["definitions"] = _rewrite(value)
            elif key == "$ref" and isinstance(value, str):
                out[key] = value.replace("#/$defs/", "#/definitions/")
            elif key == "discriminator":
                continue  # an OpenAPI keyword, not JSON Schema; oneOf already says it all
            else:
                out[key] = _rewrite(value)
        return out
    if isinstance(node, list):
        return [_rewrite(v) for v in node]
    return node


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file.

    Returns
    -------
    dict
        A draft-07 schema: ``definitions`` instead of ``$defs``, no OpenAPI ``discriminator``.
    """
    schema = _rewrite(Scenario.model_json_schema(mode="validation"))
    schema = {
        "$schema": DRAFT_07,
        "$id": f"https://escalsim.org/schema/scenario-{SCHEMA_VERSION}.json",
        **schema,
    }
    schema["title"] = "escalsim scenario"
    # A leading comment (the yaml-language-server modeline) is allowed; nothing else is added.
    return schema


def schema_text() -> str:
    """The schema as stable, indented JSON text (what ``escalsim schema`` prints)."""
    return json.dumps(scenario_schema(), indent=2, sort_keys=False) + "\n"
