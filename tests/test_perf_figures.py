"""The speed work on a run's figures and post-processing (issue 20) changes no result.

The figures draw the same pictures with less of matplotlib's work, and a run's summary and
differences are computed once per run however many outputs ask for them.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.ticker import MaxNLocator

from escalsim.experiment.results import FIGURES, Results
from escalsim.scenario import load_scenario
from escalsim.viz import figures as fg


@pytest.fixture(scope="module")
def results() -> Results:
    """A small two-condition run in this process, with no figures."""
    from escalsim.experiment.runner import run

    return run("hotline-1963", replications=12, seed=3, workers=1)


# -- summary and differences, computed once -------------------------------------------------------
def test_summary_and_compare_are_computed_once_per_run(results, monkeypatch):
    from escalsim.experiment import stats

    calls = {"summary": 0, "differences": 0}
    summary, differences = stats.summary, stats.differences

    def counted(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(stats, "summary", counted("summary", summary))
    monkeypatch.setattr(stats, "differences", counted("differences", differences))
    fresh = Results(results.scenario, results.runs, results.timeseries, results.events, {})
    first, again = fresh.summary(), fresh.summary()
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(fresh.compare(), fresh.compare())
    assert calls == {"summary": 1, "differences": 1}
    # Other arguments are other results.
    fresh.summary(confidence=0.9)
    fresh.compare(baseline=results.runs["condition"].iloc[-1])
    assert calls == {"summary": 2, "differences": 2}


def test_a_remembered_summary_is_the_computed_one_and_a_copy(results):
    from escalsim.experiment import stats

    fresh = Results(results.scenario, results.runs, results.timeseries, results.events, {})
    expected = stats.summary(results.runs)
    got = fresh.summary()
    pd.testing.assert_frame_equal(got, expected)
    got.loc[:, "estimate"] = -1.0  # the caller's copy: the next call is not changed by it
    pd.testing.assert_frame_equal(fresh.summary(), expected)
    pd.testing.assert_frame_equal(fresh.compare(), stats.differences(results.runs, fresh.baseline))


def test_runs_changed_in_place_or_replaced_are_summarised_again(results):
    from escalsim.experiment import stats

    fresh = Results(results.scenario, results.runs.copy(), results.timeseries, results.events, {})
    before = fresh.compare()
    fresh.runs.loc[fresh.runs.index[-1], "war"] = not bool(fresh.runs["war"].iloc[-1])
    after = fresh.compare()
    pd.testing.assert_frame_equal(after, stats.differences(fresh.runs, fresh.baseline))
    assert not after.equals(before)
    fresh.runs = results.runs
    pd.testing.assert_frame_equal(fresh.compare(), before)


def test_runs_that_cannot_be_hashed_are_summarised_each_time(results, monkeypatch):
    fresh = Results(results.scenario, results.runs, results.timeseries, results.events, {})

    def unhashable(*_args, **_kwargs):
        raise TypeError("unhashable type: 'list'")

    monkeypatch.setattr(pd.util, "hash_pandas_object", unhashable)
    pd.testing.assert_frame_equal(fresh.summary(), results.summary())


# -- the figures: the same pictures --------------------------------------------------------------
def _pixels(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


RANGES = [(-0.04, 0.48), (0.0, 0.0012), (-3.0, -1.0), (0.95, 1.02), (1e6, 1.2e6), (-1e-7, 3e-7)]


def _panel(lo: float, hi: float, freeze: bool):
    """A forest plot's panel: an estimate with its interval, a line at 0, at most 5 ticks."""
    fig = fg._figure(4.0, 1.5)
    ax = fig.subplots()
    middle = (lo + hi) / 2
    ax.errorbar([middle], [0.0], xerr=[[(hi - lo) / 4], [(hi - lo) / 4]], fmt="o")
    ax.axvline(0.0, ls="--")
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
    if freeze:
        fg._fix_ticks(ax.xaxis)
    ax.grid(axis="x", color="0.9", lw=0.8)
    return fig, ax


@pytest.mark.parametrize(("lo", "hi"), RANGES)
def test_frozen_ticks_are_the_ticks_the_locator_would_draw(lo, hi):
    free_fig, free = _panel(lo, hi, freeze=False)
    frozen_fig, frozen = _panel(lo, hi, freeze=True)
    assert frozen.get_xlim() == free.get_xlim() == (lo, hi)
    assert np.array_equal(_pixels(frozen_fig), _pixels(free_fig))
    if free.xaxis.get_major_formatter().get_offset():  # "1e6": left to matplotlib
        assert isinstance(frozen.xaxis.get_major_locator(), MaxNLocator)
        return
    tol = (hi - lo) * 1e-10
    in_view = [
        (float(v), t.get_text())
        for v, t in zip(free.get_xticks(), free.get_xticklabels(), strict=True)
        if lo - tol <= v <= hi + tol
    ]
    got = [
        (float(v), t.get_text())
        for v, t in zip(frozen.get_xticks(), frozen.get_xticklabels(), strict=True)
    ]
    assert got == in_view
    assert len(got) >= 2


def test_titles_at_a_fixed_height_are_where_matplotlib_puts_them():
    def titled(y):
        fig = fg._figure(4.0, 2.0)
        ax = fig.subplots()
        ax.plot([0, 1], [0, 1])
        ax.set_title("a title", loc="left", y=y)
        return _pixels(fig)

    assert np.array_equal(titled(fg._TITLE_Y), titled(None))


def test_fan_chart_counts_every_replication_of_a_condition():
    """The runs of a condition are counted over every actor's rows, not the powers' alone."""
    scenario = load_scenario("hotline-1963")
    power = scenario.powers[0].id
    third = next(a.id for a in scenario.actors if a.role != "power")
    rows = pd.DataFrame(
        {
            "condition": ["no_hotline"] * 3,
            "replication": [0, 1, 2],
            "round": [0, 0, 0],
            "actor": [power, power, third],  # replication 2 has no row for the powers
            "rung": [1, 2, 0],
        }
    )
    fig = fg.fan_chart(rows, scenario)
    assert fig.axes[0].get_title() == "no_hotline (n = 3 runs)"


# -- saving: the layout run once, the figure drawn once ------------------------------------------
def _png_pixels(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))


def _savefig_png(fig) -> bytes:
    """What matplotlib's ``savefig`` writes, with its dry draw for the layout."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fg._PNG_DPI, pil_kwargs={"compress_level": 3})
    return buffer.getvalue()


def _print_png(fig) -> bytes:
    buffer = io.BytesIO()
    fg._print_png(fig, buffer)
    return buffer.getvalue()


def _live(scenario) -> fg.LiveNetwork:
    return fg.LiveNetwork(
        round=3,
        rungs={a.id: i % 3 for i, a in enumerate(scenario.actors)},
        n_rungs=len(scenario.ladder.rungs),
        open={c.id: i % 2 == 0 for i, c in enumerate(scenario.channels)},
        up={c.id: i % 3 != 0 for i, c in enumerate(scenario.channels)},
    )


FIGURE_MAKERS = {
    "fan": lambda r: r.plot_fan(),
    "war": lambda r: r.plot_war(),
    "forest": lambda r: r.plot_forest(),
    "network": lambda r: r.plot_network(),
    "live network (a colour bar)": lambda r: fg.channel_network(r.scenario, live=_live(r.scenario)),
    "causes": lambda r: r.plot_causes(),
    "heatmap (a colour bar)": lambda r: fg.sweep_heatmap(
        pd.DataFrame(
            [
                {"a": a, "b": b, "estimate": 0.1 * a + 0.05 * b, "lo": 0.1 * a, "hi": 0.2 * a + b}
                for a in (1, 2, 3)
                for b in (0, 1)
            ]
        ),
        "a",
        "b",
        "p_war",
    ),
    "no data": lambda r: fg.forest_plot(pd.DataFrame()),
}


@pytest.mark.parametrize("name", list(FIGURE_MAKERS))
def test_a_saved_figure_has_the_pixels_savefig_gives_it(results, name):
    """Layout once then draw once: the pixels of savefig's dry draw then draw, saved once or twice.

    Constrained layout starts from where the last layout left the Axes, so a figure saved a
    second time may differ from its first save (the network, with its equal aspect, does):
    the second saves are compared too.
    """
    make = FIGURE_MAKERS[name]
    plain, ours = make(results), make(results)
    first_plain, second_plain = _savefig_png(plain), _savefig_png(plain)
    first_ours, second_ours = _print_png(ours), _print_png(ours)
    assert np.array_equal(_png_pixels(first_ours), _png_pixels(first_plain))
    assert np.array_equal(_png_pixels(second_ours), _png_pixels(second_plain))
    assert _png_info(first_ours) == _png_info(first_plain)


def _png_info(data: bytes) -> tuple:
    """What a reader learns of a PNG besides its pixels: size, mode, resolution, text."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.verify()  # the chunks' CRCs
    with Image.open(io.BytesIO(data)) as image:
        return image.size, image.mode, image.info.get("dpi"), image.text


def test_saving_puts_back_the_layout_engine_and_the_dpi(results, tmp_path):
    fig = results.plot_forest()
    engine, dpi = fig.get_layout_engine(), fig.dpi
    fg.save_figure(fig, tmp_path / "forest.png")
    assert fig.get_layout_engine() is engine
    assert fig.dpi == dpi


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("figure.autolayout", True),
        ("figure.constrained_layout.use", True),
        ("savefig.bbox", "tight"),
    ],
)
def test_where_the_settings_ask_for_it_saving_is_savefigs(results, setting, value, monkeypatch):
    """With a default layout engine a figure cannot be left without one, and a tight bounding
    box crops the image from the figure: savefig does all then, as it does (the direct encoder
    is not called; it would fail on a cropped image's size)."""
    import matplotlib

    def refused(*args, **kwargs):
        raise AssertionError("the direct encoder was called")

    monkeypatch.setattr(fg, "_write_png", refused)
    with matplotlib.rc_context({setting: value}):
        plain, ours = results.plot_causes(), results.plot_causes()
        engine = ours.get_layout_engine()
        expected, got = _savefig_png(plain), _print_png(ours)
    assert np.array_equal(_png_pixels(got), _png_pixels(expected))
    assert ours.get_layout_engine() is engine


# -- save_figures: automatic garbage collection off, each figure collected young -----------------
def test_save_figures_frees_each_figure_and_turns_collection_back_on(
    results, tmp_path, monkeypatch
):
    import gc
    import weakref

    saved = fg.save_figure
    figures: list[weakref.ref] = []
    enabled_while_drawing: list[bool] = []
    alive_before: list[int] = []  # earlier figures alive as each is saved (collection off)

    def recording(fig, path):
        enabled_while_drawing.append(gc.isenabled())
        alive_before.append(sum(ref() is not None for ref in figures))
        figures.append(weakref.ref(fig))
        return saved(fig, path)

    monkeypatch.setattr(fg, "save_figure", recording)
    assert gc.isenabled()
    written = results.save_figures(tmp_path)
    assert gc.isenabled()
    assert [p.name for p in written] == list(FIGURES.values())
    assert enabled_while_drawing == [False] * len(written)
    assert alive_before == [0] * len(written)  # each collected as soon as it was written


def test_save_figures_leaves_collection_as_it_found_it(results, tmp_path, monkeypatch):
    import gc

    gc.disable()
    try:
        results.save_figures(tmp_path / "a")
        assert not gc.isenabled()
    finally:
        gc.enable()

    def broken(fig, path):
        raise RuntimeError("disk full")

    monkeypatch.setattr(fg, "save_figure", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        results.save_figures(tmp_path / "b")
    assert gc.isenabled()


def test_collection_stays_off_until_the_last_of_two_overlapping_saves_ends():
    """Two threads' saves overlap: the first out does not turn collection on under the other
    (the switch is the process's); the last out turns it back on. Ordered by events, so that
    the test waits for each thread to say where it is, never for a time."""
    import gc
    import threading

    from escalsim.experiment.results import _collecting_young

    inside, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def second() -> None:
        with _collecting_young():
            inside.set()
            release.wait()
            seen.append(gc.isenabled())

    assert gc.isenabled()
    with _collecting_young():
        thread = threading.Thread(target=second)
        thread.start()
        assert inside.wait(60)
    assert not gc.isenabled()  # the first is out, the second still in
    release.set()
    thread.join(60)
    assert seen == [False]
    assert gc.isenabled()
