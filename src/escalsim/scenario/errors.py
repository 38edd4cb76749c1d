"""Positioned scenario errors: ``file:line:column: field.path: what was expected``.

Every problem found while reading a scenario -- YAML syntax, an unknown key, a wrong type, an
out-of-range value, a broken cross-reference -- becomes a :class:`Problem` that knows where in
the file it is. :class:`ScenarioError` (defined in :mod:`escalsim.errors`, with the other errors
and their exit codes) carries all problems of a file at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# The class lives in escalsim.errors (the hierarchy of every error, with exit codes); it is
# imported here so that escalsim.scenario.errors.ScenarioError stays the same class.
from escalsim.errors import ScenarioError

#: A field path: mapping keys (str) and list indices (int), from the document root.
Loc = tuple[str | int, ...]

#: Bidirectional control characters: embeddings and overrides (U+202A-U+202E), isolates
#: (U+2066-U+2069) and the marks (U+200E, U+200F, U+061C). They make a terminal show text in an
#: order other than the one it is stored in, so a key or name holding one can pass for another.
BIDI_CONTROLS = frozenset(
    [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), *"\u200e\u200f\u061c"]
)
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")
#: What :func:`printable` escapes: the bidirectional controls and the C0/C1 control characters
#: (terminal escape sequences), but not tab and newline.
_UNPRINTABLE = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + r"\x00-\x08\x0b-\x1f\x7f-\x9f]")


def bidi_control(text: str) -> str | None:
    """The first bidirectional control character in ``text``, or None."""
    found = _BIDI.search(text)
    return found.group() if found else None


def printable(text: str) -> str:
    r"""``text`` with bidirectional and control characters escaped, for messages.

    Every message that repeats what a user wrote goes through this, so that a name cannot
    reorder or recolour the terminal's text: a key ``ro\u202ele`` is shown with that escape, not
    the character.

    Parameters
    ----------
    text : str
        Text to show.

    Returns
    -------
    str
        The same text, each such character written as a Python escape (``\u202e``, ``\x1b``).
    """

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _UNPRINTABLE.sub(escape, text)


def format_loc(loc: Loc) -> str:
    """Render a field path as ``actors[2].policy.precision``.

    Parameters
    ----------
    loc : tuple of str or int
        Keys and list indices from the document root.

    Returns
    -------
    str
        The dotted path; ``"<root>"`` for the empty path.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "<root>"


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest option, or ``""`` when none is close.

    Parameters
    ----------
    word : str
        What the user wrote.
    options : iterable of str
        The valid choices.

    Returns
    -------
    str
        A suffix to append to a message.
    """
    opts = [o for o in options if isinstance(o, str)]
    lowered = {o.lower(): o for o in opts}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return f" (did you mean '{lowered[word.lower()]}'?)"
    match = difflib.get_close_matches(word, opts, n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


@dataclass(frozen=True, order=True)
class Problem:
    """One positioned problem in a scenario file.

    Attributes
    ----------
    line, column : int
        1-based position of the offending key or value (0 when the file has no position, e.g.
        an unreadable file).
    loc : tuple
        Field path of the offending key or value.
    message : str
        What was expected, in one sentence.
    source : str
        The file name (or ``"<string>"``).
    """

    line: int
    column: int
    loc: Loc = field(compare=False)
    message: str = field(compare=False)
    source: str = field(default="<string>", compare=False)

    def __str__(self) -> str:
        # A problem with the file itself (missing, unreadable) has no position; one with the
        # document as a whole (empty, not a mapping) has a position but no field path.
        where = f"{self.source}:{self.line}:{self.column}" if self.line else self.source
        if self.loc:
            return printable(f"{where}: {format_loc(self.loc)}: {self.message}")
        return printable(f"{where}: {self.message}")


__all__ = [
    "BIDI_CONTROLS",
    "Loc",
    "Problem",
    "ScenarioError",
    "bidi_control",
    "did_you_mean",
    "format_loc",
    "printable",
]
