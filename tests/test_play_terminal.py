"""``escalsim play`` driven through a pseudo-terminal, and its bad input (exit 2, positioned).

The games at the prompts run in a real process on a pseudo-terminal; the rest (a saved game
replayed, bad options, bad files) runs the same command line in this process.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect
import pytest

from conftest import TIMEOUT, run_cli_in_process

ESCALSIM = [sys.executable, "-m", "escalsim"]
# pexpect forks a pseudo-terminal from pytest's process, which may have threads (from other
# tests' libraries); the child execs at once, so Python's warning about fork and threads does
# not apply here.
pytestmark = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded:DeprecationWarning"
)


#: The child's own environment, plus PYTHONPATH when set: the escalsim under test (a checkout's
#: src/), not whichever one the virtual environment has installed.
_PYTHONPATH = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}


def _spawn(args: list[str], tmp_path: Path) -> pexpect.spawn:
    return pexpect.spawn(
        ESCALSIM[0],
        [*ESCALSIM[1:], *args],
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(50, 160),
        env={"COLUMNS": "160", "TERM": "xterm", "PATH": "/usr/bin:/bin", **_PYTHONPATH},
    )


def test_a_game_is_played_at_the_prompts_saved_and_replayed(tmp_path):
    saved = tmp_path / "game.yaml"
    child = _spawn(
        [
            "play",
            "hotline-1963",
            "--as",
            "USA",
            "--seed",
            "7",
            "--rounds",
            "4",
            "--save",
            "game.yaml",
        ],
        tmp_path,
    )
    # Between the two bargaining powers a message is a claim about one's cost of war: "1" says
    # nothing, "2" claims the lowest cost one may have (by number, as moves are chosen).
    moves = iter(["2", "step_d", "hold", "1"])
    claims = iter(["2", "none", "", "3"])
    transcript = []
    while True:
        index = child.expect(
            ["Your move", "Your claim", "Your offer", "is not one of", "Debrief", pexpect.EOF]
        )
        transcript.append(child.before + str(child.after))
        if index == 0:
            child.sendline(next(moves, ""))
        elif index == 1:
            child.sendline(next(claims, ""))
        elif index == 2:
            child.sendline("")  # keep: no offer
        elif index == 3:
            pytest.fail("an answer was refused: " + "".join(transcript[-2:]))
        elif index == 4:
            break
        else:
            pytest.fail("the game ended without a debrief:\n" + "".join(transcript))
    child.expect(pexpect.EOF)
    rest = child.before
    child.close()
    assert child.exitstatus == 0
    assert "Round 1 of 4" in "".join(transcript)
    assert "The bargain" in "".join(transcript)
    assert "channels the other way" in rest
    assert "Everything that happened" in rest
    assert saved.exists()
    text = saved.read_text(encoding="utf-8")
    assert "moves:" in text
    assert "seed: 7" in text
    assert "rounds: 4" in text
    # The saved game replays without a prompt to the same debrief.
    first = run_cli_in_process(
        "play", "hotline-1963", "--moves", str(saved), env={"COLUMNS": "160"}
    )
    assert first.returncode == 0, first.stderr
    assert "Your move" not in first.stdout
    played = _feed(rest)
    assert played
    assert played == _feed(first.stdout)


def _feed(text: str) -> list[str]:
    """The "Everything that happened" lines, without colours, line ends or the save note."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text).replace("\r\n", "\n")
    tail = plain[plain.index("Everything that happened") :].splitlines()[1:]
    return [line.strip() for line in tail if line.strip() and not line.startswith("Saved")]


def test_an_offer_is_made_and_the_other_sides_accepted_at_the_prompts(tmp_path):
    """A share posts a standing offer (a wrong one is asked again), and ``accept`` appears
    among the moves once the other side's offer stands, and settles on it. The talks open in
    round 11 (Khrushchev's first letter, 26 October), so the offer is made then; the Soviet
    Union's bargaining policy opens when they do, so its offer stands from round 12."""
    saved = tmp_path / "game.yaml"
    child = _spawn(
        [
            "play",
            "hotline-1963",
            "--as",
            "USA",
            "--seed",
            "7",
            "--rounds",
            "14",
            "--save",
            "game.yaml",
        ],
        tmp_path,
    )
    talks = 11  # the round the talks open (event first_letter)
    offers = ["1.5", "0.4"]
    transcript = []
    accepted = False
    playing = 0  # the round being played, from its heading
    while True:
        index = child.expect(
            [
                r"Your move \(([^)]*)\)",
                "Your claim",
                "Your offer",
                "is not one of",
                "Debrief",
                pexpect.EOF,
            ]
        )
        transcript.append(child.before + str(child.after))
        headings = re.findall(r"Round (\d+) of", re.sub(r"\x1b\[[0-9;]*m", "", transcript[-1]))
        playing = int(headings[-1]) if headings else playing
        if index == 0:
            menu = child.match.group(1)
            if "accept" in menu and not offers:
                child.sendline("accept")  # the offers are done: take the other side's
                accepted = True
            else:
                child.sendline("hold")
        elif index == 1:
            child.sendline("none")
        elif index == 2:
            child.sendline(offers.pop(0) if offers and playing >= talks else "keep")
        elif index == 3:
            assert "'1.5' is not one of" in transcript[-1]
        elif index == 4:
            break
        else:
            pytest.fail("the game ended without a debrief:\n" + "".join(transcript))
    child.expect(pexpect.EOF)
    rest = child.before
    child.close()
    assert child.exitstatus == 0
    text = "".join(transcript)
    assert not offers  # both answers were given, in the round the talks opened
    assert "Your standing offer to Soviet Union: 40% of the stakes." in text
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert "(keep / withdraw / a share from 0 to 1" in plain
    assert "or a share from 0 to 1" in plain  # the refusal of 1.5 says what is expected
    written = saved.read_text(encoding="utf-8")
    assert "offer: 0.4" in written
    assert accepted
    assert "move: accept" in written
    assert "You accepted Soviet Union's offer in round 12" in re.sub(r"\s+", " ", rest)
    assert "Offers: the share of the stakes each side offered the other" in rest


def test_a_wrong_answer_is_asked_again(tmp_path):
    child = _spawn(["play", "hotline-1963", "--as", "SUN", "--rounds", "3"], tmp_path)
    child.expect("Your move")
    child.sendline("escalate")
    child.expect("is not one of")
    child.expect("Your move")
    child.sendline("hold")
    child.terminate(force=True)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["play", "hotline-1963", "--as", "CUB"], "expected one of USA, SUN"),
        (["play", "hotline-1963"], "--as ACTOR"),
        (["play", "hotline-1963", "--as", "USA", "--condition", "nope"], "no condition 'nope'"),
        (["play", "no-such-scenario", "--as", "USA"], "no-such-scenario"),
        (["play", "hotline-1963", "--as", "USA", "--rounds", "0"], "--rounds"),
    ],
)
def test_bad_options_exit_2_with_a_message(args, says):
    done = run_cli_in_process(*args)  # stdin empty, as /dev/null
    assert done.returncode == 2, done.stderr
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def _play_file(path: Path):
    return run_cli_in_process("play", "hotline-1963", "--moves", str(path))


def test_a_bad_moves_file_exits_2_at_its_line_and_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("actor: USA\nmoves:\n  - hold\n  - escalate\n", encoding="utf-8")
    done = _play_file(path)
    assert done.returncode == 2
    assert f"{path}:4:5: moves[1]: 'escalate' is not a move" in done.stderr
    other = tmp_path / "other.yaml"
    other.write_text("scenario: geneva-2022\nactor: USA\nmoves: [hold]\n", encoding="utf-8")
    done = _play_file(other)
    assert done.returncode == 2
    assert f"{other}:1:11: scenario: this game was played on 'geneva-2022'" in done.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["app", "no-such-scenario"], "no-such-scenario"),
        (["app", "hotline-1963", "--port", "70000"], "--port"),
    ],
)
def test_the_app_refuses_bad_input_before_serving(args, says, monkeypatch):
    def serve(*_args):  # the command replaces its process with the server: not this one
        raise AssertionError("the app was started")

    monkeypatch.setattr(os, "execve", serve)
    done = run_cli_in_process(*args)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr
    assert "Traceback" not in done.stderr
