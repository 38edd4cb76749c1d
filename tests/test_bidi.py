"""Bidirectional control characters (issue 16, defect 10).

U+202E (RIGHT-TO-LEFT OVERRIDE) and its kind make a terminal show text in another order than it
is stored, so that a key can print as something that reads like a different key. They were
accepted in keys and names and printed raw in error messages. Now a key, id or name that holds
one is refused at its position, and every message that repeats user text escapes them.
"""

from __future__ import annotations

import pytest

from conftest import run_cli_in_process
from escalsim.scenario import ScenarioError, load_text, shipped
from escalsim.scenario.errors import BIDI_CONTROLS, printable

BASE = shipped.path_of("hotline-1963").read_text(encoding="utf-8")
CONTROLS = [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))]
CONTROLS += ["\u200e", "\u200f", "\u061c"]


def _raw(text: str) -> list[str]:
    return [c for c in text if c in CONTROLS]


def test_the_set_is_the_one_named_in_the_issue():
    assert set(BIDI_CONTROLS) == set(CONTROLS)


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_a_key_with_a_bidi_control_is_refused_at_its_position(char):
    text = BASE.replace("    role: power\n", f"    ro{char}le: power\n", 1)
    line = BASE[: BASE.index("    role: power\n")].count("\n") + 1
    with pytest.raises(ScenarioError) as info:
        load_text(text, "b.yaml")
    report = str(info.value)
    assert not _raw(report), ascii(report)
    at = [p for p in info.value.problems if (p.line, p.column) == (line, 5)]
    assert at, ascii(report)
    assert f"U+{ord(char):04X}" in at[0].message
    assert "bidirectional" in at[0].message


@pytest.mark.parametrize(
    ("old", "new", "column"),
    [
        ("    name: United States\n", "    name: United \u202eStates\n", 11),
        ("\nname: ", "\nname: \u202e", 7),
        ("  - id: USA\n", "  - id: US\u202eA\n", 9),
    ],
    ids=["actor name", "scenario name", "actor id"],
)
def test_a_name_or_id_with_a_bidi_control_is_refused_at_its_value(old, new, column):
    text = BASE.replace(old, new, 1)
    line = BASE[: BASE.index(old) + (1 if old.startswith("\n") else 0)].count("\n") + 1
    with pytest.raises(ScenarioError) as info:
        load_text(text, "b.yaml")
    report = str(info.value)
    assert not _raw(report), ascii(report)
    assert any((p.line, p.column) == (line, column) for p in info.value.problems), ascii(report)
    assert "U+202E" in report


def test_free_text_may_hold_them_and_is_kept_as_written():
    """A description may quote right-to-left text; it is not an identifier."""
    text = BASE.replace('\ndescription:\n  "The ', '\ndescription:\n  "\u200fquoted\u200f The ', 1)
    assert "\u200f" in load_text(text, "b.yaml").description


def test_printable_escapes_bidi_and_control_characters():
    assert printable("ro\u202ele \x1b[31m ok") == "ro\\u202ele \\x1b[31m ok"
    assert printable("plain: ünïcode, עברית") == "plain: ünïcode, עברית"


def test_the_cli_escapes_them_in_option_errors():
    out = run_cli_in_process("run", "hotline-1963", "--condition", "no\u202e_hotline", "--dry-run")
    assert out.returncode == 2, out.stderr
    assert not _raw(out.stderr), ascii(out.stderr)
    assert "no\\u202e_hotline" in out.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["analyze", ".", "--metric", "p\u202ewar"],
        ["run", "hotline-1963", "--bogus\u202e"],
        ["verify", "--check", "x\u202e"],
        ["validate", "no-such\u202e.yaml"],
    ],
    ids=["bad parameter", "usage error", "bad check", "missing file"],
)
def test_every_kind_of_cli_error_escapes_them(args):
    out = run_cli_in_process(*args)
    assert out.returncode == 2, out.stderr
    assert not _raw(out.stderr), ascii(out.stderr)
    assert "\\u202e" in out.stderr
