"""The schema's maximums and the reader's size cap agree (issue 16, defect 9).

The schema allowed 10,000 scripted moves and 10,000 events while the reader refused any file of
more than 6,000 lines and flow items before parsing it, so a file with 7,000 moves or 1,300
block-style events was refused although the schema allowed it. A file that takes any one list to
its maximum, written in the ordinary block style, must load.
"""

from __future__ import annotations

import annotated_types
import pytest

from conftest import thread_seconds, with_policy_text
from escalsim.policies.scripted import ScriptedPolicy
from escalsim.scenario import ScenarioError, load_text, shipped, yamlio
from escalsim.scenario.schema import Scenario

BASE = shipped.path_of("hotline-1963").read_text(encoding="utf-8")


def _max_length(model: type, name: str) -> int:
    metadata = model.model_fields[name].metadata
    (limit,) = (m for m in metadata if isinstance(m, annotated_types.MaxLen))
    return int(limit.max_length)


def _scripted(moves: int) -> str:
    block = "    policy:\n      name: scripted\n      moves:\n" + "        - hold\n" * moves
    # The first actor's policy replaced (it may have one already: hotline-1963's powers bargain).
    text = with_policy_text(BASE, load_text(BASE, "base.yaml").actors[0].id, block)
    return text.replace("  rounds: 30 ", f"  rounds: {moves} ", 1)


def _events(count: int) -> str:
    events = "".join(
        f"  - id: e{i}\n    round: {i % 30 + 1}\n    kind: set\n    path: actors.USA.honesty\n"
        f"    value: {0.5 + (i % 3) / 10}\n    description: Event number {i}.\n"
        for i in range(count)
    )
    return BASE.replace("\nevents:\n", "\nevents:\n" + events, 1)


def test_the_most_scripted_moves_the_schema_allows_fit_in_a_file():
    most = _max_length(ScriptedPolicy, "moves")
    assert most >= 10_000  # a script as long as the longest horizon (run.rounds)
    scenario = load_text(_scripted(most), "moves.yaml")
    assert len(scenario.actors[0].policy.moves) == most


def test_the_most_events_the_schema_allows_fit_in_a_file_and_load_in_linear_time():
    most = _max_length(Scenario, "events")
    text = _events(most - len(load_text(BASE, "base.yaml").events))
    assert text.count("\n") < yamlio.MAX_ITEMS
    start = thread_seconds()
    scenario = load_text(text, "events.yaml")
    # CPU time, which a loaded machine does not stretch: about 2 s here. Each set event was
    # checked against a copy of the whole scenario, events and all (n² time: 1,300 events took
    # 80 s); the bound is loose enough for a slow machine and far below that.
    assert thread_seconds() - start < 20
    assert len(scenario.events) == most


def test_one_more_than_the_schema_allows_is_refused_by_the_schema_not_the_size_cap():
    most = _max_length(ScriptedPolicy, "moves")
    with pytest.raises(ScenarioError, match=f"expected at most {most} items"):
        load_text(_scripted(most + 1), "moves.yaml")
