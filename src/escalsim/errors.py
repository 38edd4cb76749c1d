"""Every error escalsim reports to a user, and every exit code, in one place.

The hierarchy (each class's :attr:`~EscalsimError.exit_code` in brackets)::

    EscalsimError                 [2]  anything escalsim refuses because of what it was given
    ├── ScenarioError             [2]  positioned problems: file:line:col: field.path: message
    │   ├── UsageError            [2]  a bad option or argument, or a bad combination of them
    │   ├── LimitError            [2]  a run or sweep that does not fit the memory budget or a
    │   │                              documented limit (the message gives the override)
    │   ├── StoreError            [2]  a run or sweep folder that is damaged, in use, or holds
    │   │                              another request than the one given
    │   └── NumericsError         [2]  numbers computed with other numerics than this process's
    │                                  would be mixed (a resume on another kind of machine, a
    │                                  Dask worker unlike the client)
    ├── GameError (+ ValueError)  [2]  a bad choice or setting in seminar mode
    └── LLMError                  [2]  a language-model endpoint that cannot be used (refused
        │                              the key, unreachable after the retries, no recording)
        └── LLMBudgetError        [2]  the run's budget of calls or tokens is spent (what is
                                       done is saved; the message gives the override)

Beside them, one warning: :class:`ScenarioMigrationWarning`, the notice that a version-1
scenario file was migrated as it was read (the file loads; the CLI prints the notice on stderr).

Why usage, limit and store errors are still :class:`ScenarioError` subclasses: that class is the
positioned-problems carrier (``exc.problems``, each printed as
``file:line:col: field.path: message``), and the three are reported in that form;
before this module, all of them *were* plain ScenarioErrors, so code in ``src/``, the tests and
users' scripts catch them with ``except ScenarioError``. Keeping them subclasses keeps all of
that working (and every message byte-identical), while new code can catch the narrow class.
:class:`GameError` carries a plain message, not problems, and stays a :class:`ValueError` for
the same reason.

Not in the hierarchy, on purpose: ``PathError`` (``escalsim.scenario.paths``) never reaches a
user, every caller turns it into a positioned problem; ``WriteError`` (``experiment.results``)
is an :class:`OSError`, handled where the folder and the resume command are known (a full disk:
exit 1 and the command that resumes the work; another failed write: exit 2 naming ``--out``);
``HumanMoveRequiredError`` (``policies.base``) is how a model asks a player for a move, not an
error shown to anyone.

The command line maps all of them in one place (``escalsim.cli.lifecycle.run_group``): it
prints the message and exits with the class's code. Everything else that escapes a command is a
bug (exit 1, "This is a bug"). :data:`EXIT_CODES` is the one list of exit codes and their meanings:
``escalsim --help`` prints it and the README quotes it.

This module imports nothing heavy (no mesa, numpy, pydantic): ``import escalsim.errors`` is
cheap, and the CLI can import it before knowing which command runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from escalsim.scenario.errors import Problem

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_CHECKS_FAILED = 3
EXIT_INTERRUPTED = 130
#: SIGTERM: handled like Ctrl-C, with the shell's code for a process ended by SIGTERM (128 + 15).
EXIT_TERMINATED = 143
#: No space left for a write (a full disk, a quota, a file-size limit): the environment failed
#: the command. Not bad input (2); the code of failures that are not the input's fault.
EXIT_NO_SPACE = 1
#: Every exit code and its meaning: the one list, which ``escalsim --help`` prints and the
#: README quotes word for word (tests/test_cli_messages.py checks both).
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_INTERNAL: "internal error (a bug), a worker process that died, or no space left on the "
    "disk (the message says which)",
    EXIT_BAD_INPUT: "bad input (a scenario, an option, a file; the end of input in `play`)",
    EXIT_CHECKS_FAILED: "a validation check failed (`escalsim verify`; the report is still "
    "written)",
    EXIT_INTERRUPTED: "interrupted (SIGINT, Ctrl-C)",
    EXIT_TERMINATED: "terminated (SIGTERM)",
}


def exit_codes_text() -> str:
    """The exit codes as one sentence, ``Exit codes: 0 success, ..., 143 terminated (SIGTERM).``."""
    return "Exit codes: " + ", ".join(f"{c} {m}" for c, m in EXIT_CODES.items()) + "."


class EscalsimError(Exception):
    """The base of every error escalsim reports to a user (not a bug).

    Attributes
    ----------
    exit_code : int
        The command line's exit code for this error (a key of :data:`EXIT_CODES`).
    """

    exit_code: ClassVar[int] = EXIT_BAD_INPUT

    @property
    def message(self) -> str:
        """What the command line prints (on stderr) before exiting with :attr:`exit_code`."""
        return str(self)


class ScenarioError(EscalsimError):
    """A scenario could not be read; carries every problem found, in file order.

    Also the base of the other errors reported as positioned problems (usage, limit, store):
    see the module's docstring.

    Parameters
    ----------
    problems : sequence of Problem
        All problems found in the file; at least one.
    """

    exit_code: ClassVar[int] = EXIT_BAD_INPUT

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def source(self) -> str:
        """The file the problems are in."""
        return self.problems[0].source if self.problems else "<string>"


class UsageError(ScenarioError):
    """A bad option or argument, or a bad combination of them.

    ``--vary``, ``--condition``, ``--engine``, ``--scheduler``, ...: each problem's field path
    starts with the option's name (``sweep: --vary.x: ...``).
    """

    exit_code: ClassVar[int] = EXIT_BAD_INPUT


class LimitError(ScenarioError):
    """A run or sweep does not fit the memory budget (or a documented limit): exit 2."""

    exit_code: ClassVar[int] = EXIT_BAD_INPUT


class StoreError(ScenarioError):
    """A store that cannot be used: damaged from outside, in use, or holding another request.

    Bad input, not a bug: the CLI exits 2 with the message, which names the file or folder.

    Parameters
    ----------
    message : str
        What is wrong, naming the file or folder.
    loc : str
        The option the folder came from (the problem's field path).
    source : str
        Where the problem is reported from.
    """

    exit_code: ClassVar[int] = EXIT_BAD_INPUT

    def __init__(self, message: str, loc: str = "--out", source: str = "store") -> None:
        from escalsim.scenario.errors import Problem

        super().__init__([Problem(0, 0, (loc,), message, source)])


class NumericsError(ScenarioError):
    """Numbers computed with other numerics than this process's would be mixed: exit 2.

    The same seed gives the same numbers bit for bit only on machines whose numpy evaluates the
    model's elementary functions alike (:func:`escalsim.experiment.provenance.numerics`). A
    resume on another kind of machine, or a Dask worker unlike the client, would mix the two.
    Raised in a worker too, so it survives pickling (:meth:`__reduce__`).

    Parameters
    ----------
    message : str
        What would be mixed, and with what numerics.
    loc : str
        The option the mismatch is reported on (``--resume``, ``--scheduler``).
    """

    exit_code: ClassVar[int] = EXIT_BAD_INPUT

    def __init__(self, message: str, loc: str) -> None:
        from escalsim.scenario.errors import Problem

        self._given = (message, loc)
        super().__init__([Problem(0, 0, (loc,), message, "numerics")])

    def __reduce__(self) -> tuple[type[NumericsError], tuple[str, str]]:
        """Rebuilt from its message and option (an exception's default pickles ``str(self)``)."""
        return (type(self), self._given)


class GameError(EscalsimError, ValueError):
    """A bad choice or setting in seminar mode (the message says what was expected)."""

    exit_code: ClassVar[int] = EXIT_BAD_INPUT


class LLMError(EscalsimError):
    """A language-model endpoint that cannot be used, or a replay that lacks an answer.

    The message names the actor, the endpoint (its base URL, never the key) and what to do. It
    never contains the API key: :mod:`escalsim.llm` builds every message itself and redacts the
    key from anything a server sent back.
    """

    exit_code: ClassVar[int] = EXIT_BAD_INPUT


class LLMBudgetError(LLMError):
    """The run's budget of language-model calls or tokens is spent.

    The run stops cleanly: the finished parts and every answer received are saved, so
    ``--resume`` with a larger budget (``--llm-max-calls``, ``--llm-max-tokens``) finishes it and
    pays only for the calls not yet made.
    """

    exit_code: ClassVar[int] = EXIT_BAD_INPUT


class ScenarioMigrationWarning(FutureWarning):
    """A scenario file of an older format version was migrated as it was read.

    Not an error: the file loads. The message is one notice listing what changed, beginning
    with the file's name; ``escalsim migrate FILE`` writes the migrated file. The command line
    prints it on stderr (:func:`escalsim.cli.lifecycle.run_group`); in Python it is a warning,
    shown once per file and call site by Python's default filter, and caught or silenced like any
    other (``warnings.simplefilter("ignore", ScenarioMigrationWarning)``). A
    :class:`FutureWarning` because it is meant for the user of a file, whom Python's default
    filter shows it to; version 1 is still read.
    """


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CHECKS_FAILED",
    "EXIT_CODES",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_NO_SPACE",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EscalsimError",
    "GameError",
    "LLMBudgetError",
    "LLMError",
    "LimitError",
    "NumericsError",
    "ScenarioError",
    "ScenarioMigrationWarning",
    "StoreError",
    "UsageError",
    "exit_codes_text",
]
