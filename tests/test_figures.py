"""Figures: every function draws a Figure that saves to a valid PNG, on real and thin data."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from conftest import TIMEOUT
from escalsim.agents import EscalationModel
from escalsim.agents.model import CAUSES as MODEL_CAUSES
from escalsim.scenario import load_scenario, with_condition
from escalsim.viz import figures as fg

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CONDITIONS = ("no_hotline", "hotline")
REPLICATIONS = 3


@pytest.fixture(scope="module")
def hotline():
    return load_scenario("hotline-1963")


@pytest.fixture(scope="module")
def frames():
    """Runs, timeseries and events of a small hotline-1963 Monte Carlo run."""
    models = [
        EscalationModel(scenario="hotline-1963", condition=c, seed=1, replication=r).run()
        for c in CONDITIONS
        for r in range(REPLICATIONS)
    ]
    runs = pd.concat([m.outcome for m in models], ignore_index=True)
    ts = pd.concat([m.timeseries for m in models], ignore_index=True)
    ev = pd.concat([m.events for m in models], ignore_index=True)
    return runs, ts, ev


@pytest.fixture(scope="module")
def differences():
    return pd.DataFrame(
        {
            "condition": ["hotline"] * 3,
            "baseline": ["no_hotline"] * 3,
            "metric": ["war", "miscalculation_rate", "peak_rung"],
            "estimate": [-0.05, -0.02, 0.1],
            "lo": [-0.2, -0.04, -0.3],
            "hi": [0.1, -0.001, 0.5],
        }
    )


def assert_png(fig, path):
    """The figure is a Figure and saves to a non-empty, valid PNG; nothing else is left."""
    assert isinstance(fig, Figure)
    assert fig.get_suptitle() or any(ax.get_title() for ax in fig.axes)
    out = fg.save_figure(fig, path)
    assert out == path
    data = path.read_bytes()
    assert len(data) > 1000
    assert data.startswith(PNG_MAGIC)
    assert sorted(p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")) == []


def only(frame, condition):
    return frame[frame["condition"] == condition].reset_index(drop=True)


# -- real data ----------------------------------------------------------------------------------
def test_fan_chart(frames, hotline, tmp_path):
    _runs, ts, _ev = frames
    fig = fg.fan_chart(ts, hotline)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title().split(" (")[0] for ax in panels] == list(CONDITIONS)
    labels = [t.get_text() for t in panels[0].get_yticklabels()]
    assert labels == [r.name for r in hotline.ladder.rungs]
    assert_png(fig, tmp_path / "fan.png")


def test_war_survival(frames, hotline, tmp_path):
    runs, _ts, _ev = frames
    fig = fg.war_survival(runs, hotline.run.rounds)
    (ax,) = fig.axes
    assert ax.get_xlim() == (0.0, hotline.run.rounds)
    assert ax.get_xlabel()
    assert ax.get_ylabel()
    assert_png(fig, tmp_path / "war.png")


@pytest.mark.parametrize(
    ("ticks", "labels"),
    [
        ([0, 0.025, 0.05, 0.075, 0.1], ["0%", "2.5%", "5%", "7.5%", "10%"]),
        ([0, 0.2, 0.4], ["0%", "20%", "40%"]),
        ([0, 0.001, 0.002], ["0%", "0.1%", "0.2%"]),
        # matplotlib's ticks are sums of floats; a tick below 0 is not "-0%"
        ([-0.025, 0.0, 0.07500000000000001, 0.30000000000000004], ["-2.5%", "0%", "7.5%", "30%"]),
        ([-1e-18, 0.0125, 1.0], ["0%", "1.25%", "100%"]),
        ([], []),
    ],
)
def test_percent_labels_are_exact_with_as_few_decimals_as_needed(ticks, labels):
    assert fg.percent_labels(ticks) == labels


def test_war_survival_labels_its_ticks_exactly(tmp_path):
    """4 wars in 50 runs put the ticks 2.5% apart: labelled 2.5%, 5%, 7.5%, not 2%, 5%, 8%."""
    runs = pd.DataFrame(
        {"condition": "a", "end_round": [3] * 4 + [None] * 46, "war": [True] * 4 + [False] * 46}
    )
    fig = fg.war_survival(runs, 10)
    fig.canvas.draw()
    (ax,) = fig.axes
    assert np.allclose(ax.get_yticks(), np.arange(-1, 10) * 0.025)
    exact = ["-2.5%", "0%", "2.5%", "5%", "7.5%", "10%", "12.5%", "15%", "17.5%", "20%", "22.5%"]
    assert [t.get_text() for t in ax.get_yticklabels()] == exact
    assert_png(fig, tmp_path / "war.png")


def test_war_survival_legend_gives_each_share_exactly():
    """1 war in 40 runs is 2.5% in the legend (was 2%), 4 in 40 is 10%, 1 in 3 is 33.33%."""
    conditions = {"a": (1, 40), "b": (4, 40), "c": (1, 3)}
    runs = pd.concat(
        pd.DataFrame(
            {
                "condition": name,
                "end_round": [3] * wars + [None] * (n - wars),
                "war": [True] * wars + [False] * (n - wars),
            }
        )
        for name, (wars, n) in conditions.items()
    )
    fig = fg.war_survival(runs, 10)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "a: 2.5% by round 10 (n = 40 runs)",
        "b: 10% by round 10 (n = 40 runs)",
        "c: 33.33% by round 10 (n = 3 runs)",
    ]


def test_forest_plot(differences, tmp_path):
    fig = fg.forest_plot(differences)
    assert [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")] == [
        "War",
        "Miscalculation rate",
        "Peak rung",
    ]
    assert_png(fig, tmp_path / "forest.png")


def test_forest_plot_selected_metrics_and_gaps(differences, tmp_path):
    gappy = differences.copy()
    gappy.loc[0, ["lo", "hi"]] = np.nan
    gappy.loc[1, "estimate"] = np.nan
    extra = gappy.assign(condition="summit", baseline="hotline")  # a second baseline
    fig = fg.forest_plot(pd.concat([gappy, extra]), metrics=["peak_rung", "war", "not_a_metric"])
    assert_png(fig, tmp_path / "forest-gaps.png")


def test_channel_network(hotline, tmp_path):
    fig = fg.channel_network(hotline)
    (ax,) = fig.axes
    assert "Public channel 'public'" in ax.get_xlabel()
    texts = {t.get_text() for t in ax.texts}
    assert "u_thant (via UN)" in texts  # the mediated channel, marked with its relay
    assert {"USA", "SUN", "UN", "CUB"} <= texts
    assert_png(fig, tmp_path / "net.png")


def test_channel_network_is_deterministic(hotline, tmp_path):
    first = fg.save_figure(fg.channel_network(hotline), tmp_path / "a.png").read_bytes()
    second = fg.save_figure(fg.channel_network(hotline), tmp_path / "b.png").read_bytes()
    assert first == second


def _legs_by_networkx(order, private, actors):
    """The channel network's legs as they were grouped with a networkx MultiGraph."""
    nx = pytest.importorskip("networkx")
    graph = nx.MultiGraph()
    graph.add_nodes_from(order)
    for index, channel in enumerate(private):
        a, b = channel.between
        via = channel.via
        if via is not None and via in actors and via not in (a, b):
            graph.add_edge(a, via, key=f"{channel.id}:1", channel=index, label=True)
            graph.add_edge(via, b, key=f"{channel.id}:2", channel=index, label=False)
        else:
            graph.add_edge(a, b, key=channel.id, channel=index, label=True)
    rank = {node: i for i, node in enumerate(order)}
    groups = {}
    for u, v, data in graph.edges(data=True):
        key = (u, v) if rank[u] <= rank[v] else (v, u)
        groups.setdefault(key, []).append((data["channel"], data["label"]))
    return groups


ACTORS = ("A", "B", "C", "D", "E")


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    st.permutations(ACTORS),
    st.lists(
        st.tuples(
            st.sampled_from(ACTORS), st.sampled_from(ACTORS), st.sampled_from((None, *ACTORS))
        ),
        max_size=12,
    ),
)
def test_channel_legs_keep_the_multigraphs_grouping_and_order(order, links):
    """Without networkx, the legs are grouped and ordered as its MultiGraph's edges were.

    The order decides which arc a parallel channel gets and which patch is drawn over which.
    """
    order = list(order)
    actors = dict.fromkeys(order)
    private = [
        SimpleNamespace(id=f"c{i}", between=(a, b), via=via) for i, (a, b, via) in enumerate(links)
    ]
    got = fg._channel_legs(order, private, actors)
    assert list(got.items()) == list(_legs_by_networkx(order, private, actors).items())


def _runs_clean(code: str, root) -> None:
    """``code`` runs in a fresh interpreter (so that its imports are its own) and exits 0."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=TIMEOUT,
        check=False,
    )
    assert out.returncode == 0, out.stderr


def test_channel_network_imports_no_networkx(root):
    """Drawing the channel network does not import networkx (a tenth of a second)."""
    code = (
        "import sys\n"
        "from escalsim.scenario import load_scenario\n"
        "from escalsim.viz import figures as fg\n"
        "fg.channel_network(load_scenario('hotline-1963'))\n"
        "assert 'networkx' not in sys.modules, 'networkx was imported'\n"
    )
    _runs_clean(code, root)


def test_escalation_causes(frames, tmp_path):
    _runs, _ts, ev = frames
    fig = fg.escalation_causes(ev)
    (ax,) = fig.axes
    steps = ev[ev.kind == "escalation"]
    heights = sum(p.get_height() for p in ax.patches)
    assert heights == pytest.approx(len(steps) / REPLICATIONS)
    assert_png(fig, tmp_path / "causes.png")


def test_escalation_causes_divides_by_given_replications(frames):
    _runs, _ts, ev = frames
    ax = fg.escalation_causes(ev, replications={"no_hotline": 6, "hotline": 6}).axes[0]
    steps = ev[ev.kind == "escalation"]
    assert sum(p.get_height() for p in ax.patches) == pytest.approx(len(steps) / 6)


def test_causes_match_the_model():
    assert tuple(fg.CAUSES) == tuple(MODEL_CAUSES)


# -- edge cases ---------------------------------------------------------------------------------
def test_single_condition_single_replication(frames, hotline, tmp_path):
    runs, ts, ev = frames
    one = {
        "runs": only(runs, "hotline").head(1),
        "ts": only(ts, "hotline").query("replication == 0"),
        "ev": only(ev, "hotline").query("replication == 0"),
    }
    assert_png(fg.fan_chart(one["ts"], hotline), tmp_path / "fan.png")
    assert_png(fg.war_survival(one["runs"], hotline.run.rounds), tmp_path / "war.png")
    assert_png(fg.escalation_causes(one["ev"]), tmp_path / "causes.png")
    single = pd.DataFrame(
        [
            {
                "condition": "hotline",
                "baseline": "no_hotline",
                "metric": "war",
                "estimate": 0.0,
                "lo": 0.0,
                "hi": 0.0,
            }
        ]
    )
    assert_png(fg.forest_plot(single), tmp_path / "forest.png")


def test_no_wars(frames, hotline, tmp_path):
    runs, _ts, _ev = frames
    calm = runs.assign(war=False, outcome="unresolved", end_round=hotline.run.rounds)
    fig = fg.war_survival(calm, hotline.run.rounds)
    assert_png(fig, tmp_path / "war.png")
    assert fig.axes[0].get_ylim()[1] > 0


def test_no_escalation_events(frames, tmp_path):
    _runs, _ts, ev = frames
    quiet = ev[ev.kind != "escalation"]
    fig = fg.escalation_causes(quiet)
    assert "no escalation steps" in {t.get_text() for t in fig.axes[0].texts}
    assert_png(fig, tmp_path / "causes.png")
    nothing = fg.escalation_causes(ev.iloc[0:0], replications={"hotline": 5})
    assert_png(nothing, tmp_path / "causes-empty.png")


def test_scenario_without_third_parties_or_private_channels(tmp_path):
    ipd = load_scenario("ipd-noise")  # two players, the public channel only
    assert all(a.role == "power" for a in ipd.actors)
    assert all(c.between is None for c in ipd.channels)
    assert_png(fg.channel_network(ipd), tmp_path / "net-ipd.png")
    brink = load_scenario("brinkmanship")  # two powers and a hotline, no third party
    assert_png(fg.channel_network(brink), tmp_path / "net-brink.png")
    closed = with_condition(brink, "channel_closed")
    assert_png(fg.channel_network(closed), tmp_path / "net-brink-closed.png")
    models = [
        EscalationModel(scenario=brink, condition=c, seed=3, replication=r).run()
        for c in brink.condition_names
        for r in range(2)
    ]
    ts = pd.concat([m.timeseries for m in models], ignore_index=True)
    ev = pd.concat([m.events for m in models], ignore_index=True)
    runs = pd.concat([m.outcome for m in models], ignore_index=True)
    assert_png(fg.fan_chart(ts, brink), tmp_path / "fan-brink.png")
    assert_png(fg.escalation_causes(ev), tmp_path / "causes-brink.png")
    assert_png(fg.war_survival(runs, brink.run.rounds), tmp_path / "war-brink.png")


def test_many_conditions_make_a_grid(frames, hotline, tmp_path):
    _runs, ts, _ev = frames
    relabelled = pd.concat(
        [ts.assign(condition=f"{c}_{k}") for k in range(3) for c in ("a", "b")],
        ignore_index=True,
    )
    fig = fg.fan_chart(relabelled, hotline)
    assert sum(ax.get_visible() for ax in fig.axes) == 6
    assert_png(fig, tmp_path / "fan-grid.png")


def test_empty_frames(hotline, tmp_path):
    empty = pd.DataFrame()
    assert_png(fg.fan_chart(empty, hotline), tmp_path / "fan.png")
    assert_png(fg.war_survival(empty, 30), tmp_path / "war.png")
    assert_png(fg.forest_plot(empty), tmp_path / "forest.png")
    assert_png(fg.escalation_causes(empty), tmp_path / "causes.png")


def test_ended_runs_carry_their_last_state_forward():
    rows = pd.DataFrame(
        {
            "replication": [0, 0, 0, 1, 1],
            "round": [0, 1, 2, 0, 1],
            "rung": [1, 3, 6, 1, 2],  # run 0 went to war at round 2, run 1 settled at round 1
        }
    )
    wide = fg._carry_forward(rows, np.arange(0, 5))
    assert wide[0].tolist() == [1, 3, 6, 6, 6]
    assert wide[1].tolist() == [1, 2, 2, 2, 2]


def test_wilson_interval():
    lo, hi = fg.wilson_interval(np.array([0, 10, 5]), 10)
    assert lo[0] == 0.0
    assert 0.0 < hi[0] < 0.35
    assert hi[1] == pytest.approx(1.0)
    assert lo[2] < 0.5 < hi[2]
    assert lo[2] == pytest.approx(1 - hi[2])


# -- saving -------------------------------------------------------------------------------------
def test_save_figure_replaces_and_leaves_no_temporary_file(hotline, tmp_path):
    target = tmp_path / "out" / "net.png"
    target.parent.mkdir()
    target.write_bytes(b"old contents")
    fg.save_figure(fg.channel_network(hotline), target)
    assert target.read_bytes().startswith(PNG_MAGIC)
    assert [p.name for p in target.parent.iterdir()] == ["net.png"]


def test_save_figure_cleans_up_after_a_failure(tmp_path):
    class Broken(Figure):
        def savefig(self, *args, **kwargs):
            args[0].write(b"\x89PNG partial")
            raise RuntimeError("disk full")

    target = tmp_path / "fig.png"
    target.write_bytes(b"previous")
    with pytest.raises(RuntimeError, match="disk full"):
        fg.save_figure(Broken(), target)
    assert target.read_bytes() == b"previous"  # the old file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]


def test_no_pyplot(root):
    """Neither importing the module nor drawing touches pyplot (no global figure state)."""
    code = (
        "import sys, pandas as pd\n"
        "from escalsim.scenario import load_scenario\n"
        "from escalsim.viz import figures as fg\n"
        "s = load_scenario('hotline-1963')\n"
        "runs = pd.DataFrame({'condition': ['a', 'b'], 'end_round': [3, 30], 'war': [1, 0]})\n"
        "fg.channel_network(s); fg.war_survival(runs, 30)\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
    )
    _runs_clean(code, root)


# -- issue 16, defect 11: what a figure says about its data --------------------------------------
def _texts(fig) -> str:
    parts = [fig.get_suptitle()]
    for ax in fig.axes:
        parts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        legend = ax.get_legend()
        if legend is not None:
            parts += [t.get_text() for t in legend.get_texts()]
    for legend in fig.legends:
        parts += [t.get_text() for t in legend.get_texts()]
    parts += [t.get_text() for ax in fig.axes for t in ax.get_xticklabels()]
    return "\n".join(parts)


def test_figures_of_kept_timeseries_say_how_many_of_all_the_runs_they_show(frames, hotline):
    """After `-n 300` (200 kept) the fan chart said "n = 200 runs", with no word about --keep."""
    _, ts, ev = frames
    text = _texts(fg.fan_chart(ts, hotline, replications=5))
    assert f"first {REPLICATIONS} of 5 runs, kept by --keep" in text
    assert f"n = {REPLICATIONS} runs" not in text
    kept = dict.fromkeys(CONDITIONS, REPLICATIONS)
    text = _texts(fg.escalation_causes(ev, replications=kept, total=dict.fromkeys(CONDITIONS, 5)))
    assert f"first {REPLICATIONS} of 5 runs, kept by --keep" in text
    # All runs kept: the plain count.
    assert f"n = {REPLICATIONS} runs" in _texts(fg.fan_chart(ts, hotline, replications=3))


def test_war_by_round_has_the_scenarios_time_unit(frames, hotline):
    runs, _, _ = frames
    fig = fg.war_survival(runs, hotline.run.rounds, time_unit=hotline.run.time_unit)
    assert fig.axes[0].get_xlabel() == f"round ({hotline.run.time_unit}s)"


def test_a_probability_heatmap_has_a_stated_colour_range():
    """A 0.02 difference inside overlapping CIs filled the whole colour scale."""
    rows = pd.DataFrame(
        {
            "a": [0.0, 0.0, 1.0, 1.0],
            "b": [0.0, 1.0, 0.0, 1.0],
            "estimate": [0.10, 0.11, 0.12, 0.12],
            "lo": [0.07, 0.08, 0.09, 0.09],
            "hi": [0.13, 0.14, 0.15, 0.15],
        }
    )
    fig = fg.sweep_heatmap(rows, "a", "b", "p_war")
    image = fig.axes[0].get_images()[0]
    assert image.get_clim() == (0.0, 1.0)
    assert "scale 0 to 1" in fig.axes[1].get_ylabel()
    # A metric that is not a probability keeps the data's range, and says so.
    fig = fg.sweep_heatmap(rows, "a", "b", "mean_peak_rung")
    assert fig.axes[0].get_images()[0].get_clim() == (0.10, 0.12)
    assert "scale: the data's range" in fig.axes[1].get_ylabel()
