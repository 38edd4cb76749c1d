"""The teaching app's safety rules, without a browser (the browser tests drive the same paths).

* An upload is validated by the same loader as a file, in memory, with positioned errors, and
  capped at :data:`escalsim.teaching.app.MAX_UPLOAD_BYTES` before any byte beyond it is read.
* YAML tags that would build Python objects are errors: nothing runs.
* Scenario text reaches the page inert (no HTML, no Vue template), and the model is unchanged.
* The model accepts no scenario path from the browser; SolaraViz's Reset works.
* ``escalsim app`` serves 127.0.0.1 by default and warns when told to serve a network.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import escalsim
from conftest import with_policy_text
from escalsim.cli import cli
from escalsim.scenario import ScenarioError, load_scenario

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("solara") is None, reason="the app extra installs solara"
)


class _App:
    """``escalsim.teaching.app``, imported when a test first reads it: importing solara costs
    seconds, and every worker of the test run collects this module, most without running it."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # pytest's collection probes objects for its own attributes
            raise AttributeError(name)
        from escalsim.teaching import app as module

        return getattr(module, name)


app = _App()

HOTLINE = Path(escalsim.__file__).resolve().parent / "scenarios" / "hotline-1963.yaml"


def _problems(raw: bytes, name: str = "upload.yaml") -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        app.validate_upload(raw, name)
    return [str(p) for p in caught.value.problems]


def test_a_shipped_scenario_uploads_as_it_loads_from_its_file():
    spec = app.validate_upload(HOTLINE.read_bytes(), "upload.yaml")
    assert spec == app.display_safe(load_scenario(str(HOTLINE)))
    assert spec.id == "hotline-1963"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"id: x\nname: [unclosed\n", "upload.yaml:2:7: YAML syntax error"),
        (b"\xef\xbb\xbfid: x\n\xff\n", "upload.yaml:2:1: the file is not UTF-8 text (byte 0xff)"),
        (b"", "upload.yaml:1:1: the file is empty"),
        (b"id: a\nid: b\n", "upload.yaml:2:1: id: duplicate key 'id'"),
        (b"a: &a [*a]\n", "upload.yaml:1:4: a recursive alias"),
    ],
)
def test_a_bad_upload_gets_positioned_errors(raw, expected):
    assert any(p.startswith(expected) for p in _problems(raw)), _problems(raw)


def test_python_tags_are_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    payloads = [
        f'!!python/object/apply:os.system ["touch {marker}"]\n',
        f'id: x\nname: !!python/object/apply:os.system ["touch {marker}"]\n',
        f"!!python/object/new:subprocess.Popen [[touch, '{marker}']]\n",
        "id: !!python/name:os.system x\n",
        "id: !custom x\n",
    ]
    for text in payloads:
        problems = _problems(text.encode())
        assert any("is not allowed; write plain YAML values" in p for p in problems), problems
    assert not marker.exists()


def test_an_upload_too_big_for_a_shared_server_is_refused_at_its_field():
    text = re.sub(r"(?m)^  rounds: 30\b", "  rounds: 5000", HOTLINE.read_text("utf-8"), count=1)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("  rounds: 5000"))
    problems = _problems(text.encode())
    assert problems == [
        f"upload.yaml:{line}:3: run.rounds: 5000 rounds: the app takes uploads of at most 2000 "
        "rounds (a shared classroom server); run larger scenarios with 'escalsim run'"
    ]


class _Recorder(io.BytesIO):
    """A file object that records how many bytes were asked for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        self.asked.append(-1 if size is None else size)
        return super().read(size)


def test_an_announced_oversize_upload_is_refused_before_reading():
    fobj = _Recorder(b"x")
    info = {"name": "big.yaml", "size": app.MAX_UPLOAD_BYTES + 1, "file_obj": fobj}
    with pytest.raises(ScenarioError, match=r"big\.yaml:1:1: the upload is larger than 1 MB"):
        app.read_upload(info)
    assert fobj.asked == []


def test_an_upload_that_lies_about_its_size_is_read_only_to_the_cap():
    fobj = _Recorder(b"# padding\n" * (app.MAX_UPLOAD_BYTES // 10 + 5))
    info = {"name": "small.yaml", "size": 100, "file_obj": fobj}
    with pytest.raises(ScenarioError, match="larger than 1 MB"):
        app.read_upload(info)
    assert fobj.asked == [app.MAX_UPLOAD_BYTES + 1]


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("upload.yaml", "upload.yaml"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\crisis.yaml", "crisis.yaml"),
        ("<img src=x onerror=alert(1)>.yaml", "img_src_x_onerror_alert_1__.yaml"),
        ("", "upload.yaml"),
        ("...", "upload.yaml"),
    ],
)
def test_the_upload_name_is_only_a_label(given, shown):
    assert app.upload_name(given) == shown


def test_scenario_text_is_inert_in_the_page_and_the_model_is_unchanged():
    text = HOTLINE.read_text(encoding="utf-8")
    hostile = (
        "<img src=x onerror=alert(1)> {{ constructor.constructor('alert(1)')() }} [x](javascript:y)"
    )
    text = re.sub(r"(?m)^name: .*$", f'name: "{hostile}"', text, count=1)
    spec = app.validate_upload(text.encode(), "upload.yaml")
    for unsafe in ("<", "{{", "}}", "[x]("):
        assert unsafe not in spec.name
    assert "\\[x\\](javascript" in spec.name  # escaped for Markdown: not a link
    assert "&lt;img" in spec.name
    raw = load_scenario(str(HOTLINE))
    assert [a.id for a in spec.actors] == [a.id for a in raw.actors]
    assert [r.name for r in spec.ladder.rungs] == [r.name for r in raw.ladder.rungs]
    a, b = app.AppModel(spec=spec, seed=7), app.AppModel(spec=app.base_scenario(), seed=7)
    for _ in range(6):
        a.step()
        b.step()
    assert a.timeseries.equals(b.timeseries)


def test_the_model_takes_no_scenario_path_from_the_browser():
    with pytest.raises(ValueError, match="serves 'hotline-1963' or an uploaded scenario"):
        app.AppModel(scenario=str(HOTLINE))
    with pytest.raises(ValueError, match="not '/etc/passwd'"):
        app.AppModel(scenario="/etc/passwd")


def test_reset_rebuilds_the_model_from_solaraviz_arguments():
    # SolaraViz's Reset passes mesa's own scenario object as `scenario` (it used to raise).
    from mesa.visualization.solara_viz import _build_model_init_kwargs

    model = app.AppModel(seed=1)
    kwargs = _build_model_init_kwargs(
        model,
        {"spec": model.base_spec, "seed": 3},
        add_scenario_when_empty=True,
        require_model_accepts_scenario=True,
    )
    again = type(model)(**kwargs)
    assert again.round == 0
    assert again.base_spec is model.base_spec


def test_the_failure_hook_is_off_without_its_variable(monkeypatch):
    monkeypatch.delenv(app.TEST_HOOKS_ENV, raising=False)
    model = app.AppModel(seed=1)
    model.fail_on_step = True
    model.step()  # ignored: the hook needs ESCALSIM_APP_TEST_HOOKS=1
    monkeypatch.setenv(app.TEST_HOOKS_ENV, "1")
    with pytest.raises(RuntimeError, match="test hook"):
        model.step()


#: The environments solara was started with, by :func:`_app_command` (the last one last).
envs: list[dict[str, str]] = []


def _app_command(monkeypatch, *args: str) -> tuple[list[str], str]:
    """Run `escalsim app ARGS` in-process up to the exec, returning solara's argv and stderr."""
    seen: list[list[str]] = []

    def fake_execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        seen.append(list(argv))
        envs.append(dict(env))
        raise SystemExit(0)

    monkeypatch.setattr(os, "execve", fake_execve)
    result = CliRunner().invoke(cli, ["app", *args])
    assert result.exit_code == 0, result.output
    return seen[0], result.stderr


def test_the_app_serves_localhost_by_default_without_a_warning(monkeypatch):
    argv, err = _app_command(monkeypatch)
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert "warning" not in err


def test_the_app_turns_solaras_telemetry_and_banner_off_unless_told_otherwise(monkeypatch):
    """Solara's telemetry calls home (refused offline) and its banner covers the feed: off by
    default, and a user's own setting in the environment wins."""
    monkeypatch.delenv("SOLARA_THEME_SHOW_BANNER", raising=False)
    monkeypatch.delenv("SOLARA_TELEMETRY_MIXPANEL_ENABLE", raising=False)
    _app_command(monkeypatch)
    assert envs[-1]["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert envs[-1]["SOLARA_THEME_SHOW_BANNER"] == "False"
    monkeypatch.setenv("SOLARA_THEME_SHOW_BANNER", "True")
    _app_command(monkeypatch)
    assert envs[-1]["SOLARA_THEME_SHOW_BANNER"] == "True"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "classroom.example"])
def test_serving_a_network_prints_a_warning(monkeypatch, host):
    argv, err = _app_command(monkeypatch, "--host", host)
    assert argv[argv.index("--host") + 1] == host
    assert f"warning: --host {host} serves the app beyond this machine" in err


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_hosts_need_no_warning(monkeypatch, host):
    _argv, err = _app_command(monkeypatch, "--host", host)
    assert "warning" not in err


# -- the explorer's session: Steps queued, never lost; figures drawn when they change ----------
def _session(spec=None, **kwargs: Any):  # type: ignore[no-untyped-def]
    """An explorer session on ``spec`` (default ukraine-talks-2022: 40 rounds) and what it
    publishes (views, busy states, errors)."""
    spec = spec or app.display_safe(load_scenario("ukraine-talks-2022"))
    values = {k: v["value"] for k, v in app.controls(spec).items()}
    cls = app.session_model(spec)
    seen: dict[str, list[Any]] = {"views": [], "busy": [], "errors": []}
    session = app.ExplorerSession(
        lambda: cls(**values),
        seen["views"].append,
        seen["busy"].append,
        seen["errors"].append,
        **kwargs,
    )
    return session, seen


def test_steps_clicked_while_one_runs_are_all_run_and_drawn_once():
    session, seen = _session(slow_step=0.05)
    for _ in range(6):  # six clicks, faster than the Steps run
        session.step()
    assert session.wait(120)
    assert session.view.round == 6
    assert not seen["errors"]
    assert seen["busy"][0] == app.Busy(queued=1, working=True)  # the first click, at once
    assert seen["busy"][-1] == app.Busy()  # and the work ended idle
    assert seen["views"][-1].round == 6
    # The intermediate rounds were not drawn: one drawing at the start, one for round 6 (a
    # click or two may land after the queue emptied: then a round more is drawn).
    assert session.figures.draws["postures"] <= 3


def test_a_switch_redraws_the_network_only_and_a_reset_drops_the_queue():
    session, seen = _session()
    session.step()
    assert session.wait(120)
    draws = dict(session.figures.draws)
    cid, was_open = session.view.switches[0]
    session.set_channel(cid, not was_open)
    assert session.figures.draws == {**draws, "network": draws["network"] + 1}
    assert dict(session.view.switches)[cid] is (not was_open)
    assert seen["views"][-1] is session.view  # published: the page shows it
    # A Reset empties the queue and starts again at round 0.
    session_slow, _ = _session(slow_step=0.2)
    for _ in range(5):
        session_slow.step()
    session_slow.reset()
    assert session_slow.wait(120)
    assert session_slow.view.round == 0
    assert session_slow.model.round == 0


def test_a_step_that_raises_reaches_the_page_as_an_error(monkeypatch):
    monkeypatch.setenv(app.TEST_HOOKS_ENV, "1")
    spec = app.base_scenario()
    values = {k: v["value"] for k, v in app.controls(spec).items()}
    cls = app.session_model(spec, fail_on_step=True)
    errors: list[BaseException] = []
    session = app.ExplorerSession(
        lambda: cls(**values), lambda v: None, lambda b: None, errors.append
    )
    session.step()
    assert session.wait(60)
    assert len(errors) == 1
    assert "test hook" in str(errors[0])
    assert session.busy == app.Busy()


def test_every_slider_label_shows_its_value():
    spec = app.base_scenario()
    params = app.controls(spec)
    assert app.control_label(params["seed"], 16) == "Seed: 16"
    assert app.control_label(params["public_noise"], 0.35) == "Noise of public statements: 0.35"
    assert app.control_label(params["incident_scale"], 1.25) == "Accidents (incident scale): 1.25"
    assert app.control_label(params["implementation_error"], 0.01).endswith(": 0.01")
    assert app.control_label(params["open_hotline"], True) == params["open_hotline"]["label"]


def test_the_postures_chart_is_an_svg_of_both_powers_true_and_seen_postures():
    spec = app.display_safe(load_scenario("ukraine-talks-2022"))
    model = app.AppModel(spec=spec, seed=224)
    for _ in range(4):
        model.step()
    svg = app.postures_svg(model)
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    # Two paths per power (true, as seen), a label for every rung, ticks up to the round.
    assert svg.count("<path ") == 4
    for rung in spec.ladder.rungs:
        assert f">{rung.name}</text>" in svg
    assert ">4</text>" in svg
    assert "USA as RUS saw it (next round)" in svg
    assert app.integer_ticks(40) == [0, 5, 10, 15, 20, 25, 30, 35, 40]
    assert app.integer_ticks(7) == list(range(8))
    assert app.integer_ticks(2000)[-1] == 2000


def test_the_feed_is_html_in_which_a_scenarios_names_are_text():
    hostile = app.safe_text("<img src=x onerror=alert(1)> [x](javascript:1) {{ 40 + 2 }} & co")
    out = app.feed_html([(3, f"{hostile} stepped up to *alert*."), (2, "Nothing.")])
    assert out.startswith('<li><strong style="font-weight: 700">3</strong> ')
    assert "<img" not in out
    assert "&lt;img src=x onerror=alert(1)&gt;" in out
    assert "[x](javascript:1)" in out  # Markdown's escapes undone: it is not Markdown here
    assert "&amp; co" in out
    assert "<em>alert</em>" in out
    assert out.count("<li>") == 2


def test_an_upload_with_a_language_model_actor_is_refused():
    """A hosted app must not call a server an uploader chose (nor send it a key)."""
    text = HOTLINE.read_text("utf-8")
    actor = load_scenario(str(HOTLINE)).actors[0]
    policy = "    policy: {name: llm, model: m, base_url: 'https://evil.example/v1'}\n"
    # Its policy replaced, whether it had one (the rebuilt powers bargain) or not.
    raw = with_policy_text(text, actor.id, policy).encode()
    problems = _problems(raw)
    assert len(problems) == 1
    assert "language model" in problems[0]
    assert "escalsim run" in problems[0]
    assert re.match(r"upload\.yaml:\d+:\d+: actors\[0\]\.policy: ", problems[0]), problems[0]
