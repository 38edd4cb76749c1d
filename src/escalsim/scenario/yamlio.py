"""Safe, positioned YAML 1.2 reading.

The document is *composed* (parsed into a node graph) by ruamel.yaml and then built into plain
Python values here, not by ruamel's constructors, so that:

* every key and value keeps its line and column (:class:`Positions`);
* YAML 1.2 core-schema scalars only: ``NO``, ``yes`` and ``off`` stay strings;
* no tag outside the core schema is accepted -- ``!!python/object`` and custom tags are errors,
  so there is no code-execution path at all;
* duplicate keys are errors, not silently overwritten;
* aliases are bounded: the document's size with every alias expanded is computed on the node
  graph (memoised, so in linear time) and refused above :data:`MAX_EXPANDED_NODES`. An "alias
  bomb" (the billion-laughs pattern) is refused before anything is expanded; recursive aliases
  are refused too;
* nesting is bounded by :data:`MAX_DEPTH`;
* size is bounded before anything is parsed: a file over :data:`MAX_BYTES` is not read past the
  limit, and a text with more than :data:`MAX_ITEMS` lines or flow items is refused before the
  (pure-Python, about 0.1 ms per node) parser sees it, so every input is answered in about a
  second;
* strings may not smuggle in, through a double-quoted escape, a control character
  or a lone surrogate (terminal escape sequences in names, text that cannot be written as UTF-8).
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from escalsim.scenario.errors import Loc, Problem, ScenarioError, bidi_control

#: Nodes in a document with every alias expanded. A large scenario has a few thousand.
MAX_EXPANDED_NODES = 200_000
#: Nesting depth of mappings and lists. Scenarios need about 6.
MAX_DEPTH = 64
#: Bytes in a scenario file. The largest shipped scenario is about 25 kB.
MAX_BYTES = 1_000_000
#: Content lines plus flow items (',', brackets) in a scenario file: a bound on its nodes that is
#: checked before parsing. The largest shipped scenario has about 700. It leaves room for any one
#: list at the schema's maximum in block style beside an ordinary scenario: a scripted policy's
#: 10,000 moves (one line each) or 1,000 events (6-10 lines each); tests/test_scenario_limits.py
#: keeps the two in agreement. At about 85 µs per node the parser reads it in a second or two.
MAX_ITEMS = 12_000

_CORE = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (f"{_CORE}{t}" for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ, _MERGE = f"{_CORE}map", f"{_CORE}seq", f"{_CORE}merge"
_ALLOWED_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, _MAP, _SEQ, _MERGE}
_INT_RE = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")


@dataclass
class Positions:
    """Where each key and value of a document is, by field path (1-based line and column).

    Attributes
    ----------
    keys : dict
        Field path -> (line, column) of the mapping key that introduces it.
    values : dict
        Field path -> (line, column) of the value.
    """

    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def value(self, loc: Loc) -> tuple[int, int]:
        """Position of the value at ``loc``, or of its nearest ancestor that has one."""
        return self._nearest(self.values, loc)

    def key(self, loc: Loc) -> tuple[int, int]:
        """Position of the key of ``loc`` (for list items, the item), or the nearest ancestor's."""
        if loc in self.keys:
            return self.keys[loc]
        return self._nearest(self.values, loc)

    @staticmethod
    def _nearest(table: dict[Loc, tuple[int, int]], loc: Loc) -> tuple[int, int]:
        for n in range(len(loc), -1, -1):
            if loc[:n] in table:
                return table[loc[:n]]
        return (1, 1)


#: Keys whose values identify something (an id, or the name it is shown and referred to by):
#: like keys, they may not hold a bidirectional control character. Free text (descriptions) may.
_NAMES = frozenset({"id", "name"})


def _bidi_message(what: str, char: str) -> str:
    return (
        f"the {what} contains U+{ord(char):04X}, a bidirectional control character, which makes "
        "text display in another order than it is stored; keys, ids and names may not hold one"
    )


def _mark(node: Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = Positions()
        self.problems: list[Problem] = []

    def problem(self, where: tuple[int, int], loc: Loc, message: str) -> None:
        self.problems.append(Problem(where[0], where[1], loc, message, self.source))

    # -- size of the alias-expanded document, on the node graph ---------------------------------
    def expanded_size(self, root: Node) -> int:
        sizes: dict[int, int] = {}
        active: set[int] = set()

        def size(node: Node, depth: int) -> int:
            key = id(node)
            if key in sizes:
                return sizes[key]
            if key in active:
                raise _RefusedError(
                    node, "a recursive alias (an anchor used inside itself) is not allowed"
                )
            if depth > MAX_DEPTH:
                raise _RefusedError(node, f"nesting deeper than {MAX_DEPTH} levels is not allowed")
            active.add(key)
            total = 1
            if isinstance(node, MappingNode):
                for k, v in node.value:
                    total += size(k, depth + 1) + size(v, depth + 1)
                    if total > MAX_EXPANDED_NODES:
                        break
            elif isinstance(node, SequenceNode):
                for v in node.value:
                    total += size(v, depth + 1)
                    if total > MAX_EXPANDED_NODES:
                        break
            active.discard(key)
            sizes[key] = min(total, MAX_EXPANDED_NODES + 1)
            return sizes[key]

        return size(root, 0)

    # -- building ----------------------------------------------------------------------------------
    def build(self, node: Node, loc: Loc) -> Any:
        self.pos.values.setdefault(loc, _mark(node))
        tag = node.tag if isinstance(node.tag, str) else str(node.tag)
        if tag not in _ALLOWED_TAGS:
            shown = tag.replace(_CORE, "!!")
            self.problem(
                _mark(node), loc, f"the tag '{shown}' is not allowed; write plain YAML values"
            )
            return None
        if isinstance(node, MappingNode):
            return self.build_map(node, loc)
        if isinstance(node, SequenceNode):
            return [self.build(v, (*loc, i)) for i, v in enumerate(node.value)]
        assert isinstance(node, ScalarNode)  # YAML has three kinds of node
        return self.scalar(node, loc)

    def build_map(self, node: MappingNode, loc: Loc) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, tuple[int, int]] = {}
        merges: list[tuple[MappingNode, Loc]] = []
        for knode, vnode in node.value:
            if knode.tag == _MERGE:
                subs = vnode.value if isinstance(vnode, SequenceNode) else [vnode]
                for sub in subs:
                    if not isinstance(sub, MappingNode):
                        self.problem(_mark(sub), loc, "a merge key '<<' needs a mapping")
                    else:
                        merges.append((sub, loc))
                continue
            if not isinstance(knode, ScalarNode) or knode.tag not in (_STR, _INT):
                self.problem(_mark(knode), loc, "a mapping key must be a plain string")
                continue
            key = str(knode.value)
            child = (*loc, key)
            if (char := bidi_control(key)) is not None:
                self.problem(_mark(knode), child, _bidi_message("key", char))
                continue
            if key in seen:
                line, col = seen[key]
                self.problem(
                    _mark(knode),
                    child,
                    f"duplicate key '{key}' (first given at line {line}, "
                    f"column {col}); give each key once",
                )
                continue
            seen[key] = _mark(knode)
            self.pos.keys[child] = _mark(knode)
            empty = isinstance(vnode, ScalarNode) and vnode.tag == _NULL and vnode.value == ""
            # 'rounds:' with nothing after it: ruamel places the empty value at the next token,
            # often on the next line; the key is where the reader should look.
            self.pos.values[child] = _mark(knode) if empty else _mark(vnode)
            out[key] = self.build(vnode, child)
        # Merge keys (YAML 1.1 idiom, widely used for shared defaults): explicit keys win.
        for sub, mloc in merges:
            merged = self.build_map(sub, mloc)
            for key, value in merged.items():
                out.setdefault(key, value)
        return out

    def scalar(self, node: ScalarNode, loc: Loc) -> Any:
        text = node.value
        tag = node.tag
        if tag == _NULL:
            if text not in ("", "~", "null", "Null", "NULL"):  # '!!null maybe'
                self.problem(_mark(node), loc, f"'{text}' is not null; write null or ~")
            return None
        if tag == _BOOL:
            if text.lower() not in ("true", "false"):  # '!!bool maybe'
                self.problem(_mark(node), loc, f"'{text}' is not a boolean; write true or false")
                return None
            return text.lower() == "true"
        if tag == _INT:
            return self.to_int(node, loc)
        if tag == _FLOAT:
            low = text.lower().lstrip("+")
            if low in (".inf", "-.inf", ".nan"):
                return {".inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}[low]
            try:
                return float(text.replace("_", ""))
            except ValueError:
                self.problem(_mark(node), loc, f"'{text}' is not a number")
                return None
        if node.style == ">":
            # ruamel's composer keeps its fold markers (BEL) in folded scalars; a real BEL cannot
            # occur here because _precheck refuses control characters.
            text = text.replace("\a", "")
        if loc and loc[-1] in _NAMES and (char := bidi_control(text)) is not None:
            self.problem(_mark(node), loc, _bidi_message(str(loc[-1]), char))
            return None
        if node.style == '"' and (bad := _NOT_PRINTABLE.search(text)):
            # Only a double-quoted escape ('\\e', '\\x07', '\\ud800') can put one here.
            self.problem(
                _mark(node),
                loc,
                f"the string contains U+{ord(bad.group()):04X} (from an escape), a control "
                "character or lone surrogate that is not allowed in scenario text",
            )
            return None
        return text

    def to_int(self, node: ScalarNode, loc: Loc) -> int | None:
        text = node.value.replace("_", "")
        try:
            if len(text) > 30:  # decimal, or 0x/0o: 30 digits is far beyond any field's range
                self.problem(_mark(node), loc, f"the integer '{node.value[:20]}...' is too large")
                return None
            if _INT_RE.match(node.value):
                return int(text)
            return int(text, 0)
        except ValueError:
            self.problem(_mark(node), loc, f"'{node.value}' is not an integer")
            return None


class _RefusedError(Exception):
    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


def parse_yaml(text: str, source: str = "<string>") -> tuple[Any, Positions]:
    """Parse one YAML 1.2 document into plain Python values and their positions.

    Parameters
    ----------
    text : str
        The document.
    source : str
        File name used in error messages.

    Returns
    -------
    data : object
        dicts, lists, str, int, float, bool and None only.
    positions : Positions
        Line and column of every key and value.

    Raises
    ------
    ScenarioError
        On a syntax error, a disallowed tag, a duplicate key, an alias bomb or too deep nesting.
    """
    _precheck(text, source)
    yaml = YAML(typ="rt", pure=True)
    yaml.version = (1, 2)
    try:
        nodes = list(yaml.compose_all(text))
    except MarkedYAMLError as exc:
        raise ScenarioError([_syntax_problem(exc, text, source)]) from None
    except (YAMLError, AssertionError, ValueError, OverflowError, TypeError, IndexError) as exc:
        # No position: ruamel's own checks, or an input its scanner does not expect.
        what = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError([Problem(1, 1, (), f"YAML error: {what}", source)]) from None
    except RecursionError:
        raise ScenarioError(
            [Problem(1, 1, (), f"nesting deeper than {MAX_DEPTH} levels is not allowed", source)]
        ) from None
    if not nodes or nodes[0] is None:
        raise ScenarioError(
            [Problem(1, 1, (), "the file is empty; expected a scenario mapping", source)]
        )
    if len(nodes) > 1:
        line, col = _second_document(text)
        raise ScenarioError(
            [
                Problem(
                    line,
                    col,
                    (),
                    "only one YAML document per scenario file ('---' starts a second)",
                    source,
                )
            ]
        )
    root = nodes[0]
    builder = _Builder(source)
    try:
        size = builder.expanded_size(root)
    except _RefusedError as exc:
        line, col = _mark(exc.node)
        raise ScenarioError([Problem(line, col, (), exc.message, source)]) from None
    if size > MAX_EXPANDED_NODES:
        raise ScenarioError(
            [
                Problem(
                    1,
                    1,
                    (),
                    f"the document expands to more than {MAX_EXPANDED_NODES:,} values "
                    "through aliases (an alias bomb?); refused",
                    source,
                )
            ]
        )
    data = builder.build(root, ())
    if builder.problems:
        raise ScenarioError(builder.problems)
    return data, builder.pos


#: Characters YAML 1.2 allows in a stream (its c-printable production).
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_DIRECTIVE = re.compile(r"^%YAML[ \t]+(\S+)", re.MULTILINE)


#: A '\\U' escape beyond the last Unicode code point (ruamel raises OverflowError on it).
_BAD_ESCAPE = re.compile(r"\\U(?!(?:00(?:0[0-9a-fA-F]|10)[0-9a-fA-F]{4}))[0-9a-fA-F]{8}")
#: What counts towards MAX_ITEMS: a flow indicator, or a line with something other than a comment.
_ITEM = re.compile(r"[,\[\]{}]|^[ \t]*[^ \t\r\n#]", re.MULTILINE)


def _precheck(text: str, source: str) -> None:
    """Refuse, with a position, what would otherwise crash, mislead or stall the parser."""
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line, col = _line_col(text, bad.start())
        char = bad.group()
        what = (
            "a NUL byte: it looks binary, not YAML"
            if char == "\x00"
            else f"the control character U+{ord(char):04X}, which YAML does not allow"
        )
        raise ScenarioError([Problem(line, col, (), f"the file contains {what}", source)])
    directive = _DIRECTIVE.search(text)
    if directive and directive.group(1) != "1.2":
        line, col = _line_col(text, directive.start())
        message = (
            f"'%YAML {directive.group(1)}': scenarios are read as YAML 1.2 only; "
            "remove the directive"
        )
        raise ScenarioError([Problem(line, col, (), message, source)])
    escape = _BAD_ESCAPE.search(text)
    if escape:
        line, col = _line_col(text, escape.start())
        message = f"the escape '{escape.group()}' is beyond the last Unicode character (U+10FFFF)"
        raise ScenarioError([Problem(line, col, (), message, source)])
    _block_depth(text, source)
    # Flow nesting ('[[[[...') is bounded before parsing: the parser's time grows with the square
    # of the depth and its recursion would hit Python's limit. Brackets inside quotes or comments
    # are counted too, which can only make this check stricter, never let a bomb through.
    depth = 0
    for match in re.finditer(r"[\[\]{}]", text):
        depth = max(depth + (1 if match.group() in "[{" else -1), 0)
        if depth > MAX_DEPTH:
            line, col = _line_col(text, match.start())
            message = f"nesting deeper than {MAX_DEPTH} levels is not allowed"
            raise ScenarioError([Problem(line, col, (), message, source)])
    for n, item in enumerate(_ITEM.finditer(text), start=1):
        if n > MAX_ITEMS:
            line, col = _line_col(text, item.start())
            message = (
                f"the file has more than {MAX_ITEMS:,} lines and list or mapping items; a "
                "scenario has a few hundred"
            )
            raise ScenarioError([Problem(line, col, (), message, source)])


_BLOCK_LINE = re.compile(r"^( *)((?:[-?][ \t]+)*)[^ \t\r\n#]", re.MULTILINE)


def _block_depth(text: str, source: str) -> None:
    """Bound block nesting (indentation, and '- - -' on one line) before parsing.

    Each strictly deeper indentation opens at least one level, so the count never exceeds the
    document's real depth (a text block indented in steps could only make it stricter); deep
    block nesting would otherwise exhaust the parser's recursion.
    """
    stack: list[int] = []
    for match in _BLOCK_LINE.finditer(text):
        indent = len(match.group(1))
        while stack and stack[-1] >= indent:
            stack.pop()
        stack.append(indent)
        starts = [indent] + [indent + d.end() for d in re.finditer(r"[-?][ \t]+", match.group(2))]
        stack.extend(starts[1:])
        if len(stack) > MAX_DEPTH:
            # The level that goes too deep: this line's, or one of its '- ' items.
            first = starts[max(0, len(starts) - (len(stack) - MAX_DEPTH))]
            line, col = _line_col(text, match.start() + first)
            message = f"nesting deeper than {MAX_DEPTH} levels is not allowed"
            raise ScenarioError([Problem(line, col, (), message, source)])


def _syntax_problem(exc: MarkedYAMLError, text: str, source: str) -> Problem:
    """Place a syntax error where the reader should look.

    An unclosed bracket or quote is only noticed at the end of the file; ruamel's context mark
    then holds where the unclosed construct started, which is the useful position.
    """
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    mark = exc.problem_mark
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    at_end = (
        mark is None or "end of stream" in problem or "stream end" in problem or mark.line >= lines
    )
    if at_end and exc.context_mark is not None:
        line, col = exc.context_mark.line + 1, exc.context_mark.column + 1
        what = f"{context} that starts here is never closed ({problem})" if context else problem
        return Problem(line, col, (), f"YAML syntax error: {what}", source)
    if mark is None:
        return Problem(1, 1, (), f"YAML syntax error: {problem or context}", source)
    what = problem or context
    runaway = _runaway_quote(text, mark.line)
    if runaway is not None:
        line, col, end = runaway
        return Problem(
            line,
            col,
            (),
            f"YAML syntax error: {what} (line {mark.line + 1}, column {mark.column + 1}); the "
            f"quoted string that starts here runs to line {end}, over other keys: is its "
            "closing quote missing?",
            source,
        )
    return Problem(mark.line + 1, mark.column + 1, (), f"YAML syntax error: {what}", source)


def _runaway_quote(text: str, error_line: int) -> tuple[int, int, int] | None:
    """A quoted string that swallowed the lines after it, ending just before a syntax error.

    An unclosed quote is only noticed where the next quote closes it and the YAML after that no
    longer parses, which can be far below; the opening quote is where the reader should look.
    Returns its line, column and last line, or None.
    """
    from ruamel.yaml.tokens import ScalarToken

    yaml = YAML(typ="rt", pure=True)
    yaml.version = (1, 2)
    last = None
    try:
        for token in yaml.scan(text):
            if isinstance(token, ScalarToken):
                last = token
    except (YAMLError, ValueError, OverflowError, RecursionError):
        pass
    if (
        last is None
        or last.style not in ('"', "'")
        or last.end_mark.line - last.start_mark.line < 2
        or error_line - last.end_mark.line > 2
        or not re.search(r"(^|\s)[\w.-]+: ", last.value)
    ):
        return None
    return last.start_mark.line + 1, last.start_mark.column + 1, last.end_mark.line + 1


def _second_document(text: str) -> tuple[int, int]:
    """Return the position of the '---' that starts a second document."""
    markers = []
    content_before = False
    ended = False  # after a '...' document end marker
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if re.match(r"^\.\.\.(\s|$)", line):
            ended = True
            continue
        if ended and stripped and not stripped.startswith(("#", "%", "---")):
            return (number, 1)  # content after '...' starts the second document
        if re.match(r"^---(\s|$)", line):
            ended = False
            markers.append((number, content_before))
            content_before = False
        elif stripped and not stripped.startswith(("#", "%")):
            content_before = True
    # The separator is the first marker that follows content, or else the second marker.
    for number, after_content in markers:
        if after_content:
            return (number, 1)
    return (markers[1][0], 1) if len(markers) > 1 else (1, 1)


def read_text(path: str, display: str | None = None) -> str:
    """Read a scenario file as UTF-8 text with positioned errors for unreadable files.

    Parameters
    ----------
    path : str
        Path of the file.
    display : str, optional
        Name to use in messages (defaults to ``path``).

    Returns
    -------
    str
        The file's text, without a byte-order mark.

    Raises
    ------
    ScenarioError
        When the file is missing, unreadable, too large, binary or not UTF-8.
    """
    name = display or path
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(info.st_mode):
            # A FIFO would block open() until a writer comes; a device may never end.
            raise ScenarioError(
                [Problem(0, 0, (), "is not a regular file (a pipe, socket or device?)", name)]
            )
        if info.st_size > MAX_BYTES:
            raise ScenarioError([_too_large(name)])
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([Problem(0, 0, (), "no such file", name)]) from None
    except IsADirectoryError:
        raise ScenarioError(
            [Problem(0, 0, (), "is a directory, not a scenario file", name)]
        ) from None
    except OSError as exc:
        raise ScenarioError(
            [Problem(0, 0, (), f"cannot read the file: {exc.strerror}", name)]
        ) from None
    if len(raw) > MAX_BYTES:  # it grew since the stat
        raise ScenarioError([_too_large(name)])
    return decode(raw, name)


def _too_large(name: str) -> Problem:
    return Problem(
        1,
        1,
        (),
        f"the file is larger than {MAX_BYTES // 1_000_000} MB; a scenario is a few kB of YAML",
        name,
    )


def decode(raw: bytes, name: str) -> str:
    """Decode UTF-8 bytes, reporting the line and column of the first bad byte."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(raw, exc.start)
        raise ScenarioError(
            [
                Problem(
                    line,
                    col,
                    (),
                    f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
                    name,
                )
            ]
        ) from None
    return text


def _line_col(raw: bytes | str, offset: int) -> tuple[int, int]:
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    if isinstance(raw, bytes):
        offset = len(raw[:offset].decode("utf-8", errors="replace"))
    before = text[:offset]
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1) + 1
    return line, col
