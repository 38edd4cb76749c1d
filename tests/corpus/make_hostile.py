"""Write the hand-written hostile corpus: tests/corpus/hostile/*.yaml and MANIFEST.tsv.

Each case is an edit of tests/corpus/base.yaml (a small valid scenario) or a standalone text,
with the position a reader should be sent to, worked out by hand from the edit, and a fragment
of the message. Run it after changing a case; tests/test_fuzz.py checks every file against the
manifest::

    .venv/bin/python tests/corpus/make_hostile.py

Large or binary inputs (a 100 MB file, random bytes) are not here: the tests make them in a
temporary folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
BASE = (HERE / "base.yaml").read_text(encoding="utf-8")
OUT = HERE / "hostile"


def ed(*pairs: tuple[str, str]) -> str:
    """BASE with each ``old`` (which must occur once) replaced by ``new``."""
    text = BASE
    for old, new in pairs:
        assert text.count(old) == 1, (old, text.count(old))
        text = text.replace(old, new)
    return text


# The billion-laughs pattern: 9**9 strings once expanded.
BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


def v1(*pairs: tuple[str, str]) -> str:
    """BASE as a schema_version 1 file (without version 2's blocks), with edits."""
    text = ed(*pairs).replace("schema_version: 2\n", "schema_version: 1\n")
    return text[: text.index("stakes:\n")]


# The version: unknown ones, and version-1 files that cannot be migrated (or are migrated, and
# then have the usual problems at their own positions).
VERSION_CASES: list[tuple[str, str, str | bytes, str, str]] = [
    ("version-4", "versions", ed(("schema_version: 2", "schema_version: 4")), "2:17", "unknown"),
    (
        "version-huge",
        "versions",
        ed(("schema_version: 2", "schema_version: " + "9" * 25)),
        "2:17",
        "unknown schema_version 9999",
    ),
    ("version-negative", "versions", ed(("schema_version: 2", "schema_version: -1")), "2:17", "-1"),
    (
        "version-zero",
        "versions",
        ed(("schema_version: 2", "schema_version: 0")),
        "2:17",
        "reads versions 1, 2 and 3",
    ),
    (
        "version-text",
        "versions",
        ed(("schema_version: 2", "schema_version: two")),
        "2:17",
        "expected the integer 1, 2 or 3, got the string 'two'",
    ),
    (
        "version-quoted",
        "versions",
        ed(("schema_version: 2", 'schema_version: "2"')),
        "2:17",
        "got the string '2'",
    ),
    (
        "version-float",
        "versions",
        ed(("schema_version: 2", "schema_version: 2.0")),
        "2:17",
        "got 2.0",
    ),
    (
        "version-bool",
        "versions",
        ed(("schema_version: 2", "schema_version: true")),
        "2:17",
        "got the boolean true",
    ),
    (
        "version-null",
        "versions",
        ed(("schema_version: 2", "schema_version: null")),
        "2:17",
        "got nothing (null)",
    ),
    (
        "version-list",
        "versions",
        ed(("schema_version: 2", "schema_version: [1, 2]")),
        "2:17",
        "got a list",
    ),
    (
        "version-missing",
        "versions",
        ed(("schema_version: 2\n", "")),
        "2:1",
        "missing required field 'schema_version'",
    ),
    (
        "v1-with-stakes",
        "versions",
        ed(("schema_version: 2", "schema_version: 1")),
        "64:1",
        "'stakes' is a schema_version 2 field, and the file says schema_version: 1",
    ),
    (
        "v1-with-war-cost",
        "versions",
        v1(("    resolve: 0.4", "    war_cost: 0.4")),
        "35:5",
        "'war_cost' is a schema_version 2 field",
    ),
    (
        "v1-with-resolve-prior",
        "versions",
        v1(("    resolve: 0.5", "    resolve: {grid: [0.4, 0.6]}")),
        "26:14",
        "a prior over types is a schema_version 2 form",
    ),
    (
        "v1-with-agenda-divisible",
        "versions",
        v1() + "agenda:\n  - {id: x, name: X, salience: {A: 1}, divisible: false}\n",
        "65:40",
        "'divisible' is a schema_version 2 field",
    ),
    (
        "v1-with-doctrine-war-cost",
        "versions",
        v1(("channels:\n", "doctrines:\n  tough: {war_cost: 0.1}\nchannels:\n")),
        "38:11",
        "'war_cost' is a schema_version 2 field",
    ),
    (  # migrated, then the usual positioned problem
        "v1-key-typo",
        "versions",
        v1(("  war_rung: war", "  war_rnug: war")),
        "20:3",
        "did you mean 'war_rung'",
    ),
    (  # no discount can be worked out: the time unit is reported, nothing else
        "v1-bad-time-unit",
        "versions",
        v1(("  time_unit: day", "  time_unit: fortnight")),
        "8:14",
        "expected one of: hour, day, week, month",
    ),
    (  # no status quo can be worked out without two powers
        "v1-one-power",
        "versions",
        v1(("    role: power\n    capability: 1.5", "    role: third_party\n    capability: 1.5")),
        "22:3",
        "exactly two actors with role 'power'",
    ),
]

# Version 2's fields: types, stakes, war, beliefs.
TYPE_CASES: list[tuple[str, str, str | bytes, str, str]] = [
    (
        "types-grid-decreasing",
        "types",
        ed(("    resolve: 0.5", "    resolve: {grid: [0.6, 0.4]}")),
        "26:27",
        "a grid's types increase; 0.4 follows 0.6",
    ),
    (
        "types-uniform-without-types",
        "types",
        ed(("    resolve: 0.5", "    resolve: {uniform: [0.2, 0.6]}")),
        "26:14",
        "a uniform prior needs 'types'",
    ),
    (
        "types-uniform-reversed",
        "types",
        ed(("    resolve: 0.5", "    resolve: {uniform: [0.6, 0.2], types: 3}")),
        "26:30",
        "lo <= hi",
    ),
    (
        "types-uniform-out-of-range",
        "types",
        ed(("    resolve: 0.5", "    resolve: {uniform: [0.2, 1.6], types: 3}")),
        "26:30",
        "expected a number <= 1",
    ),
    (
        "types-too-many",
        "types",
        ed(("    resolve: 0.5", "    resolve: {uniform: [0.2, 0.6], types: 1000000}")),
        "26:43",
        "expected a number <= 100",
    ),
    (
        "types-prior-sum",
        "types",
        ed(("    resolve: 0.5", "    resolve: {grid: [0.4, 0.6], prior: [0.5, 0.6]}")),
        "26:40",
        "sum to 1; they sum to 1.1",
    ),
    (
        "types-prior-length",
        "types",
        ed(("    resolve: 0.5", "    resolve: {grid: [0.4, 0.6], prior: [1.0]}")),
        "26:40",
        "expected 2 weights, one per grid value; got 1",
    ),
    (
        "types-both-forms",
        "types",
        ed(("    resolve: 0.5", "    resolve: {uniform: [0, 1], types: 2, grid: [0.5]}")),
        "26:14",
        "got both",
    ),
    (
        "types-empty-prior",
        "types",
        ed(("    resolve: 0.5", "    resolve: {}")),
        "26:14",
        "got neither",
    ),
    (
        "types-unknown-key",
        "types",
        ed(("    resolve: 0.5", "    resolve: {grid: [0.5], weights: [1]}")),
        "26:28",
        "unknown key 'weights'",
    ),
    (
        "types-string",
        "types",
        ed(("    resolve: 0.4", "    resolve: resolute")),
        "35:14",
        "expected a number or a prior over types",
    ),
    (
        "types-none-for-a-power",
        "types",
        # Neither resolve nor war_cost, nor a doctrine that gives a resolve.
        ed(("    resolve: 0.4\n    doctrine: dove\n", "")),
        "31:5",
        "a power needs its type",
    ),
    (
        "types-disagree",
        "types",
        ed(("    resolve: 0.4", "    resolve: 0.4\n    war_cost: 0.1")),
        "36:15",
        "'resolve' and 'war_cost' describe different types",
    ),
    (
        "types-war-cost-too-high",
        "types",
        ed(("    resolve: 0.4", "    war_cost: 1e6")),
        "35:15",
        "expected a number <= 1000",
    ),
    (
        "types-set-event-on-war-cost",
        "types",
        ed(
            ("    resolve: 0.4", "    war_cost: 0.5"),
            (
                "    kind: channel\n    channel: hotline\n    open: false",
                "    kind: set\n    path: actors.B.war_cost\n    value: 0.2",
            ),
        ),
        "49:11",
        "cannot change during a run",
    ),
    (
        "stakes-status-quo-sum",
        "types",
        ed(("  status_quo: {A: 0.45}", "  status_quo: {A: 0.45, B: 0.45}")),
        "65:15",
        "sum to 1; they sum to 0.9",
    ),
    (
        "stakes-status-quo-not-a-power",
        "types",
        ed(("  status_quo: {A: 0.45}", "  status_quo: {C: 0.45}")),
        "65:16",
        "no power 'C'",
    ),
    (
        "stakes-discount-one",
        "types",
        ed(("  discount: 0.99", "  discount: 1.0")),
        "66:13",
        "expected a number < 1",
    ),
    (
        "stakes-indivisible-without-agenda",
        "types",
        ed(("  divisible: true", "  divisible: false")),
        "67:14",
        "no 'agenda'",
    ),
    (
        "stakes-commitment-without-shift",
        "types",
        ed(("  commitment_problem: false", "  commitment_problem: true")),
        "68:23",
        "needs a scheduled shift in capabilities",
    ),
    (
        "war-decisiveness-negative",
        "types",
        ed(("  decisiveness: 1.5", "  decisiveness: -1")),
        "70:17",
        "expected a number >= 0",
    ),
    (
        "beliefs-attribution-typo",
        "types",
        ed(("  attribution: noisy", "  attribution: noisey")),
        "72:16",
        "did you mean 'noisy'",
    ),
]

# (name, class, content, "line:col", message fragment)
CASES: list[tuple[str, str, str | bytes, str, str]] = [
    # -- YAML syntax errors at various positions ------------------------------------------------
    (
        "syntax-unclosed-bracket-first-line",
        "syntax",
        "schema_version: [2\n" + BASE[BASE.index("id:") :],
        "2:3",
        "YAML syntax error",
    ),
    (
        "syntax-unclosed-bracket-mid",
        "syntax",
        ed(("between: [A, B]", "between: [A, B")),
        "44:10",
        "expected ',' or ']'",
    ),
    (
        "syntax-unclosed-bracket-eof",
        "syntax",
        ed(("      - events.cut", "      - [events.cut")),
        "56:9",
        "expected ',' or ']'",
    ),
    (
        "syntax-unclosed-brace",
        "syntax",
        ed(("  war_rung: war", "  war_rung: {war")),
        "21:7",
        "expected ',' or '}'",
    ),
    (
        "syntax-unclosed-double-quote",
        "syntax",
        ed(("name: Fuzz base", 'name: "Fuzz base')),
        "4:7",
        "is its closing quote missing?",
    ),
    (
        "syntax-unclosed-single-quote-eof",
        "syntax",
        ed(('"0:0.5:3"', "'0:0.5:3")),
        "62:29",
        "YAML syntax error",
    ),
    (
        "syntax-indent-too-deep",
        "syntax",
        ed(("  time_unit: day", "   time_unit: day")),
        "8:13",
        "mapping values are not allowed here",
    ),
    (
        "syntax-indent-too-shallow",
        "syntax",
        ed(("  seed: 3", " seed: 3")),
        "10:2",
        "YAML syntax error",
    ),
    (
        "syntax-stray-colon",
        "syntax",
        ed(("name: Fuzz base", "name: Fuzz: base")),
        "4:11",
        "mapping values are not allowed here",
    ),
    (
        "syntax-at-sign",
        "syntax",
        ed(("name: Aland", "name: @land")),
        "23:11",
        "cannot start any token",
    ),
    (
        "syntax-backtick",
        "syntax",
        ed(("name: Bland", "name: `Bland`")),
        "32:11",
        "cannot start any token",
    ),
    (
        "syntax-bad-escape",
        "syntax",
        ed(("name: Fuzz base", 'name: "Fuzz \\q base"')),
        "4:14",
        "unknown escape character",
    ),
    (
        "syntax-list-item-in-mapping",
        "syntax",
        ed(("  seed: 3\n", "  seed: 3\n  - 4\n")),
        "11:3",
        "YAML syntax error",
    ),
    (
        "syntax-key-after-list",
        "syntax",
        ed(("      - events.cut\n", "      - events.cut\n      remove2: x\n")),
        "56:7",
        "YAML syntax error",
    ),
    (
        "syntax-undefined-alias",
        "syntax",
        ed(("  war_rung: war", "  war_rung: *war")),
        "20:13",
        "found undefined alias",
    ),
    (
        "syntax-bad-block-indicator",
        "syntax",
        ed(("description: The valid", "description: |0\n  The valid")),
        "5:15",
        "indentation indicator",
    ),
    (
        "syntax-anchor-without-node-last-line",
        "syntax",
        BASE + "extra: &\n",
        "73:9",
        "YAML syntax error",
    ),
    (
        "syntax-question-mark-key",
        "syntax",
        ed(("id: fuzz-base", "? [id]\n: fuzz-base")),
        "3:3",
        "a mapping key must be a plain string",
    ),
    (
        "syntax-document-end-then-text",
        "syntax",
        BASE + "...\nmore: 1\n",
        "74:1",
        "only one YAML document",
    ),
    ("syntax-second-document", "syntax", BASE + "---\nid: two\n", "73:1", "only one YAML document"),
    ("syntax-directive-yaml-1.1", "syntax", "%YAML 1.1\n---\n" + BASE, "1:1", "YAML 1.2 only"),
    ("syntax-directive-garbage", "syntax", "%YAML x\n---\n" + BASE, "1:1", "YAML 1.2 only"),
    # -- tabs ------------------
    (
        "tab-indent-run",
        "tabs",
        ed(("  rounds: 12", "\trounds: 12")),
        "7:1",
        "found character '\\t'",
    ),
    (
        "tab-indent-list-item",
        "tabs",
        ed(("  - id: B", "\t- id: B")),
        "31:1",
        "found character '\\t'",
    ),
    (
        "tab-indent-last-line",
        "tabs",
        ed(("  replications: 10", "\treplications: 10")),
        "63:1",
        "found character '\\t'",
    ),
    (
        "tab-in-flow-is-fine-but-key-bad",
        "tabs",
        ed(("between: [A, B]", "between: [A,\tC]")),
        "43:18",
        "no actor 'C'",
    ),
    (
        "tab-after-dash",
        "tabs",
        ed(("    - name: war", "    -\tname: war")),
        "18:6",
        "found character '\\t'",
    ),
    (
        "tab-mixed-indent",
        "tabs",
        ed(("      precision: 3.0", "    \t  precision: 3.0")),
        "30:5",
        "YAML syntax error",
    ),
    # -- duplicate keys ------------------
    (
        "dup-top-level",
        "duplicate-keys",
        ed(("name: Fuzz base\n", "name: Fuzz base\nname: Again\n")),
        "5:1",
        "duplicate key 'name' (first given at line 4",
    ),
    (
        "dup-nested",
        "duplicate-keys",
        ed(("  seed: 3\n", "  seed: 3\n  seed: 4\n")),
        "11:3",
        "duplicate key 'seed'",
    ),
    (
        "dup-in-list-item",
        "duplicate-keys",
        ed(("    noise: 0.05\n", "    noise: 0.05\n    noise: 0.1\n")),
        "45:5",
        "duplicate key 'noise'",
    ),
    (
        "dup-in-flow-mapping",
        "duplicate-keys",
        ed(("    between: [A, B]", "    between: [A, B]\n    x: {a: 1, a: 2}")),
        "44:15",
        "duplicate key 'a'",
    ),
    (
        "dup-in-condition-set",
        "duplicate-keys",
        ed(
            (
                "      channels.hotline.open: false",
                "      channels.hotline.open: false\n      channels.hotline.open: true",
            )
        ),
        "60:7",
        "duplicate key",
    ),
    (
        "dup-quoted-and-plain",
        "duplicate-keys",
        ed(("id: fuzz-base\n", "id: fuzz-base\n'id': other\n")),
        "4:1",
        "duplicate key 'id'",
    ),
    (
        "dup-many",
        "duplicate-keys",
        "".join(f"k: {i}\n" for i in range(50)),
        "2:1",
        "duplicate key 'k'",
    ),
    # -- aliases ------------------
    ("alias-billion-laughs", "aliases", BOMB, "1:1", "alias bomb"),
    (
        "alias-bomb-inside-scenario",
        "aliases",
        ed(
            (
                "description: The valid scenario the hostile corpus is derived from.",
                "description: x\nx_bomb:\n"
                + "".join("  " + line + "\n" for line in BOMB.splitlines()),
            )
        ),
        "1:1",
        "alias bomb",
    ),
    ("alias-recursive", "aliases", "a: &x [1, *x]\n", "1:4", "recursive alias"),
    ("alias-recursive-mapping", "aliases", "a: &x\n  b: *x\n", "1:4", "recursive alias"),
    (
        "alias-merge-bomb",
        "aliases",
        "a: &a {k0: 1, k1: 1, k2: 1, k3: 1, k4: 1, k5: 1, k6: 1, k7: 1}\n"
        + "".join(
            f"{c}: &{c} [" + ", ".join([f"*{p}"] * 10) + "]\n"
            for p, c in zip("abcdef", "bcdefg", strict=True)
        ),
        "1:1",
        "alias bomb",
    ),
    (
        "alias-many-aliases",
        "aliases",
        "a: &a x\nb: [" + ", ".join(["*a"] * 13_000) + "]\n",
        "2:47995",
        "more than 12,000 lines",
    ),
    (
        "alias-as-key",
        "aliases",
        "a: &k key\n*k : 1\n",
        "1:1",
        "missing required field 'schema_version'",
    ),
    # -- tags: no code-execution path --------------------------------------------------------------
    (
        "tag-python-apply-os-system",
        "tags",
        ed(
            (
                "name: Fuzz base",
                'name: !!python/object/apply:os.system ["touch /tmp/escalsim-pwned"]',
            )
        ),
        "4:7",
        "the tag '!!python/object/apply:os.system' is not allowed",
    ),
    (
        "tag-python-new",
        "tags",
        ed(("name: Aland", "name: !!python/object/new:os.system [id]")),
        "23:11",
        "is not allowed",
    ),
    (
        "tag-python-object",
        "tags",
        ed(("    policy:\n", "    policy: !!python/object:escalsim.scenario.schema.Scenario\n")),
        "28:13",
        "is not allowed",
    ),
    (
        "tag-python-name",
        "tags",
        ed(("  war_rung: war", "  war_rung: !!python/name:os.system")),
        "20:13",
        "is not allowed",
    ),
    (
        "tag-python-module",
        "tags",
        ed(("id: fuzz-base", "id: !!python/module:os")),
        "3:5",
        "is not allowed",
    ),
    (
        "tag-verbatim-python",
        "tags",
        ed(("  seed: 3", '  seed: !<tag:yaml.org,2002:python/object/apply:os.system> ["id"]')),
        "10:9",
        "is not allowed",
    ),
    (
        "tag-directive-shorthand",
        "tags",
        "%TAG !p! tag:yaml.org,2002:python/\n---\n"
        + ed(("name: Fuzz base", "name: !p!object/apply:os.system [id]"))[:],
        "6:7",
        "is not allowed",
    ),
    (
        "tag-on-root",
        "tags",
        "!!python/object/apply:subprocess.check_output\n" + BASE,
        "1:1",
        "is not allowed",
    ),
    (
        "tag-binary",
        "tags",
        ed(("name: Fuzz base", "name: !!binary RnV6eg==")),
        "4:7",
        "'!!binary' is not allowed",
    ),
    (
        "tag-set",
        "tags",
        ed(("    between: [A, B]", "    between: !!set {A, B}")),
        "43:14",
        "'!!set' is not allowed",
    ),
    (
        "tag-timestamp",
        "tags",
        ed(("name: Fuzz base", "name: !!timestamp 2001-12-14")),
        "4:7",
        "'!!timestamp' is not allowed",
    ),
    (
        "tag-custom-env",
        "tags",
        ed(("  seed: 3", "  seed: !env SEED")),
        "10:9",
        "'!env' is not allowed",
    ),
    (
        "tag-on-key",
        "tags",
        ed(("  seed: 3", "  !!python/name:os.system seed: 3")),
        "10:3",
        "a mapping key must be a plain string",
    ),
    (
        "tag-bool-maybe",
        "tags",
        ed(("    open: false", "    open: !!bool maybe")),
        "50:11",
        "is not a boolean",
    ),
    (
        "tag-null-junk",
        "tags",
        ed(("    doctrine: dove", "    doctrine: !!null dove")),
        "36:15",
        "is not null",
    ),
    (
        "tag-int-on-text",
        "tags",
        ed(("  seed: 3", "  seed: !!int three")),
        "10:9",
        "is not an integer",
    ),
    (
        "tag-float-on-text",
        "tags",
        ed(("    noise: 0.2", "    noise: !!float low")),
        "40:12",
        "is not a number",
    ),
    # -- empty documents ------------------
    ("empty-file", "empty", "", "1:1", "the file is empty"),
    ("empty-comments-only", "empty", "# nothing\n# here\n", "1:1", "the file is empty"),
    ("empty-whitespace-only", "empty", "   \n\n  \n", "1:1", "the file is empty"),
    ("empty-document-marker", "empty", "---\n", "1:1", "got nothing (null)"),
    ("empty-bom-only", "empty", b"\xef\xbb\xbf", "1:1", "the file is empty"),
    ("empty-null", "empty", "~\n", "1:1", "got nothing (null)"),
    # -- nesting ------------------
    (
        "nest-flow-100",
        "nesting",
        "a: " + "[" * 100 + "]" * 100 + "\n",
        "1:68",
        "nesting deeper than 64",
    ),
    (
        "nest-flow-20000-unclosed",
        "nesting",
        "a: " + "[" * 20000 + "\n",
        "1:68",
        "nesting deeper than 64",
    ),
    (
        "nest-flow-maps",
        "nesting",
        "a: " + "{b: " * 100 + "1" + "}" * 100 + "\n",
        "1:260",
        "nesting deeper than 64",
    ),
    (
        "nest-block-mappings",
        "nesting",
        "".join(" " * i + "a:\n" for i in range(300)),
        "65:65",
        "nesting deeper than 64",
    ),
    (
        "nest-block-dashes",
        "nesting",
        "a:\n  " + "- " * 3000 + "x\n",
        "2:129",
        "nesting deeper than 64",
    ),
    (
        "nest-inside-scenario",
        "nesting",
        ed(
            (
                "      precision: 3.0",
                "      precision: 3.0\n      extra:\n"
                + "".join(" " * (8 + 2 * i) + "k:\n" for i in range(70)),
            )
        ),
        "92:129",
        "nesting deeper than 64",
    ),
    # -- encodings ------------------
    (
        "enc-latin1-byte",
        "encoding",
        ed(("name: Aland", "name: \udce5land")).encode("utf-8", "surrogateescape"),
        "23:11",
        "not UTF-8 text (byte 0xe5)",
    ),
    (
        "enc-utf16-le-bom",
        "encoding",
        b"\xff\xfe" + "schema_version: 2\n".encode("utf-16-le"),
        "1:1",
        "not UTF-8 text (byte 0xff)",
    ),
    (
        "enc-utf16-be-no-bom",
        "encoding",
        "schema_version: 2\n".encode("utf-16-be"),
        "1:1",
        "NUL byte",
    ),
    (
        "enc-overlong-slash",
        "encoding",
        ed(("name: Bland", "name: Bl\udcc0\udcafnd")).encode("utf-8", "surrogateescape"),
        "32:13",
        "not UTF-8 text (byte 0xc0)",
    ),
    (
        "enc-truncated-at-eof",
        "encoding",
        BASE.encode() + b"x: \xe2\x82",
        "73:4",
        "not UTF-8 text (byte 0xe2)",
    ),
    (
        "enc-cesu-surrogate",
        "encoding",
        ed(("name: Bland", "name: \udced\udca0\udc80")).encode("utf-8", "surrogateescape"),
        "32:11",
        "not UTF-8 text (byte 0xed)",
    ),
    (
        "enc-nul-byte",
        "encoding",
        ed(("name: Bland", "name: Bl\x00and")).encode(),
        "32:13",
        "NUL byte",
    ),
    (
        "enc-bell",
        "encoding",
        ed(("name: Bland", "name: Bl\x07and")).encode(),
        "32:13",
        "control character U+0007",
    ),
    (
        "enc-ansi-escape-raw",
        "encoding",
        ed(("name: Bland", "name: \x1b[31mBland")).encode(),
        "32:11",
        "control character U+001B",
    ),
    (
        "enc-ansi-escape-quoted",
        "encoding",
        ed(("name: Bland", 'name: "\\e[2J\\e[31mBland"')),
        "32:11",
        "U+001B (from an escape)",
    ),
    (
        "enc-surrogate-escape",
        "encoding",
        ed(("name: Bland", 'name: "\\ud800"')),
        "32:11",
        "U+D800 (from an escape)",
    ),
    (
        "enc-escape-beyond-unicode",
        "encoding",
        ed(("name: Bland", 'name: "\\UFFFFFFFF"')),
        "32:12",
        "beyond the last Unicode character",
    ),
    (
        "enc-c1-control",
        "encoding",
        ed(("name: Bland", "name: Bl\x9band")).encode(),
        "32:13",
        "control character U+009B",
    ),
    # -- numbers where numbers are expected ------------------
    (
        "num-nan-probability",
        "numbers",
        ed(("    noise: 0.2", "    noise: .nan")),
        "40:12",
        "expected a finite number, got nan",
    ),
    (
        "num-inf-capability",
        "numbers",
        ed(("    capability: 1.0", "    capability: .inf")),
        "25:17",
        "expected a finite number, got inf",
    ),
    (
        "num-neg-inf-cost",
        "numbers",
        ed(("      cost: 0.4", "      cost: -.inf")),
        "16:13",
        "finite number",
    ),
    (
        "num-nan-uppercase",
        "numbers",
        ed(("    resolve: 0.4", "    resolve: .NaN")),
        "35:14",
        "finite number",
    ),
    (
        "num-float-overflow",
        "numbers",
        ed(("    resolve: 0.5", "    resolve: 1e99999")),
        "26:14",
        "finite number",
    ),
    (
        "num-huge-integer",
        "numbers",
        ed(("  seed: 3", "  seed: " + "9" * 400)),
        "10:9",
        "is too large",
    ),
    (
        "num-huge-hex",
        "numbers",
        ed(("  rounds: 12", "  rounds: 0x" + "f" * 400)),
        "7:11",
        "is too large",
    ),
    (
        "num-rounds-1e12",
        "numbers",
        ed(("  rounds: 12", "  rounds: 1000000000000")),
        "7:11",
        "<= 10000",
    ),
    ("num-rounds-negative", "numbers", ed(("  rounds: 12", "  rounds: -12")), "7:11", ">= 1"),
    (
        "num-rounds-float",
        "numbers",
        ed(("  rounds: 12", "  rounds: 12.5")),
        "7:11",
        "expected an integer",
    ),
    (
        "num-rounds-bool",
        "numbers",
        ed(("  rounds: 12", "  rounds: true")),
        "7:11",
        "expected an integer",
    ),
    ("num-seed-negative", "numbers", ed(("  seed: 3", "  seed: -3")), "10:9", ">= 0"),
    (
        "num-replications-zero",
        "numbers",
        ed(("  replications: 4", "  replications: 0")),
        "9:17",
        ">= 1",
    ),
    (
        "num-probability-above-one",
        "numbers",
        ed(("      incident_risk: 0.02", "      incident_risk: 1.5")),
        "17:22",
        "<= 1",
    ),
    (
        "num-string-for-number",
        "numbers",
        ed(("    resolve: 0.5", "    resolve: high")),
        "26:14",
        "expected a number",
    ),
    (
        "num-quoted-number",
        "numbers",
        ed(("    noise: 0.05", '    noise: "0.05"')),
        "44:12",
        "expected a number",
    ),
    ("num-round-zero", "numbers", ed(("    round: 4", "    round: 0")), "47:12", ">= 1"),
    (
        "num-round-after-horizon",
        "numbers",
        ed(("    round: 4", "    round: 400")),
        "47:12",
        "after the horizon",
    ),
    # -- wrong nesting and shapes ------------------
    (
        "shape-top-level-list",
        "structure",
        "- " + BASE.replace("\n", "\n  ")[:-2],
        "1:1",
        "expected a scenario mapping",
    ),
    (
        "shape-top-level-scalar",
        "structure",
        "just a string\n",
        "1:1",
        "expected a scenario mapping",
    ),
    (
        "shape-between-mapping",
        "structure",
        ed(("between: [A, B]", "between: {A: B}")),
        "43:14",
        "expected a list",
    ),
    (
        "shape-run-list",
        "structure",
        ed(
            (
                "run:\n  rounds: 12\n  time_unit: day\n  replications: 4\n  seed: 3",
                "run: [12, day, 4, 3]",
            )
        ),
        "6:6",
        "expected a mapping",
    ),
    (
        "shape-policy-string",
        "structure",
        ed(("    policy:\n      name: bargaining\n      precision: 3.0", "    policy: bargaining")),
        "28:13",
        "expected a mapping",
    ),
    (
        "shape-war-rung-list",
        "structure",
        ed(("  war_rung: war", "  war_rung: [war]")),
        "20:13",
        "expected a rung name",
    ),
    (
        "shape-event-as-list",
        "structure",
        ed(
            (
                "  - id: cut\n    round: 4\n    kind: channel\n"
                "    channel: hotline\n    open: false",
                "  - [cut, 4, channel, hotline, false]",
            )
        ),
        "46:5",
        "expected a mapping",
    ),
    (
        "shape-list-of-lists-between",
        "structure",
        ed(("between: [A, B]", "between: [[A, B]]")),
        "43:15",
        "expected a string",
    ),
    (
        "shape-ladder-nested-too-far",
        "structure",
        ed(("  war_rung: war", "  extra:\n    war_rung: war")),
        "20:3",
        "unknown key 'extra'",
    ),
    (
        "shape-actor-field-moved-up",
        "structure",
        ed(("      precision: 3.0", "    precision: 3.0")),
        "30:5",
        "unknown key 'precision'",
    ),
    (
        "shape-missing-actors",
        "structure",
        ed(("actors:\n", "actors_:\n")),
        "21:1",
        "unknown key 'actors_'",
    ),
    (
        "shape-empty-actors",
        "structure",
        ed(("channels:\n", "actors2: []\nchannels:\n")),
        "37:1",
        "unknown key",
    ),
    (
        "shape-unknown-top-level",
        "structure",
        BASE + "colour: red\n",
        "73:1",
        "unknown key 'colour'",
    ),
    (
        "shape-key-typo",
        "structure",
        ed(("  war_rung: war", "  war_rnug: war")),
        "20:3",
        "did you mean 'war_rung'",
    ),
    # -- broken cross-references -------------------------------------------------------------------
    (
        "ref-channel-unknown-actor",
        "references",
        ed(("between: [A, B]", "between: [A, C]")),
        "43:18",
        "no actor 'C'",
    ),
    (
        "ref-event-unknown-channel",
        "references",
        ed(("    channel: hotline", "    channel: hotlime")),
        "49:14",
        "did you mean 'hotline'",
    ),
    (
        "ref-war-rung-unknown",
        "references",
        ed(("  war_rung: war", "  war_rung: peace")),
        "20:13",
        "no rung named 'peace'",
    ),
    (
        "ref-red-line-index",
        "references",
        ed(("    red_line: tense", "    red_line: 9")),
        "27:15",
        "outside the ladder",
    ),
    (
        "ref-doctrine-unknown",
        "references",
        ed(("    doctrine: dove", "    doctrine: dodo")),
        "36:15",
        "no doctrine 'dodo'",
    ),
    (
        "ref-condition-unknown-path",
        "references",
        ed(("      channels.hotline.open: false", "      channels.hotlime.open: false")),
        "59:7",
        "hotlime",
    ),
    (
        "ref-condition-remove-unknown",
        "references",
        ed(("      - events.cut", "      - events.cat")),
        "55:9",
        "events has no item 'cat'",
    ),
    (
        "ref-duplicate-actor-id",
        "references",
        ed(("  - id: B", "  - id: A")),
        "31:9",
        "duplicate id 'A'",
    ),
    (
        "ref-actor-between-itself",
        "references",
        ed(("between: [A, B]", "between: [A, A]")),
        "43:18",
        "two different actors",
    ),
    (
        "ref-sweep-condition-unknown",
        "references",
        ed(("  replications: 10", "  replications: 10\n  condition: nope")),
        "64:14",
        "no condition 'nope'",
    ),
    (
        "ref-sweep-path-unknown",
        "references",
        ed(("    channels.hotline.noise:", "    channels.hotlime.noise:")),
        "62:5",
        "hotlime",
    ),
    (  # found by the mutation fuzzer: 'set' not a mapping crashed when the base was invalid too
        "structure-condition-set-scalar",
        "structure",
        ed(
            ("    remove:\n      - events.cut", "    set: true"), ("    noise: 0.2", "    noise: 2")
        ),
        "54:10",
        "expected a mapping, got the boolean true",
    ),
    (
        "structure-condition-remove-number",
        "structure",
        ed(
            ("    remove:\n      - events.cut", "    remove: 5"), ("    noise: 0.2", "    noise: 2")
        ),
        "54:13",
        "expected a list, got 5",
    ),
    # -- sweep specs inside a scenario ------------------
    (
        "sweep-count-billion",
        "sweep-specs",
        ed(('"0:0.5:3"', '"0:0.5:1000000000"')),
        "62:29",
        "COUNT must be 1 to 1,000",
    ),
    (
        "sweep-count-huge-digits",
        "sweep-specs",
        ed(('"0:0.5:3"', '"0:0.5:' + "9" * 200 + '"')),
        "62:29",
        "COUNT must be 1 to 1,000",
    ),
    (
        "sweep-count-zero",
        "sweep-specs",
        ed(('"0:0.5:3"', '"0:0.5:0"')),
        "62:29",
        "COUNT must be 1 to 1,000",
    ),
    ("sweep-bound-inf", "sweep-specs", ed(('"0:0.5:3"', '"0:1e999:3"')), "62:29", "finite"),
    (
        "sweep-bound-nan-word",
        "sweep-specs",
        ed(('"0:0.5:3"', '"nan:0.5:3"')),
        "62:29",
        "expected a number, got the string 'nan:0.5:3'",
    ),
    (
        "sweep-uniform-inf",
        "sweep-specs",
        ed(('"0:0.5:3"', '"uniform(0,1e400)"')),
        "62:29",
        "finite",
    ),
    (
        "sweep-uniform-reversed",
        "sweep-specs",
        ed(('"0:0.5:3"', '"uniform(0.5,0)"')),
        "62:29",
        "LOW must be below HIGH",
    ),
    (
        "sweep-list-nan",
        "sweep-specs",
        ed(('"0:0.5:3"', "[.nan, 0.1]")),
        "62:29",
        "expected a finite number, got nan",
    ),
    (
        "sweep-list-empty",
        "sweep-specs",
        ed(('"0:0.5:3"', "[]")),
        "62:29",
        "expected 1 to 1,000 values, got 0",
    ),
    (
        "sweep-list-too-long",
        "sweep-specs",
        ed(('"0:0.5:3"', "[" + ", ".join(["0.1"] * 1001) + "]")),
        "62:29",
        "got 1,001",
    ),
    (
        "sweep-unicode-digits",
        "sweep-specs",
        ed(('"0:0.5:3"', '"０:０.５:３"')),
        "62:29",
        "expected a number",
    ),
    (
        "sweep-empty-string",
        "sweep-specs",
        ed(('"0:0.5:3"', '""')),
        "62:29",
        "expected START:STOP:COUNT",
    ),
    ("sweep-equals", "sweep-specs", ed(('"0:0.5:3"', '"="')), "62:29", "expected a number"),
    (
        "sweep-grid-too-large",
        "sweep-specs",
        ed(
            (
                '    channels.hotline.noise: "0:0.5:3"',
                '    channels.hotline.noise: "0:0.5:1000"\n    actors.A.resolve: "0:1:1000"',
            )
        ),
        "61:3",
        "at most 100,000",
    ),
    (
        "sweep-frozen-path",
        "sweep-specs",
        ed(("    channels.hotline.noise:", "    id:")),
        "62:5",
        "cannot be swept",
    ),
    (
        "sweep-value-out-of-range",
        "sweep-specs",
        ed(('"0:0.5:3"', '"0:2:3"')),
        "62:29",
        "value 2.0: channels[1].noise: expected a number <= 1.0",
    ),
    *VERSION_CASES,
    *TYPE_CASES,
]


def main() -> None:
    """Write the corpus files and the manifest."""
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.yaml"):
        old.unlink()
    rows = ["# name\tclass\tline:col\tmessage fragment"]
    names = [c[0] for c in CASES]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        sys.exit(f"duplicate case names: {dupes}")
    for name, cls, content, where, fragment in CASES:
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (OUT / f"{name}.yaml").write_bytes(data)
        rows.append(f"{name}.yaml\t{cls}\t{where}\t{fragment}")
    (OUT / "MANIFEST.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"wrote {len(CASES)} files to {OUT}")


if __name__ == "__main__":
    main()
