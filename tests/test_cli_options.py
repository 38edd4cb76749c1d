"""The options several commands take are declared once (escalsim.cli.options) and mean the same.

The tests walk every command of the ``escalsim`` group: an option with a shared name must come
from the one declaration, with the one type, and, where its meaning does not depend on the
command, the one help text.
"""

from __future__ import annotations

import click
import pytest

from conftest import cli_in_process as cli
from escalsim.cli import cli as group
from escalsim.cli.options import SEED, WORKERS, SharedOption

#: Options declared in escalsim.cli.options, by parameter name.
SHARED = {"seed", "out", "fmt", "workers", "scheduler", "max_memory", "force", "dry_run"}
SHARED |= {"quiet", "twin", "out_file"}
#: Options whose help is the same in every command (the others name the command's default or
#: what it writes).
SAME_HELP = {"workers", "scheduler", "force", "quiet", "twin"}
#: Options with a shared name that mean something else in their command, declared there: the
#: validation report and the classroom's saved games, not a folder of results. (One file of
#: text, the schema's or a migrated scenario's, is the shared ``out_file``: ``--out FILE``.)
OWN = {("verify", "out"), ("classroom", "out")}


def options() -> list[tuple[str, click.Option]]:
    """(command name, option) of every option of every command."""
    return [
        (name, param)
        for name, command in sorted(group.commands.items())
        for param in command.params
        if isinstance(param, click.Option)
    ]


def test_every_shared_option_comes_from_the_one_declaration():
    found = {}
    for command, option in options():
        if option.name in SHARED and (command, option.name) not in OWN:
            assert isinstance(option, SharedOption), (command, option.name)
            found.setdefault(option.name, set()).add(command)
        if isinstance(option, SharedOption):
            assert option.name in SHARED, (command, option.name)
    # Each is taken by every command it belongs to.
    assert found["seed"] == {
        "run",
        "sweep",
        "calibrate",
        "play",
        "classroom",
        "verify",
        "sensitivity",
    }
    assert found["out"] == {"run", "sweep", "calibrate", "sensitivity"}
    assert found["out_file"] == {"schema", "migrate"}
    assert found["workers"] == found["scheduler"] == {"run", "sweep", "sensitivity"}
    assert found["max_memory"] == found["force"] == {"run", "sweep"}
    assert found["dry_run"] == {"run", "sweep", "sensitivity"}
    assert found["quiet"] == {"run", "sweep", "calibrate", "sensitivity"}
    assert found["fmt"] == {"validate", "scenarios", "run", "show", "analyze", "calibrate"}


@pytest.mark.parametrize("name", sorted(SHARED))
def test_a_shared_option_means_the_same_in_every_command(name):
    taken = [(c, o) for c, o in options() if o.name == name and (c, o.name) not in OWN]
    assert len(taken) >= 2, name
    first = taken[0][1]
    for command, option in taken:
        assert option.opts == first.opts, command
        assert option.secondary_opts == first.secondary_opts, command
        assert option.is_flag == first.is_flag, command
        if name != "fmt":  # --format's choices are the command's
            assert option.type.to_info_dict() == first.type.to_info_dict(), command
        if name in SAME_HELP:
            assert option.help == first.help, command
    if name == "seed":
        assert all(o.type is SEED for _, o in taken)
        assert all(o.help.startswith("Root seed") for _, o in taken)
        assert {o.default for _, o in taken} == {None, 1}  # verify's report has seed 1
    if name == "workers":
        assert all(o.type is WORKERS for _, o in taken)


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        ("run", []),
        ("sweep", ["--vary", "channels.hotline.noise=0,0.5"]),
    ],
)
def test_a_shared_option_is_checked_alike_in_every_command(command, extra):
    for option, value in (("--max-memory", "lots"), ("--seed", "-1"), ("--workers", "0")):
        code, _, err = cli(command, "hotline-1963", *extra, "--dry-run", option, value)
        assert code == 2, (command, option, err)
        assert f"Invalid value for {option}" in err or f"Invalid value for '{option}'" in err
