"""Every shipped scenario validates, with every condition, and matches the exported JSON Schema."""

from __future__ import annotations

import json

import pytest
from ruamel.yaml import YAML

from escalsim.scenario import load_scenario, shipped, with_condition
from escalsim.scenario.jsonschema import scenario_schema, schema_text

REQUIRED = {"geneva-2022", "hotline-1963", "generic-dispute", "ipd-noise", "brinkmanship"}


def test_the_five_required_scenarios_are_shipped():
    assert set(shipped.names()) >= REQUIRED


@pytest.mark.parametrize("name", shipped.names())
def test_shipped_scenario_validates_with_every_condition(name):
    scenario = load_scenario(name)
    assert scenario.id == name
    assert len(scenario.powers) == 2
    for condition in scenario.condition_names:
        variant = with_condition(scenario, condition)
        assert variant.id == name


@pytest.mark.parametrize("name", shipped.names())
def test_shipped_scenario_conforms_to_the_json_schema(name):
    import jsonschema  # here, not at collection: its format checkers cost ~1.5 s of CPU to import

    raw = YAML(typ="safe", pure=True).load(shipped.path_of(name).read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(scenario_schema()).validate(raw)


@pytest.mark.parametrize("name", shipped.names())
def test_shipped_scenario_points_editors_at_the_schema(name):
    first = shipped.path_of(name).read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=./scenario.schema.json"


@pytest.mark.parametrize("name", shipped.names())
def test_shipped_scenario_has_a_readme_section(name):
    readme = (shipped.path_of(name).parent / "README.md").read_text(encoding="utf-8")
    assert f"## {name}" in readme


def test_schema_is_draft07_valid():
    import jsonschema

    jsonschema.Draft7Validator.check_schema(scenario_schema())


def test_shipped_schema_file_is_current():
    """The copy beside the scenarios must equal `escalsim schema`; regenerate it with
    `escalsim schema --out src/escalsim/scenarios/scenario.schema.json`."""
    assert shipped.schema_path().read_text(encoding="utf-8") == schema_text()


def test_schema_rejects_what_the_loader_rejects():
    """The editor schema and the loader agree on an unknown key and a bad enum."""
    import jsonschema

    validator = jsonschema.Draft7Validator(scenario_schema())
    raw = YAML(typ="safe", pure=True).load(shipped.path_of("ipd-noise").read_text(encoding="utf-8"))
    raw["colour"] = "red"
    raw["run"]["time_unit"] = "fortnight"
    messages = sorted(e.message for e in validator.iter_errors(raw))
    assert any("colour" in m for m in messages)
    assert any("fortnight" in m for m in messages)
    assert json.dumps(scenario_schema())  # serialisable


def test_field_reference_doc_is_current(root):
    """Regenerate with `python -m escalsim.scenario.reference > docs/scenario-reference.md`."""
    from escalsim.scenario.reference import render

    assert (root / "docs" / "scenario-reference.md").read_text(encoding="utf-8") == render()


def test_import_has_no_side_effects():
    """`import escalsim` loads neither mesa nor the scenario machinery."""
    import subprocess
    import sys

    code = (
        "import sys, escalsim; "
        "print(sorted(m for m in ('mesa', 'pydantic', 'escalsim.scenario') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
