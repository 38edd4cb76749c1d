"""The teaching app: an explorer of the mesa model and a seminar mode (``escalsim app``).

Two pages, served by Solara (``solara run escalsim.teaching.app``; ``escalsim app`` does it):

``/`` -- the explorer (:func:`Explorer`), built on Solara around the mesa model
(:class:`AppModel`). The sidebar runs the crisis (Step, Play, Reset, the round and what is in
hand: :func:`StepControls`), holds its settings, each showing its value (every private channel
open or closed at the start, noise and accidents, each power's policy, the seed; they apply on
Reset: :func:`SettingsPanel`) and the upload. Two tabs: **Crisis** (the channel network, a live
switch per channel, the event feed in plain language beside them, then the ladder and true
against perceived postures) and **Many runs** (an ensemble of a few hundred replications on the
batch engine against the scenario's conditions, with CIs).

A Step is queued, never lost (:class:`ExplorerSession`): a click only counts it, and a worker
thread runs the queued Steps in order and draws the page's view once the queue is empty
(:class:`ExplorerView`, a snapshot: the page never reads a model being stepped). Each figure is
redrawn only when what it shows has changed (:class:`FigureCache`).

``/seminar`` -- seminar mode: a student takes one power and plays it round by round
(:class:`~escalsim.teaching.game.Game`): a move, a message where a private channel is open, and
the bargain (:func:`BargainCard`: the other side's standing offer as read, with its channel;
:func:`OfferControls`: keep, withdraw or offer a share; the move ``accept`` settles on the other
side's offer), then reads the debrief, with any settlement and its terms and every offer.

Every browser tab is its own Solara session with its own model or game: several students can
play at once, and nothing one does reaches another. The scenario comes from the environment
variable ``ESCALSIM_APP_SCENARIO`` (a shipped name or a file, already validated by the command).
A student may also drop a scenario file on either page, or choose it in a file picker
(:func:`UploadPanel`): its bytes (at most
:data:`MAX_UPLOAD_BYTES`) are validated in memory by the same loader as a file
(:func:`read_upload`), and the upload replaces the scenario in that student's session only.
Nothing else from the browser reaches the file system: the app reads the served scenario once and
never writes a file.

An exception in a callback (a button, a switch, an upload) is caught by the page's error boundary
(:func:`ErrorBoundary`): that student sees an error card and can start the page again; the other
sessions and the server are not affected. For the browser tests only, the environment variable
``ESCALSIM_APP_TEST_HOOKS=1`` lets a page opened as ``/?fail=step`` raise an error on its next
step, and one opened as ``/?slow=step`` wait :data:`SLOW_STEP_SECONDS` before each step (so that
a test can click while Steps are busy) (:data:`TEST_HOOKS_ENV`); without the variable the
queries are ignored.
"""

from __future__ import annotations

import html
import io
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import matplotlib as mpl
import numpy as np
import pandas as pd
import solara
import solara.lab
from matplotlib.figure import Figure
from pydantic import BaseModel
from solara.components.file_drop import FileDropZone

from escalsim.agents.model import EscalationModel
from escalsim.scenario import Scenario, ScenarioError, load_scenario
from escalsim.scenario.errors import Problem
from escalsim.scenario.load import load_text, with_settings
from escalsim.scenario.yamlio import decode, parse_yaml
from escalsim.teaching.explore import controls, ensemble, settings_from, variants_for
from escalsim.teaching.game import MESSAGE_HELP, MOVE_HELP, OFFER_HELP, Game, GameError
from escalsim.teaching.narrate import Narrator
from escalsim.viz.figures import LiveNetwork, channel_network

DEFAULT_SCENARIO = "hotline-1963"
#: The largest scenario upload the app accepts, in bytes (the largest shipped scenario is ~20 kB).
MAX_UPLOAD_BYTES = 1_000_000
#: Size limits for an uploaded scenario, above every shipped one (the schema allows far more:
#: 10,000 rounds, 200 actors, 2,000 channels): one student's upload must not make the shared
#: server draw a network of thousands of channels or run ensembles of huge games.
UPLOAD_LIMITS: dict[tuple[str, ...], tuple[int, str]] = {
    ("run", "rounds"): (2000, "rounds"),
    ("actors",): (20, "actors"),
    ("channels",): (60, "channels"),
    ("conditions",): (12, "conditions"),
}
#: Environment variable that enables the test-only failure hook (``/?fail=step``).
TEST_HOOKS_ENV = "ESCALSIM_APP_TEST_HOOKS"

_log = logging.getLogger("escalsim.app")


def scenario_name() -> str:
    """The scenario the app serves (``ESCALSIM_APP_SCENARIO``, else hotline-1963)."""
    return os.environ.get("ESCALSIM_APP_SCENARIO") or DEFAULT_SCENARIO


_BASE: dict[str, Scenario] = {}


def base_scenario() -> Scenario:
    """The served scenario, loaded once per server process (read-only afterwards)."""
    name = scenario_name()
    if name not in _BASE:
        _BASE[name] = display_safe(load_scenario(name))
    return _BASE[name]


# -- scenario text shown in the page ----------------------------------------------------------
_DISPLAY_FIELDS = {"name", "label", "description", "citation", "summary"}


def safe_text(text: str) -> str:
    """Scenario text made inert for the page: no HTML, no Vue template, no Markdown link.

    Solara's Markdown passes raw HTML through and puts the result in a Vue template, so a
    scenario's name or description could otherwise carry markup or a ``{{ ... }}`` expression
    into every student's page. ``<``, ``>`` and ``&`` become entities, square brackets are
    escaped for Markdown, and a zero-width space splits every brace so that no ``{{`` remains.
    Identifiers (letters, digits, ``_`` and ``-``) are unchanged.
    """
    out = html.escape(text, quote=False)
    out = out.replace("[", "\\[").replace("]", "\\]")
    return out.replace("{", "{\u200b").replace("}", "\u200b}")


def display_safe(spec: Scenario) -> Scenario:
    """Return ``spec`` with its free text (names, labels, descriptions) made :func:`safe_text`.

    Ids, paths and numbers are untouched, so the model runs identically.
    """

    def clean(node: Any) -> Any:
        if isinstance(node, BaseModel):
            updates = {}
            for key in type(node).model_fields:
                value = getattr(node, key)
                if key in _DISPLAY_FIELDS and isinstance(value, str):
                    if safe_text(value) != value:
                        updates[key] = safe_text(value)
                elif isinstance(value, (list, dict, BaseModel)):
                    new = clean(value)
                    if new is not value:
                        updates[key] = new
            return node.model_copy(update=updates) if updates else node
        if isinstance(node, list):
            new = [clean(v) for v in node]
            return new if any(a is not b for a, b in zip(new, node, strict=True)) else node
        if isinstance(node, dict):
            new = {k: clean(v) for k, v in node.items()}
            return new if any(new[k] is not node[k] for k in node) else node
        return node

    return clean(spec)


# -- uploads ----------------------------------------------------------------------------------
class UploadInfo(TypedDict):
    """What :func:`solara.FileDrop` hands over (``solara.components.file_drop.FileInfo``)."""

    name: str
    size: int
    file_obj: Any


def upload_name(name: str) -> str:
    """Return the uploaded file's name for messages, or ``upload.yaml``.

    Its last component only, reduced to letters, digits, ``.``, ``_`` and ``-`` (at most 60).
    """
    base = re.split(r"[\\/]", str(name))[-1]
    clean = re.sub(r"[^A-Za-z0-9._-]", "_", base)[:60].strip("._")
    return clean or "upload.yaml"


def validate_upload(raw: bytes, name: str = "upload.yaml") -> Scenario:
    """Validate uploaded bytes exactly as a scenario file is validated.

    The same steps as :func:`escalsim.scenario.load_scenario` after it has read a file: UTF-8
    decoding with a positioned error (:func:`escalsim.scenario.yamlio.decode`), then
    :func:`escalsim.scenario.load.load_text` (safe YAML 1.2, schema, cross-field checks,
    conditions). Nothing is written to disk.

    Parameters
    ----------
    raw : bytes
        The upload.
    name : str
        Name used in messages (``upload.yaml:LINE:COL: field: ...``).

    Returns
    -------
    Scenario
        The validated scenario, its free text made safe for the page (:func:`display_safe`).

    Raises
    ------
    ScenarioError
        With every problem, each at its line and column; also when ``raw`` is larger than
        :data:`MAX_UPLOAD_BYTES`.
    """
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ScenarioError([_too_large(name)])
    text = decode(raw, name)
    spec = load_text(text, name)
    _check_upload_limits(spec, text, name)
    _refuse_llm_actors(spec, text, name)
    return display_safe(spec)


def _refuse_llm_actors(spec: Scenario, text: str, name: str) -> None:
    """Refuse an upload with a language-model actor, at its policy's line and column.

    A hosted app must not send requests (and perhaps keys) to a server an uploader chose.
    """
    from escalsim.llm.run import llm_actors

    ids = llm_actors(spec)
    if not ids:
        return
    _data, pos = parse_yaml(text, name)
    index = {a.id: i for i, a in enumerate(spec.actors)}
    problems = []
    for actor in ids:
        loc: tuple[str | int, ...] = ("actors", index.get(actor, 0), "policy")
        line, col = pos.key(loc)
        problems.append(
            Problem(
                line,
                col,
                loc,
                f"actor {actor} is played by a language model (policy llm): the app does not "
                "call language models on an upload's say; run the scenario with 'escalsim run'",
                name,
            )
        )
    raise ScenarioError(problems)


def _check_upload_limits(spec: Scenario, text: str, name: str) -> None:
    """Refuse, at the field's line and column, an upload above :data:`UPLOAD_LIMITS`."""
    sizes = {
        ("run", "rounds"): int(spec.run.rounds),
        ("actors",): len(spec.actors),
        ("channels",): len(spec.channels),
        ("conditions",): len(spec.conditions or {}),
    }
    over = [(loc, n) for loc, n in sizes.items() if n > UPLOAD_LIMITS[loc][0]]
    if not over:
        return
    _data, pos = parse_yaml(text, name)  # the text is valid: this only finds the positions
    problems = []
    for loc, n in over:
        limit, what = UPLOAD_LIMITS[loc]
        line, col = pos.key(loc)
        problems.append(
            Problem(
                line,
                col,
                loc,
                f"{n} {what}: the app takes uploads of at most {limit} {what} (a shared "
                "classroom server); run larger scenarios with 'escalsim run'",
                name,
            )
        )
    raise ScenarioError(problems)


def read_upload(info: UploadInfo) -> Scenario:
    """Read and validate a dropped file, transferring at most :data:`MAX_UPLOAD_BYTES` + 1 bytes.

    The size the browser announces is checked first (a larger file is refused before any byte
    is sent), then at most one byte more than the cap is read, in case the announcement lied.

    Raises
    ------
    ScenarioError
        As :func:`validate_upload`.
    """
    name = upload_name(info.get("name", ""))
    if int(info.get("size") or 0) > MAX_UPLOAD_BYTES:
        raise ScenarioError([_too_large(name)])
    raw = info["file_obj"].read(MAX_UPLOAD_BYTES + 1)
    return validate_upload(bytes(raw or b""), name)


def _too_large(name: str) -> Problem:
    return Problem(
        1,
        1,
        (),
        f"the upload is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB; a scenario is a few kB "
        "of YAML",
        name,
    )


#: The scenario a student uploaded, per session (a Solara reactive is per browser page):
#: (file name, scenario), or None for the served scenario.
uploaded: solara.Reactive[tuple[str, Scenario] | None] = solara.reactive(None)


def current_scenario() -> Scenario:
    """Return the session's scenario: its upload, else the served one."""
    up = uploaded.value
    return up[1] if up is not None else base_scenario()


def test_hooks_enabled() -> bool:
    """Whether the test-only failure hook is on (``ESCALSIM_APP_TEST_HOOKS=1``)."""
    return os.environ.get(TEST_HOOKS_ENV) == "1"


class AppModel(EscalationModel):
    """The escalation model built from the app's controls, with a plain-language feed.

    Parameters
    ----------
    spec : Scenario, optional
        The scenario (the served one by default; a session's upload).
    scenario : Scenario or str, optional
        The same, for callers that name it so: a :class:`Scenario`, or the served scenario's
        name. No other name or path is accepted (the app opens no file on a browser's behalf);
        mesa's own scenario object, which SolaraViz passes on Reset, is ignored.
    seed : int
        Root seed.
    **values
        The controls of :func:`escalsim.teaching.explore.controls` (channel checkboxes, noise and
        accident sliders, policies).
    """

    #: Set by the test-only hook (``/?fail=step`` with ``ESCALSIM_APP_TEST_HOOKS=1``).
    fail_on_step = False
    #: The scenario of a session's model class (:func:`session_model`); None: the served one.
    session_spec: Scenario | None = None

    def __init__(
        self,
        *,
        spec: Scenario | None = None,
        scenario: Scenario | str | None = None,
        seed: int = 0,
        **values: Any,
    ) -> None:
        if spec is None and isinstance(scenario, Scenario):
            spec = scenario
        elif spec is None and isinstance(scenario, str) and scenario != scenario_name():
            raise ValueError(
                f"the app serves {scenario_name()!r} or an uploaded scenario, not {scenario!r}"
            )
        base = spec if spec is not None else (type(self).session_spec or base_scenario())
        known = controls(base)
        stale = sorted(set(values) - set(known))
        if stale:  # SolaraViz may hand back the controls of the session's previous scenario
            _log.info("ignoring controls of another scenario: %s", ", ".join(stale))
        settings = settings_from(base, {k: v for k, v in values.items() if k in known})
        spec = with_settings(base, settings) if settings else base
        super().__init__(scenario=spec, seed=int(seed))
        self.base_spec = base
        self.settings = settings
        self.narrator = Narrator(base)
        self.feed: list[tuple[int, str]] = []
        self._narrated = 0
        self._narrate()

    def _narrate(self) -> None:
        log = self.event_log()
        for row in log[self._narrated :]:
            self.feed.append((int(row["round"]), self.narrator.sentence(row)))
        self._narrated = len(log)

    def step(self) -> None:
        """One round, then its events in plain language."""
        if self.fail_on_step and test_hooks_enabled():
            raise RuntimeError("test hook: a forced failure in this page's step")
        super().step()
        self._narrate()

    def set_channel(self, channel_id: str, is_open: bool) -> None:
        """Open or close a channel from the next round on (the instructor's live switch)."""
        c = self.params.channel_ids.index(channel_id)
        if bool(self.channel_open[c]) == is_open:
            return
        self.channel_open[c] = is_open
        if not is_open:
            self.channel_up[c] = False
        self._log(
            self.round,
            "channel_open" if is_open else "channel_closed",
            channel=channel_id,
            cause="instructor",
        )
        self._narrate()


def session_model(spec: Scenario, *, fail_on_step: bool = False) -> type[AppModel]:
    """An :class:`AppModel` subclass bound to one session's scenario.

    The explorer's Reset rebuilds the model as ``cls(**settings)`` (as mesa's SolaraViz does, as
    ``type(model)(**parameters)``); binding the scenario to the class keeps a session's upload
    through Reset whatever parameters are passed.
    """
    return type(
        "SessionModel",
        (AppModel,),
        {"session_spec": spec, "fail_on_step": fail_on_step, "__module__": __name__},
    )


# -- drawings ---------------------------------------------------------------------------------
def network_figure(model: EscalationModel) -> Figure:
    """The channel network now (:func:`escalsim.viz.figures.channel_network`, live)."""
    p = model.params
    live = LiveNetwork(
        round=model.round,
        rungs={a.actor_id: a.rung for a in model.actor_list},
        n_rungs=p.n_rungs,
        open={cid: bool(model.channel_open[c]) for c, cid in enumerate(p.channel_ids)},
        up={cid: bool(model.channel_up[c]) for c, cid in enumerate(p.channel_ids)},
    )
    return channel_network(model.spec, live=live, width=8.0)


def ladder_figure(model: EscalationModel) -> Figure:
    """The escalation ladder with each actor's true position."""
    p = model.params
    names = [r.name for r in model.spec.ladder.rungs]
    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.add_subplot()
    cmap = mpl.colormaps["RdYlGn_r"]
    for k in range(p.n_rungs):
        ax.axhspan(k - 0.5, k + 0.5, color=cmap(k / max(p.n_rungs - 1, 1)), alpha=0.15)
    if p.war_rung is not None:
        ax.axhline(p.war_rung - 0.5, color="red", lw=1.5, ls="--")
    for agent in model.actor_list:
        ax.scatter(
            [agent.index],
            [agent.rung],
            s=260 if agent.role == "power" else 120,
            color="black" if agent.role == "power" else "grey",
            zorder=3,
        )
    if p.nuclear_rung is not None:
        ax.axhline(p.nuclear_rung - 0.5, color="purple", lw=1.2, ls=":")
    for power, side, rung in pair_wars_shown(model):
        # A pair's war (docs/pair-wars.md §5): the power's intensity in it, over the third party
        # it fights, joined to the power.
        ax.plot([power, side], [rung, rung], color="red", lw=1, alpha=0.6, zorder=2)
        ax.scatter([side], [rung], marker="X", s=140, color="red", zorder=4)
        ax.annotate(
            f"at war with {p.ids[power]}",
            (side, rung),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontsize=7,
            color="red",
        )
    ax.set_xticks(range(p.n_actors), [a.actor_id for a in model.actor_list], fontsize=8)
    ax.set_yticks(range(p.n_rungs), names, fontsize=8)
    ax.set_ylim(-0.5, p.n_rungs - 0.5)
    ax.set_title("The ladder: where each actor stands", fontsize=10)
    return fig


def pair_wars_shown(model: EscalationModel) -> list[tuple[int, int, int]]:
    """The listed pairs at war in the shown replication: (power, other side, its intensity)."""
    state, row = model.state, model.row
    sides = state.params.pair_sides
    return [
        (int(sides[k, 0]), int(sides[k, 1]), int(state.pair_intensity[row, k]))
        for k in range(len(sides))
        if bool(state.pair_war[row, k])
    ]


def postures_figure(model: EscalationModel) -> Figure:
    """Each power's true rung against the rung at which the other power saw it."""
    p = model.params
    names = [r.name for r in model.spec.ladder.rungs]
    ts = model.timeseries
    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.add_subplot()
    for i, colour in ((p.power_a, "#1f77b4"), (p.power_b, "#d62728")):
        me, other = p.ids[i], p.ids[p.power_b if i == p.power_a else p.power_a]
        mine = ts[ts["actor"] == me]
        seen = ts[(ts["actor"] == other) & (ts["round"] > 0)]
        ax.step(mine["round"], mine["rung"], where="post", color=colour, label=f"{me}: true")
        # The timeseries' rung is the posture after round t's moves; its perceived_adversary is
        # what was seen at the start of round t, i.e. of the posture after round t - 1 (plus an
        # incident). Shifted by one round, the two lines compare the same posture.
        ax.step(
            seen["round"] - 1,
            seen["perceived_adversary"],
            where="post",
            color=colour,
            ls="--",
            label=f"{me} as {other} saw it (next round)",
        )
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax.set_yticks(range(p.n_rungs), names, fontsize=8)
    ax.set_xlabel("round")
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("True against perceived postures", fontsize=10)
    return fig


def integer_ticks(top: int, most: int = 10) -> list[int]:
    """Integer ticks 0..top, at most ``most`` + 1 of them, on a step of 1, 2 or 5 times 10^k."""
    scale = 1
    while True:
        for step in (scale, 2 * scale, 5 * scale):
            if top / step <= most:
                return list(range(0, top + 1, step))
        scale *= 10


def postures_svg(model: EscalationModel, width: int = 540, height: int = 300) -> str:
    """Each power's true rung against the rung the other saw, as an inline SVG chart.

    The same picture as :func:`postures_figure` (solid: the power's rung after each round;
    dashed: the rung at which the other power saw it, shifted back one round so that both lines
    show the same posture), drawn as a few SVG paths: about a millisecond, where matplotlib
    takes some 50 ms, on every Step. Names are escaped for the page.

    Parameters
    ----------
    model : EscalationModel
        The model shown.
    width, height : int
        The chart's size in pixels (it scales to its box).

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    p = model.params
    names = [html.escape(r.name) for r in model.spec.ladder.rungs]
    ts = model.timeseries
    last = max(int(ts["round"].max()) if len(ts) else 0, 1)
    # Room on the left for the longest rung name (about 6.5 pixels a character at 12 px).
    left, right, top, bottom = (
        14 + int(6.5 * max(len(r.name) for r in model.spec.ladder.rungs)),
        12,
        10,
        40,
    )
    plot_w, plot_h = width - left - right, height - top - bottom
    span = max(p.n_rungs - 1, 1)

    def x(r: float) -> float:
        return left + plot_w * r / last

    def y(rung: float) -> float:
        return top + plot_h * (1 - rung / span)

    def steps(rounds: list[int], rungs: list[int]) -> str:
        if not rounds:
            return ""
        points = [f"M{x(rounds[0]):.1f},{y(rungs[0]):.1f}"]
        for k in range(1, len(rounds)):
            points.append(f"H{x(rounds[k]):.1f}V{y(rungs[k]):.1f}")
        return "".join(points)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" class="escalsim-postures" font-family="sans-serif" font-size="12">',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#444"/>',
    ]
    for k, name in enumerate(names):
        out.append(
            f'<text x="{left - 6}" y="{y(k) + 4:.1f}" text-anchor="end">{name}</text>'
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(k):.1f}" y2="{y(k):.1f}" '
            'stroke="#eee"/>'
        )
    for t in integer_ticks(last):
        out.append(f'<text x="{x(t):.1f}" y="{top + plot_h + 15}" text-anchor="middle">{t}</text>')
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">round</text>'
    )
    legend = []
    for i, colour in ((p.power_a, "#1f77b4"), (p.power_b, "#d62728")):
        me, other = p.ids[i], p.ids[p.power_b if i == p.power_a else p.power_a]
        mine = ts[ts["actor"] == me]
        seen = ts[(ts["actor"] == other) & (ts["round"] > 0)]
        true_path = steps(mine["round"].astype(int).tolist(), mine["rung"].astype(int).tolist())
        seen_path = steps(
            (seen["round"].astype(int) - 1).tolist(),
            seen["perceived_adversary"].astype(int).tolist(),
        )
        out.append(f'<path d="{true_path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out.append(
            f'<path d="{seen_path}" fill="none" stroke="{colour}" stroke-width="2" '
            'stroke-dasharray="6 4"/>'
        )
        legend += [
            (colour, "", f"{html.escape(me)}: true"),
            (
                colour,
                ' stroke-dasharray="6 4"',
                f"{html.escape(me)} as {html.escape(other)} saw it (next round)",
            ),
        ]
    for k, (colour, dash, label) in enumerate(legend):
        ly = top + 14 + 15 * k
        out.append(
            f'<line x1="{left + 8}" x2="{left + 34}" y1="{ly - 4}" y2="{ly - 4}" '
            f'stroke="{colour}" stroke-width="2"{dash}/>'
            f'<text x="{left + 40}" y="{ly}">{label}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def markdown_table(frame: pd.DataFrame) -> str:
    """A frame as a Markdown table (pipes in cells escaped)."""

    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|")

    head = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


# -- the explorer's session: Steps queued in order, and the view drawn once per change ----------
#: Feed lines the explorer shows (newest first).
FEED_SHOWN = 80
#: Milliseconds between two rounds when the explorer plays.
PLAY_INTERVAL_MS = 400
#: The test-only hook that slows each Step (``/?slow=step`` with ``ESCALSIM_APP_TEST_HOOKS=1``),
#: so that a browser test can see Steps queued behind a busy one, in seconds.
SLOW_STEP_SECONDS = 0.6


def figure_png(fig: Figure) -> bytes:
    """A figure as PNG bytes, compressed lightly (a fast encode; the page is on a LAN)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
    return buf.getvalue()


@dataclass(frozen=True)
class ExplorerView:
    """What the explorer shows of its crisis at one moment: text, and figures drawn (PNG, SVG).

    Built by :class:`ExplorerSession` after a change to the model, so that the page renders
    from this snapshot only (never from a model another thread may be stepping).

    Attributes
    ----------
    model : AppModel
        The model drawn (for the ensemble panel, which reads its settings and seed only).
    round, horizon : int
        The round just run, and the last one.
    running : bool
        Whether the crisis goes on.
    status : str
        ``running`` or ``ended: OUTCOME`` in plain language.
    switches : tuple
        ``(channel id, open now)`` for each private channel.
    feed : tuple
        ``(round, sentence)``, newest first, at most :data:`FEED_SHOWN`.
    network, ladder : bytes
        The network and the ladder as PNG.
    postures : str
        True against perceived postures, as SVG (:func:`postures_svg`).
    """

    model: AppModel
    round: int
    horizon: int
    running: bool
    status: str
    switches: tuple[tuple[str, bool], ...]
    feed: tuple[tuple[int, str], ...]
    network: bytes
    ladder: bytes
    postures: str

    @property
    def closed(self) -> list[str]:
        """The private channels closed now."""
        return [cid for cid, is_open in self.switches if not is_open]


class FigureCache:
    """Each explorer figure, redrawn only when what it shows has changed.

    The keys say what a figure depends on: the network (PNG) the round (its title), the rungs
    and the channels' states; the ladder (PNG) the rungs and the pairs at war; the postures
    (SVG, :func:`postures_svg`) the model and its round.
    A switch thrown between rounds redraws the network only; a round in which nobody moved
    leaves the ladder as it was.
    """

    def __init__(self) -> None:
        self._drawn: dict[str, tuple[Any, Any]] = {}
        self._layouts: dict[str, tuple[list[Any], Any]] = {}
        #: How many times each figure was drawn (for tests and the benchmark's notes).
        self.draws: dict[str, int] = {"network": 0, "ladder": 0, "postures": 0}

    def get(self, name: str, key: Any, draw: Callable[[], Figure]) -> bytes:
        """The PNG of figure ``name`` for ``key``, drawn by ``draw()`` when ``key`` is new.

        The first drawing of a figure is laid out by its own layout engine (constrained); the
        later ones reuse the positions it found, which saves a fifth of a drawing. Their labels
        (rung names, actor ids, the same title) are the same from round to round, so the
        positions are the same too (the network's PNG is identical, pixel for pixel).
        """
        old = self._drawn.get(name)
        if old is not None and old[0] == key:
            return bytes(old[1])
        fig = draw()
        suptitle = getattr(fig, "_suptitle", None)  # matplotlib's own; the layout places it
        layout = self._layouts.get(name)
        if layout is not None and len(layout[0]) == len(fig.axes):
            fig.set_layout_engine("none")
            for ax, box in zip(fig.axes, layout[0], strict=True):
                ax.set_position(box)
            if layout[1] is not None and suptitle is not None:
                suptitle.set_position(layout[1])
            png = figure_png(fig)
        else:
            png = figure_png(fig)
            title = suptitle.get_position() if suptitle is not None else None
            self._layouts[name] = ([ax.get_position().frozen() for ax in fig.axes], title)
        self._drawn[name] = (key, png)
        self.draws[name] += 1
        return png

    def view(self, model: AppModel) -> ExplorerView:
        """Snapshot ``model`` (the caller holds the model's lock)."""
        p = model.params
        rungs = tuple(int(a.rung) for a in model.actor_list)
        opened = tuple(bool(v) for v in model.channel_open)
        up = tuple(bool(v) for v in model.channel_up)
        wars = tuple(pair_wars_shown(model))
        state = (
            "running" if model.running else f"ended: {model.narrator.outcome(model.outcome_name)}"
        )
        return ExplorerView(
            model=model,
            round=int(model.round),
            horizon=int(model.horizon),
            running=bool(model.running),
            status=state,
            switches=tuple(
                (p.channel_ids[c], opened[c]) for c in range(p.n_channels) if c != p.public
            ),
            feed=tuple(reversed(model.feed[-FEED_SHOWN:])),
            network=self.get(
                "network", (model.round, rungs, opened, up), lambda: network_figure(model)
            ),
            ladder=self.get("ladder", (rungs, wars), lambda: ladder_figure(model)),
            postures=self.postures(model),
        )

    def postures(self, model: AppModel) -> str:
        """The postures chart (SVG: cheap enough to draw every round)."""
        key = (id(model), model.round)  # a Reset's new model starts again at round 0
        old = self._drawn.get("postures")
        if old is not None and old[0] == key:
            return str(old[1])
        svg = postures_svg(model)
        self._drawn["postures"] = (key, svg)
        self.draws["postures"] += 1
        return svg


@dataclass(frozen=True)
class Busy:
    """The explorer's work in hand.

    Attributes
    ----------
    queued : int
        Steps clicked and not yet begun.
    playing : bool
        Whether Play is on.
    working : bool
        Whether a Step is under way (or its drawing): the page is not ready until it ends.
    """

    queued: int = 0
    playing: bool = False
    working: bool = False

    @property
    def idle(self) -> bool:
        """Nothing queued, not playing, no Step under way."""
        return self.queued == 0 and not self.playing and not self.working


class ExplorerSession:
    """One browser page's crisis: its model, a queue of Steps, and the view drawn last.

    A click on Step only counts the Step (:meth:`step`): a worker thread runs the Steps in
    order, one round each, so that a click made while a round is drawn is kept, not lost. When
    several Steps are queued only the last round is drawn. Play runs the same worker at
    :data:`PLAY_INTERVAL_MS`; Reset empties the queue and builds a fresh model.

    Parameters
    ----------
    build : callable
        ``build() -> AppModel``: a model of the page's current settings.
    publish : callable
        ``publish(view)``, called with each new :class:`ExplorerView` (a Solara reactive's
        ``set``: the page re-renders from it).
    publish_busy : callable
        ``publish_busy(busy)``, called with each change of the :class:`Busy` state.
    publish_error : callable
        ``publish_error(exc)``, called when a Step raises (the page shows its error card).
    slow_step : float
        Seconds each Step waits first (the test hook only; 0 otherwise).
    """

    def __init__(
        self,
        build: Callable[[], AppModel],
        publish: Callable[[ExplorerView], None],
        publish_busy: Callable[[Busy], None],
        publish_error: Callable[[BaseException], None],
        *,
        slow_step: float = 0.0,
    ) -> None:
        self._build = build
        self._publish = publish
        self._publish_busy = publish_busy
        self._publish_error = publish_error
        self._slow = slow_step
        self._state = threading.Lock()  # queued, playing, worker: held for microseconds
        self._model_lock = threading.RLock()  # the model and its drawings
        self._queued = 0
        self._playing = False
        self._worker: threading.Thread | None = None
        self._generation = 0  # one per model: a Step taken before a Reset is dropped
        self._figures = FigureCache()
        self.model: AppModel = build()
        self.view: ExplorerView = self._figures.view(self.model)

    @property
    def figures(self) -> FigureCache:
        """The figure cache (what was drawn, and how often)."""
        return self._figures

    @property
    def busy(self) -> Busy:
        """The work in hand now."""
        with self._state:
            return self._busy()

    def _busy(self) -> Busy:
        # Called with self._state held.
        return Busy(self._queued, self._playing, self._worker is not None)

    def step(self) -> None:
        """Queue one Step (a round); the worker runs it after those already queued."""
        with self._state:
            if not self.model.running:
                return
            self._queued += 1
            self._start_worker()
            busy = self._busy()
        self._publish_busy(busy)

    def play(self, on: bool) -> None:
        """Start or stop playing (a Step every :data:`PLAY_INTERVAL_MS` until the end)."""
        with self._state:
            self._playing = bool(on) and self.model.running
            if self._playing:
                self._start_worker()
            busy = self._busy()
        self._publish_busy(busy)

    def reset(self) -> None:
        """Stop, empty the queue and start the crisis again with the page's settings."""
        with self._state:
            self._queued = 0
            self._playing = False
            self._generation += 1
        with self._model_lock:
            self.model = self._build()
            self.view = self._figures.view(self.model)
        self._publish_busy(self.busy)
        self._publish(self.view)

    def set_channel(self, channel_id: str, is_open: bool) -> None:
        """Open or close a channel from the next round (the live switch), and redraw."""
        with self._model_lock:
            self.model.set_channel(channel_id, is_open)
            self.view = self._figures.view(self.model)
        self._publish(self.view)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the worker has finished (for tests); whether it has."""
        with self._state:
            worker = self._worker
        if worker is not None:
            worker.join(timeout)
            return not worker.is_alive()
        return True

    def _start_worker(self) -> None:
        # Called with self._state held.
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="escalsim-steps", daemon=True)
            self._worker.start()

    def _take(self) -> tuple[bool, bool, int]:
        """The next unit of work: (step now, draw after it, the model's generation).

        With nothing to do, the worker is marked stopped (under the same lock as a new Step).
        """
        with self._state:
            if (self._queued == 0 and not self._playing) or not self.model.running:
                self._queued = 0
                self._playing = False
                self._worker = None
                return False, False, self._generation
            if self._queued:
                self._queued -= 1
            return True, self._queued == 0 or self._playing, self._generation

    def _work(self) -> None:
        try:
            while True:
                go, draw, generation = self._take()
                if not go:
                    break
                if self._slow:
                    time.sleep(self._slow)
                with self._model_lock:
                    if generation != self._generation:  # a Reset came in between
                        continue
                    self.model.step()
                    if draw or not self.model.running:
                        self.view = self._figures.view(self.model)
                if draw or not self.model.running:
                    self._publish(self.view)
                self._publish_busy(self.busy)
                if self.busy.playing:
                    time.sleep(PLAY_INTERVAL_MS / 1000)
        except Exception as exc:  # a Step that raises: this page's error card, nothing else
            with self._state:
                self._queued = 0
                self._playing = False
                self._worker = None
            self._publish_busy(Busy())
            self._publish_error(exc)
            return
        self._publish_busy(self.busy)

    def close(self) -> None:
        """Stop playing and drop the queued Steps (the page is gone)."""
        with self._state:
            self._queued = 0
            self._playing = False
            self._generation += 1


# -- explorer components ----------------------------------------------------------------------
def control_label(options: dict[str, Any], value: Any) -> str:
    """A control's label with its value, always shown (``Seed: 16``, ``Noise ...: 0.15``)."""
    label = str(options.get("label", ""))
    kind = options.get("type")
    if kind == "SliderFloat":
        # As many decimals as the step has (0.25 -> 2, 0.05 -> 2, 0.5 -> 1).
        step = f"{float(options.get('step') or 0.01):g}"
        digits = len(step.split(".")[1]) if "." in step else 0
        return f"{label}: {float(value):.{digits}f}"
    if kind == "SliderInt":
        return f"{label}: {int(value)}"
    return label


@solara.component
def SettingsPanel(
    params: dict[str, dict[str, Any]], values: solara.Reactive[dict[str, Any]]
) -> None:
    """The crisis's settings, each showing its value; they apply on Reset."""

    def setter(name: str) -> Callable[[Any], None]:
        def set_value(value: Any) -> None:
            values.set({**values.value, name: value})

        return set_value

    with solara.Card("Settings (apply on Reset)"):
        for name, options in params.items():
            value = values.value.get(name, options["value"])
            label = control_label(options, value)
            kind = options["type"]
            if kind == "SliderInt":
                solara.SliderInt(
                    label,
                    value=int(value),
                    on_value=setter(name),
                    min=options["min"],
                    max=options["max"],
                    step=options["step"],
                )
            elif kind == "SliderFloat":
                solara.SliderFloat(
                    label,
                    value=float(value),
                    on_value=setter(name),
                    min=options["min"],
                    max=options["max"],
                    step=options["step"],
                )
            elif kind == "Checkbox":
                solara.Checkbox(label=label, value=bool(value), on_value=setter(name))
            elif kind == "Select":
                solara.Select(label, value=value, values=options["values"], on_value=setter(name))


@solara.component
def StepControls(
    session: ExplorerSession,
    shown: solara.Reactive[ExplorerView | None],
    busy_state: solara.Reactive[Busy],
) -> None:
    """Round and outcome, Step / Play / Reset, and what is in hand (the busy state)."""
    view = shown.value or session.view
    busy = busy_state.value
    with solara.Card("Run the crisis"):
        solara.Markdown(
            f"**Round {view.round} of {view.horizon}** ({view.status})",
            style={"font-size": "1.1em"},
        )
        with solara.Row(style={"flex-wrap": "wrap", "gap": "6px"}):
            solara.Button(
                "Step",
                on_click=session.step,
                color="primary",
                disabled=not view.running or busy.playing,
            )
            solara.Button(
                "Pause" if busy.playing else "Play",
                on_click=lambda: session.play(not session.busy.playing),
                color="primary",
                outlined=True,
                disabled=not view.running,
            )
            solara.Button("Reset", on_click=session.reset, outlined=True)
        if busy.idle:
            solara.Text("Ready", classes=["escalsim-ready"])
        else:
            solara.ProgressLinear(True)
            if busy.playing:
                what = "Playing"
            elif busy.queued:
                what = f"Working: {busy.queued} Step{'s' if busy.queued != 1 else ''} to run"
            else:
                what = "Working: finishing a Step"
            solara.Text(what, classes=["escalsim-busy"])


@solara.component
def ChannelSwitches(session: ExplorerSession, view: ExplorerView) -> None:
    """A live switch for each private channel (effective next round)."""
    with solara.Card("Channels: live switches"):
        with solara.Row(style={"flex-wrap": "wrap", "gap": "0px 12px"}):
            for cid, is_open in view.switches:

                def toggle(value: bool, cid: str = cid) -> None:
                    session.set_channel(cid, value)

                solara.Switch(label=cid, value=is_open, on_value=toggle, disabled=not view.running)
        closed = view.closed
        solara.Markdown(f"Closed now: {', '.join(closed) if closed else 'none'}")
        solara.Markdown(
            "_A switch acts from the next round (the feed records it); the checkboxes under "
            "Settings set the channels at the start, on Reset._"
        )


_EMPHASIS = re.compile(r"\*([^*]+)\*")


def feed_html(feed: Sequence[tuple[int, str]]) -> str:
    """The feed as an HTML list: each round in bold, rung names (``*name*``) in italics.

    Sent as HTML, not Markdown: Solara's Markdown made the page compile the whole feed again on
    every Step (about a fifth of a Step's time). The sentences' names went through
    :func:`safe_text` for Markdown (``<``, ``>``, ``&`` as entities, square brackets escaped):
    they are unescaped and escaped again here, so that nothing in them is markup.
    """
    items = []
    for t, text in feed:
        plain = html.unescape(text.replace("\\[", "[").replace("\\]", "]"))
        shown = _EMPHASIS.sub(r"<em>\1</em>", html.escape(plain, quote=False))
        items.append(f'<li><strong style="font-weight: 700">{int(t)}</strong> {shown}</li>')
    return "".join(items)


@solara.component
def EventFeed(view: ExplorerView) -> None:
    """The last events in plain language, newest first."""
    with (
        solara.Card("What happened"),
        solara.Column(style={"max-height": "560px", "overflow-y": "auto"}),
    ):
        if view.feed:
            solara.HTML(tag="ul", unsafe_innerHTML=feed_html(view.feed), classes=["escalsim-feed"])
        else:
            solara.Markdown("_Nothing yet: press Step._")


@solara.component
def CrisisTab(session: ExplorerSession, shown: solara.Reactive[ExplorerView | None]) -> None:
    """One run: the network, ladder and postures, beside the feed and the switches."""
    view = shown.value or session.view
    with solara.Columns([3, 2]):
        with solara.Column():
            with solara.Card(f"Channel network, round {view.round}"):
                solara.Image(view.network, width="100%")
            with solara.Card("The ladder"):
                solara.Image(view.ladder, width="100%")
            with solara.Card("True against perceived postures"):
                solara.HTML(tag="div", unsafe_innerHTML=view.postures)
        with solara.Column():
            EventFeed(view)
            ChannelSwitches(session, view)


@solara.component
def Explorer() -> None:
    """The explorer: one crisis run round by round, and many runs with CIs (two tabs)."""
    spec = current_scenario()
    search = str(solara.use_router().search or "") if test_hooks_enabled() else ""
    ExplorerBody(spec, fail="fail=step" in search, slow="slow=step" in search).key(
        f"explorer-{id(spec)}"
    )


@solara.component
def ExplorerBody(spec: Scenario, fail: bool = False, slow: bool = False) -> None:
    """The explorer for one scenario: its session, the sidebar and the two tabs."""
    params = solara.use_memo(lambda: controls(spec), [])
    values = solara.use_reactive({k: v["value"] for k, v in params.items()})
    shown: solara.Reactive[ExplorerView | None] = solara.use_reactive(None)
    busy = solara.use_reactive(Busy())
    error: solara.Reactive[BaseException | None] = solara.use_reactive(None)
    tab = solara.use_reactive(0)

    def make() -> ExplorerSession:
        cls = session_model(spec, fail_on_step=fail)
        return ExplorerSession(
            lambda: cls(**values.value),
            shown.set,
            busy.set,
            error.set,
            slow_step=SLOW_STEP_SECONDS if slow else 0.0,
        )

    session = solara.use_memo(make, [])
    solara.use_effect(lambda: session.close, [])
    if error.value is not None:
        failed = error.value
        error.set(None)
        raise failed  # the page's error card (ErrorBoundary); its restart builds a new session
    # This component reads none of the session's reactives but the error: a Step re-renders
    # only the components that show it (the controls, the open tab), not the settings.
    with solara.Head():
        solara.Title(f"escalsim: {spec.name}")
    with solara.AppBar():
        solara.AppBarTitle(f"escalsim: {spec.name}")
    PageTabs()
    with solara.Sidebar():
        StepControls(session, shown, busy)
        solara.Markdown("[Seminar mode: play one side →](/seminar)")
        SettingsPanel(params, values)
        UploadPanel()
    with solara.lab.Tabs(value=tab):
        with solara.lab.Tab("Crisis"):
            if tab.value == 0:
                CrisisTab(session, shown)
        with solara.lab.Tab("Many runs"):
            if tab.value == 1:
                ManyRunsTab(session, shown)


@solara.component
def ManyRunsTab(session: ExplorerSession, shown: solara.Reactive[ExplorerView | None]) -> None:
    """The ensemble of the current settings (those of the model shown)."""
    view = shown.value or session.view
    EnsemblePanel(view.model)


@solara.component
def EnsemblePanel(model: AppModel) -> None:
    """P(war) and miscalculation for the current settings and the scenario's conditions."""
    replications = solara.use_reactive(300)

    def run() -> pd.DataFrame:
        variants = variants_for(model.base_spec, model.settings)
        # The slider's range, enforced here too: a hand-crafted message could send any number.
        n = min(max(int(replications.value), 100), 2000)
        return ensemble(variants, n, model.seed_root)

    # In a thread: the page stays live and shows progress while the batch engine runs.
    task = solara.lab.use_task(run, dependencies=None, raise_error=False)

    with solara.Card("Ensemble: many runs of these settings"):
        solara.SliderInt(
            f"Replications: {replications.value}",
            value=replications,
            min=100,
            max=2000,
            step=100,
        )
        solara.Button("Run ensemble", on_click=task, color="primary", disabled=task.pending)
        solara.ProgressLinear(task.pending)
        if task.error:
            solara.Error(f"could not run the ensemble: {task.exception}")
        frame: pd.DataFrame | None = task.value if task.finished else None
        if frame is not None:
            shown = pd.DataFrame(
                {
                    "variant": frame["variant"],
                    "P(war) [95% CI]": [
                        f"{r.p_war:.3f} [{r.p_war_low:.3f}, {r.p_war_high:.3f}]"
                        for r in frame.itertuples()
                    ],
                    "P(war) minus yours [95% CI]": [
                        ""
                        if k == 0
                        else f"{r.d_p_war:+.3f} [{r.d_p_war_low:+.3f}, {r.d_p_war_high:+.3f}]"
                        for k, r in enumerate(frame.itertuples())
                    ],
                    "miscalculation rate [95% CI]": [
                        f"{r.miscalculation_rate:.3f} [{r.miscalculation_low:.3f}, "
                        f"{r.miscalculation_high:.3f}]"
                        for r in frame.itertuples()
                    ],
                    "n": frame["replications"],
                }
            )
            solara.Style(".escalsim-ensemble table { width: 100%; }")
            with solara.Column(classes=["escalsim-ensemble"]):
                solara.Markdown(markdown_table(shown))
            solara.Markdown(
                "Every variant runs on the same replication seeds, so the difference from "
                "your settings is paired (its interval is narrower than the two intervals "
                "suggest). Unchanged settings are the scenario's baseline condition."
            )
            solara.FigureMatplotlib(ensemble_figure(frame), format="png")


def ensemble_figure(frame: pd.DataFrame) -> Figure:
    """Bars with 95% CIs for P(war) and the miscalculation rate."""
    fig = Figure(figsize=(6.4, 2.8), layout="constrained")
    for k, (col, low, high, title) in enumerate(
        (
            ("p_war", "p_war_low", "p_war_high", "P(war)"),
            (
                "miscalculation_rate",
                "miscalculation_low",
                "miscalculation_high",
                "miscalculation rate",
            ),
        )
    ):
        ax = fig.add_subplot(1, 2, k + 1)
        y = np.arange(len(frame))
        est = frame[col].to_numpy(float)
        err = np.vstack([est - frame[low].to_numpy(float), frame[high].to_numpy(float) - est])
        ax.barh(y, est, xerr=err, color="#1f77b4", alpha=0.7, capsize=3)
        ax.set_yticks(y, frame["variant"] if k == 0 else [""] * len(y), fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.invert_yaxis()
    return fig


@solara.component
def ErrorBoundary(children: list[Any] | None = None) -> None:
    """Catch an exception raised by a callback (or a render) anywhere below, for this page only.

    The student sees an error card with the exception's type and message (no traceback: it
    goes to the server log) and a button that starts the page again; other sessions never see
    it, and the server goes on serving. Without this boundary Solara would replace the page
    with the full traceback.
    """
    exception, clear = solara.use_exception()

    def log() -> None:
        if exception is not None:  # once per exception, not on every render
            _log.error("a page raised %r", exception, exc_info=exception)

    solara.use_effect(log, [id(exception)])
    if exception is not None:
        with solara.Card("Something went wrong in this page"):
            solara.Error(
                f"{type(exception).__name__}: {exception}",
                icon=True,
            )
            solara.Text(
                "Only this page is affected: the other students' pages and the server go on. "
                "Start the page again to continue."
            )
            solara.Button("Start this page again", on_click=clear, color="primary")
        return
    with solara.Column(children=children or []):
        pass


class ScenarioDropZone(FileDropZone):
    """Solara's drop zone with a file picker beside it (``upload_zone.vue``).

    A file chosen in the picker is read exactly as a dropped one.
    """

    template_file = (__file__, "upload_zone.vue")


@solara.component
def ScenarioFileInput(label: str, on_file: Callable[[UploadInfo], None]) -> None:
    """Drop a file or choose it in a file picker; ``on_file(info)`` runs in a worker thread.

    :func:`solara.FileDrop`'s wiring (lazy: no byte is read until ``on_file`` reads it), with
    :class:`ScenarioDropZone` as its widget.
    """
    file_info, set_file_info = solara.use_state(None)
    wired: solara.Reactive[list[Any] | None] = solara.use_reactive(None)
    zone = ScenarioDropZone.element(label=label, on_file_info=set_file_info, multiple=False)

    def wire() -> None:
        if not file_info:
            return
        real = solara.get_widget(zone)
        real.version += 1  # as solara.FileDrop: a workaround for @observe being cleared
        real.reset_stats()
        wired.set(list(real.get_files()))

    solara.use_effect(wire, [file_info])

    def handle() -> None:
        files = wired.value
        if files:
            files[0]["data"] = None
            on_file(files[0])

    result = solara.use_thread(handle, [wired.value])
    if result.error:
        raise result.error


@solara.component
def UploadPanel() -> None:
    """Drop a scenario file: validated in memory like a file; on success this session uses it."""
    problems: solara.Reactive[list[str]] = solara.use_reactive([])

    def on_file(info: UploadInfo) -> None:
        # Runs in a worker thread (solara.FileDrop): every error must end here, in the page.
        name = upload_name(info.get("name", ""))
        try:
            spec = read_upload(info)
        except ScenarioError as exc:
            problems.set([str(p) for p in exc.problems[:25]])
            if len(exc.problems) > 25:
                problems.set([*problems.value, f"... and {len(exc.problems) - 25} more"])
        except Exception as exc:  # an upload must never take the page down
            _log.exception("upload %s failed", name)
            problems.set([f"{name}: could not read the upload ({type(exc).__name__})"])
        else:
            problems.set([])
            uploaded.set((name, spec))

    with solara.Card("Your own scenario"):
        solara.Text(
            f"Drop a scenario YAML file here or choose it (at most "
            f"{MAX_UPLOAD_BYTES // 1_000_000} MB). It is checked like a file given to "
            "'escalsim run' and used in this page only; nothing is saved on the server."
        )
        ScenarioFileInput("Drop a scenario .yaml file here", on_file)
        up = uploaded.value
        if up is not None:
            solara.Success(f"Using the uploaded scenario {up[0]} ({up[1].id})")
            solara.Button(
                f"Back to {scenario_name()}",
                on_click=lambda: (uploaded.set(None), problems.set([])),
            )
        if problems.value:
            solara.Error(
                f"The upload was refused ({len(problems.value)} problem(s)); nothing changed:"
            )
            solara.Preformatted(
                "\n".join(problems.value),
                class_="escalsim-upload-problems",
                style_="white-space: pre-wrap; word-break: break-word; font-size: 12px",
            )


@solara.component
def Layout(children: list[Any] | None = None) -> None:
    """Solara's app layout inside an :func:`ErrorBoundary`, for every page.

    The boundary sits outside the layout because the explorer puts its controls (Step, Reset,
    the settings) in the sidebar, which the layout renders, not the page.
    """
    # Keyed by the session's scenario: an upload remounts the whole layout, so the sidebar (the
    # controls and settings, which the layout renders) starts afresh with it.
    key = f"layout-{id(current_scenario())}"
    with ErrorBoundary():
        solara.AppLayout(children=children or []).key(key)


#: The app's pages as their tabs name them (Solara's own tabs would say "Home" and "seminar").
PAGES = (("/", "Explorer"), ("/seminar", "Seminar: play one side"))


@solara.component
def PageTabs() -> None:
    """The tabs of the app's two pages, under the app bar, named for what they hold."""
    router = solara.use_router()
    index = 1 if router.path.rstrip("/").endswith("seminar") else 0

    def go(k: int) -> None:
        router.push(PAGES[k][0])

    with solara.AppBar(), solara.lab.Tabs(value=index, on_value=go, align="center"):
        for _path, label in PAGES:
            solara.lab.Tab(label)


# -- seminar ----------------------------------------------------------------------------------
@solara.component
def Seminar() -> None:
    """Seminar mode for this session's scenario (a new game when the scenario changes)."""
    spec = current_scenario()
    SeminarBody(spec).key(f"seminar-{id(spec)}")


@solara.component
def SeminarBody(spec: Scenario) -> None:
    """Seminar mode: choose a side, play round by round, read the debrief."""
    powers = [a.id for a in spec.actors if a.role == "power"]
    side = solara.use_reactive(powers[0])
    condition = solara.use_reactive(spec.condition_names[0])
    seed = solara.use_reactive(int(spec.run.seed))
    rounds = solara.use_reactive(int(spec.run.rounds))
    game: solara.Reactive[Game | None] = solara.use_reactive(None)
    move = solara.use_reactive("hold")
    message = solara.use_reactive("none")
    offer_mode = solara.use_reactive("keep")
    offer_share = solara.use_reactive(0.5)
    claim_pick = solara.use_reactive("none")
    tick = solara.use_reactive(0)
    problem = solara.use_reactive("")

    def start() -> None:
        cond = condition.value if condition.value != "base" else None
        # The slider's range, enforced here too (a hand-crafted message could send any number).
        length = min(max(int(rounds.value), 3), int(spec.run.rounds))
        shorter = length if length != spec.run.rounds else None
        game.set(Game(spec, side.value, seed=seed.value, condition=cond, rounds=shorter))
        problem.set("")
        tick.set(tick.value + 1)

    def play() -> None:
        g = game.value
        if g is None:
            return
        try:
            can = g.situation().can_message
            claims = g.bargain().claims
            sent = message.value if can and not claims else "none"
            claim = _claim_choice(g, claim_pick.value) if can and claims else None
            g.play(
                move.value,
                sent,
                offer=_offer_choice(offer_mode.value, offer_share.value),
                claim=claim,
            )
            offer_mode.set("keep")
            claim_pick.set("none")
            problem.set("")
        except GameError as exc:
            problem.set(str(exc))
        tick.set(tick.value + 1)

    with solara.Head():
        solara.Title(f"escalsim seminar: {spec.name}")
    with solara.AppBar():
        solara.AppBarTitle(f"Seminar: {spec.name}")
    PageTabs()
    with solara.Column(style={"max-width": "1100px", "margin": "auto"}):
        solara.Markdown("[← back to the explorer](/)")
        g = game.value
        if g is None:
            with solara.Card("Choose your side"):
                solara.Markdown(spec.description)
                solara.ToggleButtonsSingle(value=side, values=powers)
                solara.Select("Condition", value=condition, values=list(spec.condition_names))
                solara.InputInt("Seed (the same seed and moves give the same game)", value=seed)
                solara.SliderInt(
                    f"Rounds (a shorter game for a short class): {rounds.value}",
                    value=rounds,
                    min=3,
                    max=int(spec.run.rounds),
                )
                solara.Button("Start the crisis", on_click=start, color="primary")
                if problem.value:
                    solara.Error(problem.value)
            UploadPanel()
            return
        if not g.over:
            SituationCard(g, tick.value)
            BargainCard(g, tick.value)
            with solara.Card("Your decision"):
                available = g.moves_available()
                solara.Markdown(
                    "\n".join(f"- **{k}**: {v}" for k, v in MOVE_HELP.items() if k in available)
                )
                solara.ToggleButtonsSingle(value=move, values=list(available))
                if g.situation().can_message and g.bargain().claims:
                    ClaimControls(g, claim_pick)
                elif g.situation().can_message:
                    solara.Markdown(
                        "Message with your move: "
                        + "; ".join(f"**{k}**: {v}" for k, v in MESSAGE_HELP.items())
                    )
                    solara.ToggleButtonsSingle(value=message, values=["reassure", "warn", "none"])
                else:
                    solara.Markdown("_No private channel is open: only public statements._")
                OfferControls(offer_mode, offer_share)
                solara.Button("Play this round", on_click=play, color="primary")
                if problem.value:
                    solara.Error(problem.value)
        else:
            DebriefView(g, tick.value)
            solara.Button("New game", on_click=lambda: game.set(None))


@solara.component
def SituationCard(game: Game, tick: int) -> None:
    """What the player's state knows this round."""
    s = game.situation()
    n = game.narrator
    rungs = s.rung_names
    chans = ", ".join(cid for cid, _k, is_open in s.private_channels if is_open) or "none"
    news = "\n".join(f"- {item}" for item in s.news) or "- nothing new"
    with solara.Card(f"Round {s.round} of {s.horizon}"):
        solara.Markdown(
            f"You are **{n.actor(s.actor)}**, facing {n.actor(s.adversary)}.\n\n"
            f"- Your posture: **{rungs[s.own_rung]}**\n"
            f"- You see {n.actor(s.adversary)} at **{rungs[s.perceived_rung]}** "
            f"(its last move as you saw it: {s.perceived_move.replace('_', ' ')})\n"
            f"- You believe its cost of war is {s.expected_cost:.2f} of the stakes on average, "
            f"and that it is an honest type with probability {s.trust:.2f} (your trust)\n"
            f"- Private channels open: {chans}\n\n**News**\n\n{news}"
        )


def _claim_choice(game: Game, pick: str) -> float | None:
    """The claim :meth:`Game.play` takes from the claim buttons (None: say nothing)."""
    costs = {f"{c:.3g}": c for c in game.bargain().claimable}
    return costs.get(pick)


@solara.component
def ClaimControls(game: Game, pick: solara.Reactive[str]) -> None:
    """Where the powers exchange claims: the cost of war to claim, honest or not, or none."""
    b = game.bargain()
    solara.Markdown(
        f"Claim a cost of war (times the stakes, per round) to "
        f"{game.narrator.actor(game.adversary)} over your private channel, honest or not: yours "
        f"is **{b.own_cost:.3g}** (only you know it). A low cost says you will not back down, "
        "a high one that you will settle; **none**: say nothing."
    )
    solara.ToggleButtonsSingle(value=pick, values=["none", *(f"{c:.3g}" for c in b.claimable)])


def _offer_choice(mode: str, share: float) -> str | float:
    """The offer :meth:`Game.play` takes from the controls: keep, withdraw, or the share."""
    return float(share) if mode == "offer" else mode


@solara.component
def OfferControls(mode: solara.Reactive[str], share: solara.Reactive[float]) -> None:
    """What to do with the player's standing offer: keep it, withdraw it, or offer a share."""
    solara.Markdown(
        "Your standing offer (goes out with next round's talks): "
        + "; ".join(f"**{k}**: {v}" for k, v in OFFER_HELP.items())
    )
    solara.ToggleButtonsSingle(value=mode, values=["keep", "withdraw", "offer"])
    if mode.value == "offer":
        solara.SliderFloat(
            f"Share of the stakes you offer them: {share.value:.0%}",
            value=share,
            min=0.0,
            max=1.0,
            step=0.05,
        )


@solara.component
def BargainCard(game: Game, tick: int) -> None:
    """The bargain as the player knows it: both standing offers, and what ends the crisis."""
    lines = [f"- {line}" for line in game.bargain_lines(lambda text: f"**{text}**")]
    with solara.Card("The bargain"):
        solara.Markdown("\n".join(lines))


@solara.component
def DebriefView(game: Game, tick: int) -> None:
    """The debrief: summary, round-by-round table, the replay, everything that happened."""
    debrief = solara.use_memo(game.debrief, [tick])
    rungs = [r.name for r in game.spec.ladder.rungs]
    with solara.Card("Debrief"):
        solara.Markdown("\n".join(f"- {line}" for line in debrief.summary))
        table = debrief.rounds.copy()
        for col in ("rung_before", "rung_after", "perceived_by_other", "perceived_other"):
            table[col] = [rungs[int(v)] for v in table[col]]
        table = table[
            [
                "round",
                "actor",
                "intended",
                "made",
                "rung_before",
                "rung_after",
                "perceived_by_other",
                "signalled",
                "message_chosen",
                "perceived_other",
                "miscalculation",
                "misperception",
            ]
        ]
        solara.Markdown(
            "Round by round: what each side **intended** and **made** (an accident or "
            "friction can differ), its rung, the rung at which **the other side saw it**, what "
            "it **signalled**, what **it saw** of the other, and the **miscalculations** "
            "(with the true picture it would have chosen otherwise)."
        )
        table = table.rename(
            columns={
                "signalled": "sent this round",
                "message_chosen": "message chosen (sent next round)",
            }
        )
        solara.Markdown(markdown_table(table))
        if len(debrief.offers):
            solara.Markdown(
                "**Offers**: the share of the stakes each side offered the other, and as the "
                "other read it (public statements are read with noise)."
            )
            solara.Markdown(markdown_table(debrief.offers))
        solara.FigureMatplotlib(_replay_figure(game, debrief, rungs), format="png")
        solara.Markdown(
            "**Everything that happened**\n\n"
            + "\n".join(f"- **{t}** {text}" for t, text in game.feed)
        )


def _replay_figure(game: Game, debrief: Any, rungs: list[str]) -> Figure:
    fig = Figure(figsize=(6.4, 3.4), layout="constrained")
    ax = fig.add_subplot()
    played = debrief.rounds
    replay = debrief.counterfactual
    for actor, colour in ((game.actor, "#1f77b4"), (game.adversary, "#d62728")):
        mine = played[played["actor"] == actor]
        ax.step(mine["round"], mine["rung_after"], where="post", color=colour, label=f"{actor}")
        other = replay[(replay["actor"] == actor) & (replay["round"] > 0)]
        ax.step(
            other["round"],
            other["rung"],
            where="post",
            color=colour,
            ls="--",
            label=f"{actor}, channels the other way",
        )
    ax.set_yticks(range(len(rungs)), rungs, fontsize=8)
    ax.set_xlabel("round")
    ax.legend(fontsize=7)
    ax.set_title("Your game against the same crisis with the channels the other way", fontsize=9)
    return fig


routes = [
    solara.Route(path="/", component=Explorer, label="Explorer", layout=Layout),
    solara.Route(path="seminar", component=Seminar, label="Seminar"),
]
