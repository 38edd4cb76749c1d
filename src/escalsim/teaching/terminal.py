"""Seminar mode in a terminal (``escalsim play SCENARIO --as ACTOR``), with rich prompts.

The same :class:`~escalsim.teaching.game.Game` as the browser app: each round the player reads
what their state knows and the bargain (the other side's standing offer as read, their own),
chooses a move (``accept`` takes the other side's offer), a message where a private channel is
open, and what to do with their standing offer (keep, withdraw, or a share of the stakes); at
the end, the debrief. Moves from a moves file are played first, without prompts.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from escalsim.model.constants import MESSAGE_CHOICES
from escalsim.teaching.game import (
    MESSAGE_HELP,
    MOVE_HELP,
    OFFER_CHOICES,
    OFFER_HELP,
    Debrief,
    Game,
)
from escalsim.teaching.replay import dump_moves

__all__ = ["debrief_table", "offers_table", "play"]


def _ask(console: Console, prompt: str, choices: tuple[str, ...], default: str) -> str:
    """Ask until the answer is one of ``choices`` (by name, unique prefix, or number)."""
    while True:
        shown = " / ".join(f"[bold]{n}[/]:{c}" for n, c in enumerate(choices, start=1))
        answer = console.input(f"{prompt} ({shown}) [dim]\\[{default}][/] ").strip().lower()
        if not answer:
            return default
        if answer.isdigit() and 1 <= int(answer) <= len(choices):
            return choices[int(answer) - 1]
        matches = [c for c in choices if c.startswith(answer)]
        if len(matches) == 1:
            return matches[0]
        console.print(f"[red]'{answer}' is not one of {', '.join(choices)}[/]")


def _ask_offer(console: Console) -> str | float:
    """Ask what to do with the standing offer until the answer is a choice or a share.

    ``keep`` or ``withdraw`` (by name or unique prefix; empty: keep), or a share of the stakes
    from 0 to 1 (``0.4``, ``.4`` or ``40%``). Numbers here are shares, not menu numbers.
    """
    while True:
        answer = (
            console.input(
                "Your offer ([bold]keep[/] / [bold]withdraw[/] / a share from 0 to 1, e.g. 0.4) "
                "[dim]\\[keep][/] "
            )
            .strip()
            .lower()
        )
        if not answer:
            return "keep"
        matches = [c for c in OFFER_CHOICES if c.startswith(answer)]
        if len(matches) == 1:
            return matches[0]
        try:
            share = float(answer[:-1]) / 100 if answer.endswith("%") else float(answer)
        except ValueError:
            share = math.nan
        if 0.0 <= share <= 1.0:
            return share
        console.print(
            f"[red]'{answer}' is not one of {', '.join(OFFER_CHOICES)} or a share from 0 to 1[/]"
        )


def _ask_claim(console: Console, game: Game) -> float | None:
    """Where the powers exchange claims: the cost of war to claim (None: say nothing)."""
    b = game.bargain()
    costs = tuple(f"{c:.3g}" for c in b.claimable)
    console.print(
        "  Claim a cost of war (times the stakes, per round) to "
        f"{game.narrator.actor(game.adversary)} over your private channel, honest or not: "
        f"yours is [bold]{b.own_cost:.3g}[/]. A low cost says you will not back down, a high "
        "one that you will settle; [bold]none[/]: say nothing."
    )
    answer = _ask(console, "Your claim", ("none", *costs), "none")
    return None if answer == "none" else b.claimable[costs.index(answer)]


def _bargain_panel(game: Game) -> Panel:
    """The bargain as the player knows it: both standing offers, and what can end the crisis."""
    lines = game.bargain_lines(lambda text: f"[bold]{text}[/]")
    return Panel("\n".join(lines), title="The bargain", expand=False)


def offers_table(debrief: Debrief, game: Game) -> Table:
    """Every offer made in the game, as a rich table."""
    n = game.narrator
    table = Table(title="Offers: the share of the stakes each side offered the other")
    for col in ("round", "by", "offered", "read as", "channel"):
        table.add_column(col)
    for row in debrief.offers.to_dict("records"):
        who = ("you: " if row["actor"] == game.actor else "") + n.actor(row["actor"])
        read = f"{row['read']:.3f}"
        table.add_row(
            str(row["round"]),
            who,
            f"{row['offered']:.3f}",
            read if row["read"] == row["offered"] else f"[yellow]{read}[/]",
            str(row["channel"]),
        )
    return table


def _situation_panel(game: Game) -> Panel:
    s = game.situation()
    n = game.narrator
    rungs = s.rung_names
    lines = [
        f"You are [bold]{n.actor(s.actor)}[/], facing {n.actor(s.adversary)}.",
        f"Your posture: [bold]{rungs[s.own_rung]}[/] (rung {s.own_rung} of {len(rungs) - 1}).",
        f"You see {n.actor(s.adversary)} at [bold]{rungs[s.perceived_rung]}[/]"
        f" (its last move, as you saw it: {s.perceived_move.replace('_', ' ')}).",
        f"You believe its cost of war is {s.expected_cost:.2f} of the stakes on average, and "
        f"that it is an honest type with probability {s.trust:.2f} (your trust).",
    ]
    open_channels = [cid for cid, _kind, is_open in s.private_channels if is_open]
    lines.append(
        "Private channels open: " + (", ".join(open_channels) if open_channels else "none")
    )
    if s.news:
        lines.append("")
        lines.append("[bold]News[/]")
        lines.extend(f"  • {item}" for item in s.news)
    return Panel("\n".join(lines), title=f"Round {s.round} of {s.horizon}", expand=False)


def debrief_table(debrief: Debrief, game: Game) -> Table:
    """The round-by-round debrief as a rich table."""
    n = game.narrator
    rungs = [r.name for r in game.spec.ladder.rungs]
    table = Table(title="Debrief: what each side intended, did, signalled and perceived")
    for col in ("round", "actor", "intended", "made", "rung", "seen by other", "sent", "saw"):
        table.add_column(col)
    table.add_column("!", justify="center")
    for row in debrief.records():
        flags = ("M" if row["miscalculation"] else "") + ("P" if row["misperception"] else "")
        seen = rungs[row["perceived_by_other"]]
        if row["perceived_by_other"] != row["rung_before"]:
            seen = f"[red]{seen}[/]"
        saw = rungs[row["perceived_other"]]
        chosen = row["message_chosen"]
        table.add_row(
            str(row["round"]),
            ("you: " if row["player"] else "") + n.actor(row["actor"]),
            row["intended"],
            row["made"] if row["made"] == row["intended"] else f"[yellow]{row['made']}[/]",
            f"{rungs[row['rung_before']]}→{rungs[row['rung_after']]}",
            seen,
            row["signalled"] or ("(chose: " + chosen + ")" if chosen else ""),
            saw,
            flags,
        )
    return table


def play(
    game: Game,
    console: Console,
    *,
    moves: Iterator[tuple[Any, ...]] | None = None,
    save: Path | None = None,
) -> Debrief:
    """Play ``game`` in the terminal; return its debrief.

    Parameters
    ----------
    game : Game
        A new game.
    console : rich.console.Console
        Where to print and read.
    moves : iterator of (move, message) or (move, message, offer, claim), optional
        Moves to play first without asking (a replayed game); prompts take over when they run
        out. ``offer``: ``'keep'`` (the default), ``'withdraw'`` or a share; ``claim``: a cost
        of war, or None (as the message implies).
    save : Path, optional
        Write the game as a moves file here at the end (and after every round, so an
        interrupted game is not lost).
    """
    n = game.narrator
    console.print(
        Panel(
            f"[bold]{game.spec.name}[/]\n{game.spec.description}\n\n"
            f"You play [bold]{n.actor(game.actor)}[/]. Each round, choose a move; where a "
            "private channel is open, also a message, which goes out with your move; and what "
            "to do with your standing offer, which goes out with the next round's talks.\n"
            "The ladder: " + " → ".join(r.name for r in game.spec.ladder.rungs),
            title="escalsim seminar",
        )
    )
    for name, meaning in MOVE_HELP.items():
        console.print(f"  [bold]{name}[/]: {meaning}")
    console.print("Your standing offer, each round:")
    for name, meaning in OFFER_HELP.items():
        console.print(f"  [bold]{name}[/]: {meaning}")
    while not game.over:
        console.print(_situation_panel(game))
        console.print(_bargain_panel(game))
        scripted = next(moves, None) if moves is not None else None
        s = game.situation()
        offer: str | float = "keep"
        claim: float | None = None
        if scripted is not None:
            move, message, *rest = scripted
            offer = rest[0] if rest else "keep"
            claim = rest[1] if len(rest) > 1 else None
            if not s.can_message:
                message, claim = "none", None
            said = f"claim {claim}" if claim is not None else f"message {message}"
            console.print(f"Replayed: [bold]{move}[/], {said}, offer {offer}")
        else:
            move = _ask(console, "Your move", game.moves_available(), "hold")
            message = "none"
            bargain = game.bargain()
            if s.can_message and bargain.claims:
                claim = _ask_claim(console, game)
            elif s.can_message:
                console.print(
                    "  " + "; ".join(f"[bold]{k}[/]: {v}" for k, v in MESSAGE_HELP.items())
                )
                message = _ask(console, "Your message", MESSAGE_CHOICES, "none")
            if move not in ("accept", "concede"):  # those end the crisis: nothing to offer
                offer = _ask_offer(console)
        happened = game.play(move, message, offer=offer, claim=claim)
        me = [
            text
            for text in happened
            if text.startswith(n.actor(game.actor)) or text.startswith(("War", "The crisis"))
        ]
        for text in me:
            console.print(f"  → {text}")
        if save is not None:
            save.write_text(dump_moves(game.replay_file()), encoding="utf-8")
    debrief = game.debrief()
    console.rule("Debrief")
    console.print(debrief_table(debrief, game))
    console.print(
        "M: a miscalculation (with the true picture it would have chosen otherwise); "
        "P: it misperceived the other side; red: you were seen at the wrong rung; sent: the "
        "messages that went out this round (yours carry the message chosen with your move of "
        "the round before)."
    )
    for line in debrief.summary:
        console.print(f"• {line}")
    if len(debrief.offers):
        console.print(offers_table(debrief, game))
    rungs = [r.name for r in game.spec.ladder.rungs]
    replay = debrief.counterfactual
    played = debrief.rounds
    table = Table(title="The same crisis with the channels the other way (same seed, your moves)")
    table.add_column("round")
    for a in (game.actor, game.adversary):
        table.add_column(f"{a} played")
        table.add_column(f"{a} replay")
    last = int(max(replay["round"].max(), played["round"].max()))
    for t in range(1, last + 1):
        cells = [str(t)]
        for a in (game.actor, game.adversary):
            p_row = played[(played["round"] == t) & (played["actor"] == a)]
            r_row = replay[(replay["round"] == t) & (replay["actor"] == a)]
            cells.append(rungs[int(p_row["rung_after"].iloc[0])] if len(p_row) else "")
            cells.append(rungs[int(r_row["rung"].iloc[0])] if len(r_row) else "")
        table.add_row(*cells)
    console.print(table)
    console.rule("Everything that happened")
    for t, text in game.feed:
        console.print(f"[dim]{t:>3}[/] {text}")
    if save is not None:
        console.print(f"Saved the game to {save}; replay it with --moves {save}")
    return debrief
