"""Malformed scenarios: every problem is a ScenarioError at the right line, column and field.

Each case is a textual edit of the small valid scenario ``BASE`` (or a standalone text). The
expected line and column were worked out by hand from the edit: they point at the offending key
(unknown or duplicate key), at the offending value (wrong type, out of range, bad reference), or
at the parent mapping for a missing required field.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli_in_process, thread_seconds
from escalsim.scenario import Scenario, ScenarioError, load_text, with_condition
from escalsim.scenario.errors import format_loc
from escalsim.scenario.yamlio import decode

# A small valid scenario, block style, one key per line. Line numbers (1-based) in the comments
# of the cases below refer to this text.
BASE = """\
schema_version: 2
id: test-crisis
name: Test crisis
description: A small valid scenario for malformed-input tests.
run:
  rounds: 20
  time_unit: day
  replications: 10
  seed: 7
ladder:
  rungs:
    - name: normal
      cost: 0.0
    - name: protest
      cost: 0.1
      incident_risk: 0.01
    - name: mobilise
      cost: 0.5
      incident_risk: 0.05
      war_risk: 0.01
    - name: war
      cost: 2.0
  war_rung: war
actors:
  - id: USA
    name: United States
    role: power
    capability: 10.0
    resolve: 0.6
    red_line: mobilise
    policy:
      name: bargaining
      precision: 4.0
  - id: RUS
    name: Russia
    role: power
    capability: 8.0
    resolve: 0.7
    doctrine: hawk
  - id: NO
    name: Norway
    role: third_party
    capability: 1.0
    resolve: 0.1
    alignment:
      USA: 0.8
      RUS: 0.2
    may_mediate: true
channels:
  - id: public
    kind: public
    noise: 0.2
  - id: hotline
    kind: hotline
    between:
      - USA
      - RUS
    noise: 0.05
    latency: 0
agenda:
  - id: incidents
    name: Incidents at sea
    salience:
      USA: 0.5
      RUS: 0.6
    agreement:
      kind: deconfliction
      base_probability: 0.1
events:
  - id: hotline_closed
    round: 5
    kind: channel
    channel: hotline
    open: false
  - id: talks
    round: 10
    kind: summit
    channel: hotline
    duration: 2
conditions:
  open:
    description: The hotline stays open.
  cut:
    description: No hotline.
    set:
      channels.hotline.open: false
    remove:
      - events.talks
"""

BASE_LINES = BASE.count("\n")  # 88

# A `set` event appended after the last event: its lines are 80 to 84.
SET_EVENT = """\
  - id: tighten
    round: 3
    kind: set
    path: {path}
    value: {value}
conditions:
"""

# The billion-laughs pattern: 9**9 strings once expanded.
ALIAS_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def edit(*pairs: tuple[str, str]) -> str:
    """Apply ``(old, new)`` replacements to BASE; each ``old`` must occur exactly once."""
    text = BASE
    for old, new in pairs:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


def case(
    ident: str,
    text: str | bytes,
    line: int,
    column: int,
    path: str,
    message: str,
    *,
    count: int | None = 1,
) -> object:
    """One malformed input and the problem expected for it.

    ``text`` as bytes goes through ``yamlio.decode`` first. ``count`` is the number of problems
    the file has in all (None: not checked).
    """
    return pytest.param(text, line, column, path, message, count, id=ident)


SET_UNCHECKED = (
    "checks._check_set_event only type-checks a set event's value against the field's "
    "annotation; the cross-field checks (rung names and indices, the public channel) that the "
    "same value gets in the file or in a condition are never run on it"
)

# fmt: off
CASES = [
    # -- YAML syntax ------------------------------------------------------------------------------
    case(
        "yaml-unclosed-bracket-at-eof",
        edit(("      - events.talks\n", "      - [events.talks\n")),  # '[' at 88:9
        88, 9, "<root>", "YAML syntax error",
    ),
    case(
        "yaml-unclosed-bracket-mid-file",
        edit(("    between:\n      - USA\n      - RUS\n", "    between: [USA, RUS\n")),
        56, 10, "<root>", "expected ',' or ']', but got ':'",  # the ':' of 'noise:' next line
    ),
    case(
        "yaml-unclosed-flow-mapping",
        edit(("  war_rung: war", "  war_rung: {war")),
        24, 7, "<root>", "expected ',' or '}', but got ':'",  # the ':' of 'actors:' next line
    ),
    case(
        "yaml-unclosed-quote",
        edit(("name: Test crisis", 'name: "Test crisis')),  # '"' at 3:7
        3, 7, "<root>", "YAML syntax error",
    ),
    case(
        "yaml-indent-too-deep",
        edit(("  time_unit: day", "   time_unit: day")),  # read as '20 time_unit', then ':'
        7, 13, "<root>", "mapping values are not allowed here",
    ),
    case(
        "yaml-indent-too-shallow",
        edit(("  seed: 7", " seed: 7")),
        9, 2, "<root>", "YAML syntax error",
    ),
    case(
        "yaml-indent-list-item-key",
        edit(("    kind: public\n", "     kind: public\n")),
        51, 10, "<root>", "mapping values are not allowed here",
    ),
    case(
        "yaml-tab-indent",
        edit(("  rounds: 20", "\trounds: 20")),
        6, 1, "<root>", "found character '\\t' that cannot start any token",
    ),
    case(
        "yaml-stray-colon",
        edit(("name: Test crisis", "name: Test: crisis")),
        3, 11, "<root>", "mapping values are not allowed here",
    ),
    case(
        "yaml-stray-colon-end-of-line",
        edit(("  - id: USA", "  - id: USA:")),
        25, 12, "<root>", "mapping values are not allowed here",
    ),
    case(
        "yaml-undefined-alias",
        edit(("  war_rung: war", "  war_rung: *war")),
        23, 13, "<root>", "found undefined alias 'war'",
    ),
    # -- duplicate keys ---------------------------------------------------------------------------
    case(
        "duplicate-top-level-key",
        edit(("name: Test crisis\n", "name: Test crisis\nname: Other\n")),
        4, 1, "name", "duplicate key 'name' (first given at line 3, column 1)",
    ),
    case(
        "duplicate-nested-key",
        edit(("    noise: 0.05\n", "    noise: 0.05\n    noise: 0.1\n")),
        59, 5, "channels[1].noise", "duplicate key 'noise' (first given at line 58, column 5)",
    ),
    # -- unknown keys -----------------------------------------------------------------------------
    case(
        "unknown-top-level-key-near-miss",
        edit(("description: A small", "descripton: A small")),
        4, 1, "descripton", "unknown key 'descripton' (did you mean 'description'?)",
    ),
    case(
        "unknown-top-level-key",
        BASE + "colour: red\n",
        89, 1, "colour", "unknown key 'colour'; expected one of: schema_version, id, name,",
    ),
    case(
        "unknown-actor-field",
        edit(("    red_line: mobilise", "    redline: mobilise")),
        30, 5, "actors[0].redline", "unknown key 'redline' (did you mean 'red_line'?)",
    ),
    case(
        "unknown-channel-field",
        edit(("    latency: 0", "    latncy: 0")),
        59, 5, "channels[1].latncy", "unknown key 'latncy' (did you mean 'latency'?)",
    ),
    case(
        "unknown-policy-parameter",
        edit(("      precision: 4.0", "      precison: 4.0")),
        33, 7, "actors[0].policy.precison", "unknown key 'precison' (did you mean 'precision'?)",
    ),
    case(
        "unknown-run-field",
        edit(("  seed: 7", "  sead: 7")),
        9, 3, "run.sead", "unknown key 'sead' (did you mean 'seed'?)",
    ),
    case(
        "unknown-condition-field",
        edit(("    description: No hotline.", "    descripton: No hotline.")),
        84, 5, "conditions.cut.descripton",
        "unknown key 'descripton' (did you mean 'description'?)",
    ),
    case(
        "non-string-key",
        edit(("description: A small valid scenario for malformed-input tests.\n",
              "description: A small valid scenario for malformed-input tests.\n3.5: x\n")),
        5, 1, "<root>", "a mapping key must be a plain string",
    ),
    # -- missing required fields (reported at the parent mapping) ---------------------------------
    case(
        "missing-actor-field",
        edit(("    capability: 8.0\n", "")),  # RUS's mapping starts at 'id' on 34:5
        34, 5, "actors[1]", "missing required field 'capability'",
    ),
    case(
        "missing-top-level-field",
        edit(("run:\n  rounds: 20\n  time_unit: day\n  replications: 10\n  seed: 7\n", "")),
        1, 1, "<root>", "missing required field 'run'",
    ),
    case(
        "missing-nested-field",
        edit(("      kind: deconfliction\n", "")),  # the agreement now starts on 67:7
        67, 7, "agenda[0].agreement", "missing required field 'kind'",
    ),
    case(
        "missing-event-kind",
        edit(("    kind: channel\n", "")),
        70, 5, "events[0]", "missing 'kind'; expected one of: channel, summit, election, set, "
        "incident",
    ),
    case(
        "missing-policy-name",
        edit(("      name: bargaining\n", "")),  # the policy now starts at 'precision' on 32:7
        32, 7, "actors[0].policy",
        "missing 'name'; expected one of: bargaining, reciprocal, generous",
    ),
    # -- wrong types ------------------------------------------------------------------------------
    case(
        "type-string-for-integer",
        edit(("  rounds: 20", "  rounds: twenty")),
        6, 11, "run.rounds", "expected an integer, got the string 'twenty'",
    ),
    case(
        "type-float-for-integer",
        edit(("  rounds: 20", "  rounds: 20.5")),
        6, 11, "run.rounds", "expected an integer, got 20.5",
    ),
    case(
        "type-number-for-string-id",
        edit(("  - id: incidents", "  - id: 42")),
        61, 9, "agenda[0].id", "expected a string, got 42",
    ),
    case(
        "type-list-for-mapping",
        edit(("    salience:\n      USA: 0.5\n      RUS: 0.6\n",
              "    salience:\n      - USA\n      - RUS\n")),
        64, 7, "agenda[0].salience", "expected a mapping, got a list",
    ),
    case(
        "type-yes-for-boolean",
        edit(("    may_mediate: true", "    may_mediate: yes")),
        48, 18, "actors[2].may_mediate",
        "expected true or false, got the string 'yes' (YAML 1.2 reads yes/no/on/off as strings)",
    ),
    case(
        "type-quoted-boolean",
        edit(("    open: false", '    open: "false"')),
        74, 11, "events[0].open", "expected true or false, got the string 'false'",
    ),
    case(
        "type-error-in-summit-event",  # the same kind of error in a summit event is placed right
        edit(("    duration: 2", "    duration: two")),
        79, 15, "events[1].duration", "expected an integer, got the string 'two'",
    ),
    case(
        "type-mapping-for-enum",
        edit(("  time_unit: day", "  time_unit: {unit: day}")),
        7, 14, "run.time_unit", "expected one of: hour, day, week, month; got a mapping",
    ),
    case(
        "type-empty-value",
        edit(("  rounds: 20", "  rounds:")),  # no value: point at the key, 6:3
        6, 3, "run.rounds", "expected an integer, got nothing (null)",
    ),
    case(
        "type-integer-too-large",
        edit(("  seed: 7", "  seed: " + "9" * 35)),
        9, 9, "run.seed", "the integer '99999999999999999999...' is too large",
    ),
    case(
        "bad-identifier",
        edit(("  - id: incidents", "  - id: 1incidents")),
        61, 9, "agenda[0].id", "expected an identifier",
    ),
    # -- out of range -----------------------------------------------------------------------------
    case(
        "range-probability-above-one",
        edit(("    noise: 0.05", "    noise: 1.5")),
        58, 12, "channels[1].noise", "expected a number <= 1.0, got 1.5",
    ),
    case(
        "range-negative-rounds",
        edit(("  rounds: 20", "  rounds: -3")),
        6, 11, "run.rounds", "expected a number >= 1, got -3",
    ),
    case(
        "range-nan",
        edit(("    resolve: 0.6", "    resolve: .nan")),
        29, 14, "actors[0].resolve", "expected a finite number, got nan",
    ),
    case(
        "range-inf",
        edit(("    capability: 10.0", "    capability: .inf")),
        28, 17, "actors[0].capability", "expected a finite number, got inf",
    ),
    case(
        "unknown-schema-version",
        edit(("schema_version: 2", "schema_version: 4")),
        1, 17, "schema_version", "unknown schema_version 4;",
    ),
    case(
        "schema-version-as-text",
        edit(("schema_version: 2", "schema_version: two")),
        1, 17, "schema_version", "expected the integer 1, 2 or 3, got the string 'two'",
    ),
    case(
        "schema-version-as-float",
        edit(("schema_version: 2", "schema_version: 2.0")),
        1, 17, "schema_version", "expected the integer 1, 2 or 3, got 2.0",
    ),
    # -- bad enum values --------------------------------------------------------------------------
    case(
        "enum-time-unit",
        edit(("  time_unit: day", "  time_unit: days")),
        7, 14, "run.time_unit",
        "expected one of: hour, day, week, month; got the string 'days' (did you mean 'day'?)",
    ),
    case(
        "enum-channel-kind",
        edit(("    kind: hotline", "    kind: hotlin")),
        54, 11, "channels[1].kind", "got the string 'hotlin' (did you mean 'hotline'?)",
    ),
    case(
        "enum-policy-name",
        edit(("      name: bargaining", "      name: bargainng")),
        32, 13, "actors[0].policy.name",
        "unknown policy 'bargainng' (did you mean 'bargaining'?)",
    ),
    case(
        "removed-policy-quantal",
        edit(("      name: bargaining\n      precision: 4.0", "      name: quantal")),
        32, 13, "actors[0].policy.name",
        "unknown policy 'quantal': the quantal policy was removed in schema_version 2",
    ),
    case(
        "enum-event-kind",
        edit(("    kind: summit", "    kind: sumit")),
        77, 11, "events[1].kind", "unknown event kind 'sumit' (did you mean 'summit'?)",
    ),
    case(
        "enum-scripted-move",
        edit(("      name: bargaining\n      precision: 4.0",
              "      name: scripted\n      moves: [hold, escalate]")),
        33, 21, "actors[0].policy.moves[1]",
        "expected one of: step_down, hold, step_up, jump, concede; got the string 'escalate'",
    ),
    # -- cross-references -------------------------------------------------------------------------
    case(
        "ref-unknown-actor-in-between",
        edit(("      - RUS\n", "      - RUSS\n")),
        57, 9, "channels[1].between[1]", "no actor 'RUSS' (did you mean 'RUS'?)",
    ),
    case(
        "ref-same-actor-twice-in-between",
        edit(("      - RUS\n", "      - USA\n")),
        57, 9, "channels[1].between[1]", "a channel joins two different actors",
    ),
    case(
        "ref-unknown-channel-in-event",
        edit(("    channel: hotline\n    open: false", "    channel: hotlien\n    open: false")),
        73, 14, "events[0].channel", "no channel 'hotlien' (did you mean 'hotline'?)",
    ),
    case(
        "ref-unknown-war-rung",
        edit(("  war_rung: war", "  war_rung: wat")),
        23, 13, "ladder.war_rung", "no rung named 'wat' (did you mean 'war'?)",
    ),
    case(
        "ref-unknown-red-line",
        edit(("    red_line: mobilise", "    red_line: mobilize")),
        30, 15, "actors[0].red_line", "no rung named 'mobilize' (did you mean 'mobilise'?)",
    ),
    case(
        "ref-rung-index-outside-ladder",
        edit(("    red_line: mobilise", "    red_line: 7")),
        30, 15, "actors[0].red_line", "rung index 7 is outside the ladder; expected 0 to 3",
    ),
    case(
        "ref-alignment-key-not-a-power",
        edit(("      RUS: 0.2", "      NO: 0.2")),  # the key 'NO' is at 47:7
        47, 7, "actors[2].alignment.NO", "no power 'NO'; expected one of: USA, RUS",
    ),
    case(
        "ref-salience-key-not-an-actor",
        edit(("      RUS: 0.6", "      RUs: 0.6")),  # the key 'RUs' is at 65:7
        65, 7, "agenda[0].salience.RUs", "no actor 'RUs' (did you mean 'RUS'?)",
    ),
    case(
        "alignment-does-not-sum-to-one",
        edit(("      RUS: 0.2", "      RUS: 0.3")),  # the alignment mapping starts at 46:7
        46, 7, "actors[2].alignment", "alignment shares must sum to 1; they sum to 1.1",
    ),
    case(
        "duplicate-actor-id",
        edit(("  - id: NO", "  - id: USA")),
        40, 9, "actors[2].id", "duplicate id 'USA' (also actors[0])",
    ),
    case(
        "duplicate-rung-name",
        edit(("    - name: normal", "    - name: protest")),
        14, 13, "ladder.rungs[1].name", "duplicate name 'protest' (also ladder.rungs[0])",
    ),
    case(
        "only-one-power",
        edit(("    role: power\n    capability: 8.0",
              "    role: third_party\n    capability: 8.0")),
        25, 3, "actors", "a scenario needs exactly two actors with role 'power'; found 1",
        count=3,  # also: RUS has no alignment; NO's alignment names RUS, no longer a power
    ),
    case(
        "third-party-without-alignment",
        edit(("    alignment:\n      USA: 0.8\n      RUS: 0.2\n", "")),
        42, 11, "actors[2].role", "a third party needs 'alignment'",
    ),
    case(
        "two-public-channels",
        edit(("    latency: 0\n",
              "    latency: 0\n  - id: press\n    kind: public\n    noise: 0.3\n")),
        61, 11, "channels[2].kind", "exactly one 'public' channel; channels[0] is already public",
    ),
    case(
        "public-channel-with-between",
        edit(("    kind: public\n", "    kind: public\n    between: [USA, RUS]\n")),
        52, 14, "channels[0].between", "the public channel joins every actor; omit 'between'",
    ),
    case(
        "mediated-channel-without-via",
        edit(("    kind: hotline", "    kind: mediated")),
        54, 11, "channels[1].kind", "a 'mediated' channel needs 'via'",
    ),
    case(
        "doctrine-not-a-mapping",
        edit(("    doctrine: hawk", "    doctrine: stubborn"),
             ("actors:\n", "doctrines:\n  stubborn: 3\nactors:\n")),
        25, 13, "doctrines.stubborn", "expected a mapping, got 3",
    ),
    case(
        "unknown-doctrine",
        edit(("    doctrine: hawk", "    doctrine: hwak")),
        39, 15, "actors[1].doctrine", "no doctrine 'hwak' (did you mean 'hawk'?)",
    ),
    case(
        "doctrine-value-out-of-range",
        edit(("actors:\n", "doctrines:\n  stubborn:\n    honesty: 1.5\nactors:\n"),
             ("    doctrine: hawk", "    doctrine: stubborn")),
        26, 14, "actors[1].honesty",
        "expected a number <= 1.0, got 1.5 (set by doctrine 'stubborn')",
    ),
    case(
        "memory-one-on-four-rungs",
        edit(("      name: bargaining\n      precision: 4.0",
              "      name: memory_one\n      p: [1.0, 0.0, 1.0, 0.0]")),
        32, 13, "actors[0].policy.name",
        "policy 'memory_one' needs a ladder of exactly two rungs; this one has 4",
    ),
    # -- events -----------------------------------------------------------------------------------
    case(
        "range-round-zero-in-channel-event",
        edit(("    round: 5", "    round: 0")),
        71, 12, "events[0].round", "expected a number >= 1, got 0",
    ),
    case(
        "unknown-field-in-channel-event",
        edit(("    open: false\n", "    open: false\n    descripton: Closed.\n")),
        75, 5, "events[0].descripton", "unknown key 'descripton' (did you mean 'description'?)",
    ),
    case(
        "event-after-horizon",
        edit(("    round: 5", "    round: 25")),
        71, 12, "events[0].round", "round 25 is after the horizon (run.rounds = 20)",
    ),
    case(
        "summit-past-horizon",
        edit(("    duration: 2", "    duration: 12")),  # rounds 10 to 21 of 20
        79, 15, "events[1].duration", "the summit runs past the horizon (run.rounds = 20)",
    ),
    case(
        "set-event-bad-path",
        edit(("conditions:\n", SET_EVENT.format(path="channels.hotline.nosie", value="0.5"))),
        83, 11, "events[2].path",
        "'nosie' is not a field of channels.hotline (did you mean 'noise'?)",
    ),
    case(
        "set-event-value-out-of-range",
        edit(("conditions:\n", SET_EVENT.format(path="channels.hotline.noise", value="1.5"))),
        84, 12, "events[2].value", "expected a number <= 1.0, got 1.5",
    ),
    case(
        "set-event-unknown-rung",
        edit(("conditions:\n", SET_EVENT.format(path="actors.USA.red_line", value="mobilize"))),
        84, 12, "events[2].value", "no rung named 'mobilize' (did you mean 'mobilise'?)",
    ),
    case(
        "set-event-rung-index-outside-ladder",
        edit(("conditions:\n", SET_EVENT.format(path="actors.USA.red_line", value="9"))),
        84, 12, "events[2].value", "rung index 9 is outside the ladder; expected 0 to 3",
    ),
    case(
        "set-event-closes-public-channel",
        edit(("conditions:\n", SET_EVENT.format(path="channels.public.open", value="false"))),
        # 'open' is set by channel events, never by a set event (83:11 is the path's value)
        83, 11, "events[2].path", "cannot change during a run",
    ),
    # -- conditions -------------------------------------------------------------------------------
    case(
        "condition-unknown-path",
        edit(("      channels.hotline.open: false", "      channels.hotline.opn: false")),
        86, 7, "conditions.cut.set.channels.hotline.opn",
        "'opn' is not a field of channels.hotline (did you mean 'open'?)",
    ),
    case(
        "condition-value-out-of-range",
        edit(("      channels.hotline.open: false", "      channels.hotline.noise: 1.5")),
        86, 31, "conditions.cut.set.channels.hotline.noise", "expected a number <= 1.0, got 1.5",
    ),
    case(
        "condition-bad-rung-reference",
        edit(("      channels.hotline.open: false", "      actors.USA.red_line: mobilize")),
        86, 28, "conditions.cut.set.actors.USA.red_line",
        "no rung named 'mobilize' (did you mean 'mobilise'?)",
    ),
    case(
        "condition-remove-non-list-item",
        edit(("      - events.talks", "      - channels.hotline.noise")),
        88, 9, "conditions.cut.remove[0]", "'channels.hotline.noise' is not a list item",
    ),
    case(
        "condition-remove-unknown-item",
        edit(("      - events.talks", "      - events.tlks")),
        88, 9, "conditions.cut.remove[0]", "events has no item 'tlks' (did you mean 'talks'?)",
    ),
    case(
        "condition-removes-an-item-twice",
        edit(("      - events.talks", "      - events.talks\n      - events.talks")),
        89, 9, "conditions.cut.remove[1]", "events.talks",
    ),
    case(
        "condition-unknown-parameter-of-default-policy",
        edit(("      channels.hotline.open: false", "      actors.RUS.policy.precison: 2.0")),
        86, 7, "conditions.cut.set.actors.RUS.policy.precison",
        "'precison' is not a field of actors.RUS.policy (did you mean 'precision'?)",
    ),
    case(
        "condition-sets-a-field-version-2-removed",
        edit(("      channels.hotline.open: false", "      actors.RUS.risk_tolerance: 0.5")),
        86, 7, "conditions.cut.set.actors.RUS.risk_tolerance",
        "'risk_tolerance' is not a field of actors.RUS: risk_tolerance was removed in "
        "schema_version 2",
    ),
    case(
        "actor-field-version-2-removed",
        edit(("    doctrine: hawk", "    doctrine: hawk\n    risk_tolerance: 0.5")),
        40, 5, "actors[1].risk_tolerance",
        "unknown key 'risk_tolerance': risk_tolerance was removed in schema_version 2",
    ),
    # -- tags and aliases -------------------------------------------------------------------------
    case(
        "tag-python-object",
        edit(("name: Test crisis", 'name: !!python/object/apply:os.system ["echo pwned"]')),
        3, 7, "name", "the tag '!!python/object/apply:os.system' is not allowed",
    ),
    case(
        "tag-custom",
        edit(("    noise: 0.05", "    noise: !prob 0.05")),
        58, 12, "channels[1].noise", "the tag '!prob' is not allowed",
    ),
    case(
        "alias-bomb",
        ALIAS_BOMB,
        1, 1, "<root>", "through aliases (an alias bomb?); refused",
    ),
    case(
        "recursive-alias",
        "a: &x [*x]\n",  # the anchored list starts at 1:4
        1, 4, "<root>", "a recursive alias (an anchor used inside itself) is not allowed",
    ),
    case(
        "nesting-too-deep",
        "a: " + "[" * 100 + "]" * 100 + "\n",  # the list at depth d starts at column 3 + d
        1, 68, "<root>", "nesting deeper than 64 levels is not allowed",
    ),
    case(
        "nesting-far-too-deep",
        "a: " + "[" * 600 + "]" * 600 + "\n",  # the 65th level still starts at 1:68
        1, 68, "<root>", "nesting deeper than 64 levels is not allowed",
    ),
    # -- the document as a whole ------------------------------------------------------------------
    case("empty-file", "", 1, 1, "<root>", "the file is empty"),
    case("comments-only", "# nothing here\n", 1, 1, "<root>", "the file is empty"),
    case(
        "top-level-list",
        "- schema_version: 2\n- id: x\n",
        1, 1, "<root>", "expected a scenario mapping at the top of the file, got a list",
    ),
    case(
        "top-level-scalar",
        "just some text\n",
        1, 1, "<root>", "expected a scenario mapping at the top of the file, got the string",
    ),
    case(
        "second-document",
        BASE + "---\nid: other\n",  # the '---' that starts the second document is on 89
        89, 1, "<root>", "only one YAML document per scenario file",
    ),
    case(
        "yaml-version-directive-1.3",
        "%YAML 1.3\n---\n" + BASE,
        1, 1, "<root>", "1.3",
    ),
    case(
        "second-document-empty",
        BASE + "---\n",  # '---' at 89:1 is the last line
        89, 1, "<root>", "only one YAML document per scenario file",
    ),
    # -- bytes (through yamlio.decode, as read_text does) -----------------------------------------
    case(
        "not-utf8",
        edit(("name: Test crisis", "name: Test \udcff crisis")).encode("utf-8", "surrogateescape"),
        3, 12, "<root>", "the file is not UTF-8 text (byte 0xff); save it as UTF-8",
    ),
    case(
        "not-utf8-after-multibyte-characters",
        edit(("    name: Norway", "    name: Nørway \udce9")).encode("utf-8", "surrogateescape"),
        41, 18, "<root>", "the file is not UTF-8 text (byte 0xe9)",
    ),
    case(
        "nul-byte",
        b"schema_version: 2\nid: te\x00st\n",
        2, 7, "<root>", "the file contains a NUL byte",
    ),
    case(
        "nul-byte-through-load-text",
        "schema_version: 2\nid: te\x00st\n",
        2, 7, "<root>", "the file contains a NUL byte",
    ),
    case(
        "control-character",
        b"schema_version: 2\nid: te\x07st\n",  # valid UTF-8, but not a character YAML allows
        2, 7, "<root>", "control character U+0007",
    ),
]
# fmt: on


def _load(text: str | bytes) -> Scenario:
    if isinstance(text, bytes):
        text = decode(text, "bad.yaml")
    return load_text(text, "bad.yaml")


# ------------------------------------------------------------------------------------------------
# The base scenario
# ------------------------------------------------------------------------------------------------
def test_base_scenario_is_valid():
    assert BASE_LINES == 88
    scenario = load_text(BASE, "base.yaml")
    assert [a.id for a in scenario.actors] == ["USA", "RUS", "NO"]
    assert isinstance(scenario.actors[2].id, str)  # YAML 1.2: 'NO' is not false
    assert [a.id for a in scenario.powers] == ["USA", "RUS"]
    assert scenario.actors[1].audience_cost == 1.0  # from the built-in doctrine 'hawk'
    assert scenario.condition_names == ["open", "cut"]

    opened = with_condition(scenario, "open")
    assert opened.channels[1].open is True
    assert [e.id for e in opened.events] == ["hotline_closed", "talks"]

    cut = with_condition(scenario, "cut")
    assert cut.channels[1].id == "hotline"
    assert cut.channels[1].open is False
    assert [e.id for e in cut.events] == ["hotline_closed"]
    assert scenario.channels[1].open is True  # the base is unchanged


def test_case_table_is_large_enough():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


# ------------------------------------------------------------------------------------------------
# The table
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "line", "column", "path", "message", "count"), CASES)
def test_malformed(
    text: str | bytes, line: int, column: int, path: str, message: str, count: int | None
):
    # CPU time of this thread, not the wall clock, which a loaded machine stretches.
    start = thread_seconds()
    with pytest.raises(ScenarioError) as info:
        _load(text)
    elapsed = thread_seconds() - start
    problems = info.value.problems
    report = str(info.value)
    assert problems, "a ScenarioError must carry at least one problem"
    for p in problems:
        assert p.source == "bad.yaml"
        assert p.line >= 1, report
        assert p.column >= 1, report
        assert p.message, report
        assert "\n" not in p.message, f"one line per problem expected:\n{report}"
    if count is not None:
        assert len(problems) == count, report
    at = [p for p in problems if (p.line, p.column, format_loc(p.loc)) == (line, column, path)]
    assert at, f"expected a problem at {line}:{column} {path}; got:\n{report}"
    assert message in at[0].message, report
    prefix = f"bad.yaml:{line}:{column}: " + (f"{path}: " if at[0].loc else "")
    assert str(at[0]) == prefix + at[0].message
    assert elapsed < 2.0, f"took {elapsed:.2f} s"


def test_yaml_1_1_directive_keeps_yaml_1_2_scalars():
    text = "%YAML 1.1\n---\n" + BASE
    error: ScenarioError | None = None
    try:
        scenario = load_text(text, "v11.yaml")
    except ScenarioError as exc:
        error = exc
    else:
        assert scenario.actors[2].id == "NO"
        return
    assert error.problems[0].line == 1, str(error)


def test_condition_can_set_a_parameter_of_the_default_policy():
    text = edit(("      channels.hotline.open: false", "      actors.RUS.policy.precision: 2.0"))
    scenario = with_condition(load_text(text, "default-policy.yaml"), "cut")
    assert scenario.actors[1].policy.name == "bargaining"  # a power's default
    assert scenario.actors[1].policy.precision == 2.0
    assert scenario.actors[2].policy.name == "reciprocal"  # a third party's default
    bad = edit(("      channels.hotline.open: false", "      actors.NO.policy.precision: 2.0"))
    with pytest.raises(ScenarioError, match=r"'precision' is not a field of actors\.NO\.policy"):
        load_text(bad, "default-policy.yaml")


def test_alias_bomb_is_refused_fast():
    start = thread_seconds()
    with pytest.raises(ScenarioError, match="alias bomb"):
        load_text(ALIAS_BOMB, "bomb.yaml")
    assert thread_seconds() - start < 1.0


def test_python_tag_runs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    marker = tmp_path / "pwned"
    called: list[object] = []
    monkeypatch.setattr(os, "system", lambda *a: called.append(a) or 0)
    text = edit(("name: Test crisis", f'name: !!python/object/apply:os.system ["touch {marker}"]'))
    with pytest.raises(ScenarioError):
        load_text(text, "bad.yaml")
    assert not called
    assert not marker.exists()


def test_very_deep_nesting_is_a_scenario_error():
    text = "a: " + "[" * 600 + "\n"  # unclosed too: the composer's recursion gives up first
    with pytest.raises(ScenarioError, match="nesting deeper than 64"):
        load_text(text, "deep.yaml")


def test_byte_order_mark_is_accepted():
    assert load_text(decode(b"\xef\xbb\xbf" + BASE.encode(), "bom.yaml"), "bom.yaml").id == (
        "test-crisis"
    )


# ------------------------------------------------------------------------------------------------
# All problems at once
# ------------------------------------------------------------------------------------------------
THREE_ERRORS = edit(
    ("    noise: 0.05", "    noise: 1.5"),  # 58:12
    ("  time_unit: day", "  time_unit: days"),  # 7:14
    ("    red_line: mobilise", "    redline: mobilise"),  # 30:5
)


def test_all_problems_of_a_file_are_reported_at_once():
    with pytest.raises(ScenarioError) as info:
        load_text(THREE_ERRORS, "three.yaml")
    got = [(p.line, p.column, format_loc(p.loc)) for p in info.value.problems]
    assert got == [
        (7, 14, "run.time_unit"),
        (30, 5, "actors[0].redline"),
        (58, 12, "channels[1].noise"),
    ]
    assert str(info.value).splitlines() == [str(p) for p in info.value.problems]


def test_yaml_level_problems_are_reported_together():
    text = edit(
        ("    noise: 0.05\n", "    noise: 0.05\n    noise: 0.1\n"),  # duplicate at 59:5
        ("name: Test crisis", "name: !secret Test crisis"),  # tag at 3:7
    )
    with pytest.raises(ScenarioError) as info:
        load_text(text, "two.yaml")
    got = [(p.line, p.column, format_loc(p.loc)) for p in info.value.problems]
    assert got == [(3, 7, "name"), (59, 5, "channels[1].noise")]


# ------------------------------------------------------------------------------------------------
# The command line
# ------------------------------------------------------------------------------------------------
def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return run_cli_in_process("validate", str(path))


def test_cli_validate_malformed_file(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(THREE_ERRORS, encoding="utf-8")
    out = _validate(bad)
    assert out.returncode == 2, out.stderr
    assert out.stdout == ""
    assert "Traceback" not in out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) == 3, out.stderr
    pattern = re.compile(rf"^{re.escape(str(bad))}:\d+:\d+: \S")
    for line in lines:
        assert pattern.match(line), line
    assert lines[0].startswith(f"{bad}:7:14: run.time_unit: ")
    assert "(did you mean 'day'?)" in lines[0]


def test_cli_validate_yaml_syntax_error(tmp_path: Path):
    bad = tmp_path / "syntax.yaml"
    bad.write_text(edit(("  rounds: 20", "\trounds: 20")), encoding="utf-8")
    out = _validate(bad)
    assert out.returncode == 2, out.stderr
    assert out.stdout == ""
    assert out.stderr.splitlines() == [
        f"{bad}:6:1: YAML syntax error: found character '\\t' that cannot start any token"
    ]


def test_cli_validate_valid_file(tmp_path: Path):
    good = tmp_path / "good.yaml"
    good.write_text(BASE, encoding="utf-8")
    out = _validate(good)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    assert "Traceback" not in out.stderr


# ------------------------------------------------------------------------------------------------
# Properties: any text gives a Scenario or a ScenarioError, never another exception
# ------------------------------------------------------------------------------------------------
def _check_robust(text: str) -> None:
    """Load ``text``: a Scenario, or a ScenarioError with positioned problems; nothing else."""
    error: ScenarioError | None = None
    try:
        result = load_text(text, "fuzz.yaml")
    except ScenarioError as exc:
        error = exc
    else:
        assert isinstance(result, Scenario)
        return
    assert error.problems
    for p in error.problems:
        assert p.line >= 1, str(error)
        assert p.message, str(error)


_FUZZ = settings(
    max_examples=70,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_YAMLISH = st.text(alphabet=st.sampled_from(list("ab01.-_:[]{},&*!|>'\"#%@`?~ \t\n")), max_size=80)


@_FUZZ
@given(st.one_of(st.text(max_size=80), _YAMLISH))
def test_random_text_never_crashes(text: str):
    _check_robust(text)


@_FUZZ
@given(st.data())
def test_base_with_a_line_deleted_never_crashes(data: st.DataObject):
    lines = BASE.splitlines(keepends=True)
    i = data.draw(st.integers(0, len(lines) - 1), label="deleted line")
    _check_robust("".join(lines[:i] + lines[i + 1 :]))


@_FUZZ
@given(st.data())
def test_base_with_two_characters_swapped_never_crashes(data: st.DataObject):
    i = data.draw(st.integers(0, len(BASE) - 1), label="i")
    j = data.draw(st.integers(0, len(BASE) - 1), label="j")
    chars = list(BASE)
    chars[i], chars[j] = chars[j], chars[i]
    _check_robust("".join(chars))
