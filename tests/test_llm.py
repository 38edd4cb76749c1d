"""The llm policy against a fake OpenAI-compatible server started by the tests.

The server (tests/llm_fake_server.py) listens on a free port and answers as each test scripts
it: valid JSON, malformed JSON, refusals, a server that never answers, 429 with Retry-After,
500s, a connection dropped. Waits between retries go to a recorder, never to the clock, so no
test depends on how long anything takes.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import run_cli_in_process, with_policy_text
from escalsim.errors import LLMBudgetError, LLMError, ScenarioError
from escalsim.experiment.runner import run
from escalsim.llm.prompt import InvalidAnswerError, parse_answer
from escalsim.llm.session import RECORDING
from escalsim.scenario import load_scenario, with_settings
from llm_fake_server import FakeServer, move_answer

BASE = load_scenario("generic-dispute")
ROUNDS = 3
SECRET = "sk-test-0123456789abcdef-SECRET"


def llm_file(folder: Path, name: str, policy: str) -> Path:
    """generic-dispute written to ``folder/name`` with power A's policy the flow map ``policy``."""
    text = (Path(__file__).parents[1] / "scenarios" / "generic-dispute.yaml").read_text("utf-8")
    path = folder / name
    path.write_text(
        text.replace("    role: power\n", f"    role: power\n    policy: {policy}\n", 1), "utf-8"
    )
    return path


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Every test has its own shared cache: no answer leaks between tests."""
    monkeypatch.setenv("ESCALSIM_LLM_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def serve():
    """Start fake servers for a test (each waits until it listens) and stop them after."""
    started: list[FakeServer] = []

    def start(script: Any, host: str = "127.0.0.1") -> FakeServer:
        server = FakeServer(script, host=host).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def scenario(server: FakeServer | str, **policy: Any) -> Any:
    """generic-dispute with power A played by the fake server's model."""
    url = server if isinstance(server, str) else server.base_url
    spec = {"name": "llm", "model": "fake", "base_url": url, "retries": 0, **policy}
    return with_settings(BASE, {"actors.A.policy": spec, "run.rounds": ROUNDS})


def recorded_waits() -> tuple[list[float], Any]:
    waits: list[float] = []
    return waits, waits.append


#: One condition: each test's requests are those of one task, in order.
FIRST = [next(iter(BASE.conditions))]


def go(spec: Any, out: Path | None = None, *, resume: bool = False, **llm: Any) -> Any:
    """Two replications of the first condition, seed 7, no twin, no figures; ``llm`` options."""
    return run(
        spec,
        replications=2,
        seed=7,
        twin=False,
        conditions=FIRST,
        out=out,
        resume=resume,
        plots=False,
        llm=llm,
    )


def llm_events(results: Any) -> pd.DataFrame:
    ev = results.events
    return ev[ev["kind"].isin(["llm", "llm_fallback"])]


# -- answers: valid, repaired, refused, fallback --------------------------------------------------
def test_valid_answers_are_played_and_logged_with_prompt_and_rationale(serve):
    server = serve(lambda body, headers, n: move_answer("step_up", message="We stand firm."))
    results = go(scenario(server))
    events = llm_events(results)
    assert set(events["kind"]) == {"llm"}
    assert set(events["move"]) == {"step_up"}
    detail = json.loads(events["detail"].iloc[0])
    assert detail["status"] == "ok"
    assert detail["rationale"] == "I step_up."
    assert "You lead State A" in detail["prompt"]
    assert detail["message"] == "We stand firm."
    # A climbs every round it decides (the ladder has room for ROUNDS steps).
    moves = results.timeseries.query("actor == 'A'")
    assert moves["rung"].max() > 1
    counts = results.manifest["llm"]["actors"]["A"]
    assert counts["calls"] == len(server.requests) > 0
    assert counts.get("fallbacks", 0) == 0
    assert "not from the seed alone" in results.manifest["llm"]["reproducible"]


def test_an_invalid_answer_is_repaired_with_the_reason(serve):
    def script(body, headers, n):
        if len(body["messages"]) == 2:  # first ask: malformed
            return '{"move": "hold", "rationale": '
        return move_answer("hold")

    server = serve(script)
    results = go(scenario(server, max_repairs=2))
    counts = results.manifest["llm"]["actors"]["A"]
    assert counts["repairs"] == counts["invalid"] > 0
    assert counts.get("fallbacks", 0) == 0
    repair = next(r for r in server.requests if len(r["body"]["messages"]) == 4)
    assert "not a JSON object" in repair["body"]["messages"][-1]["content"]
    assert {json.loads(d)["status"] for d in llm_events(results)["detail"]} == {"repaired"}


@pytest.mark.parametrize(
    "bad",
    [
        "I would rather not say.",  # not JSON
        json.dumps({"move": "nuke", "rationale": "x"}),  # not a move
        json.dumps({"move": "hold"}),  # no rationale
        json.dumps({"move": "hold", "rationale": "x", "offer": 2}),  # offer out of range
        ("refusal", "I cannot help with war planning."),
    ],
)
def test_answers_never_valid_fall_back_counted_and_logged(serve, bad):
    server = serve(lambda body, headers, n: bad)
    results = go(scenario(server, max_repairs=1, fallback="step_down"))
    counts = results.manifest["llm"]["actors"]["A"]
    assert counts["fallbacks"] > 0
    assert counts["repairs"] == counts["fallbacks"]
    if isinstance(bad, tuple):
        assert counts["refusals"] == counts["invalid"]
    events = llm_events(results)
    assert set(events["kind"]) == {"llm_fallback"}
    assert set(events["move"]) == {"step_down"}
    # every question asked twice (one repair), never more
    assert all(len(r["body"]["messages"]) in (2, 4) for r in server.requests)


def test_a_move_not_available_is_invalid():
    with pytest.raises(InvalidAnswerError, match="move must be one of"):
        parse_answer(move_answer("accept"), ("step_down", "hold", "step_up"), bargains=True)
    with pytest.raises(InvalidAnswerError, match="cannot make offers"):
        parse_answer(move_answer("hold", offer=0.5), ("hold",), bargains=False)
    got = parse_answer("```json\n" + move_answer("hold", offer=0.25) + "\n```", ("hold",), True)
    assert got.offer == 0.25


def _parts(content: Any, usage: Any = None) -> tuple[int, dict[str, Any], dict[str, str]]:
    message = {"role": "assistant", "content": content}
    body: dict[str, Any] = {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
    if usage is not None:
        body["usage"] = usage
    return (200, body, {})


def test_a_content_of_parts_is_read_as_its_text_and_odd_shapes_are_invalid(serve):
    """Some servers send content as a list of parts: their text is joined. Content of another
    shape, or usage counts that are not numbers, are an invalid answer or an estimate, never a
    crash."""
    answer = move_answer("step_up")
    half = len(answer) // 2
    parts = [{"type": "text", "text": answer[:half]}, {"type": "text", "text": answer[half:]}]
    server = serve(lambda body, headers, n: _parts(parts, {"prompt_tokens": "many"}))
    events = llm_events(go(scenario(server)))
    assert set(events["move"]) == {"step_up"}
    assert {json.loads(d)["status"] for d in events["detail"]} == {"ok"}
    server.script = lambda body, headers, n: _parts({"weird": True})
    results = go(scenario(server, max_repairs=1), cache=False)
    assert set(llm_events(results)["kind"]) == {"llm_fallback"}


def test_without_httpx_the_error_names_the_extra(serve, monkeypatch):
    server = serve(lambda body, headers, n: move_answer())
    monkeypatch.setitem(sys.modules, "httpx", None)  # import httpx raises ImportError
    with pytest.raises(LLMError, match=re.escape("pip install 'escalsim[llm]'")):
        go(scenario(server))
    assert server.requests == []


# -- transport: retries, backoff, timeouts --------------------------------------------------------
def test_429_and_500_are_retried_with_retry_after_then_backoff(serve):
    def script(body, headers, n):
        if n == 0:
            return (429, {"error": {"message": "slow down"}}, {"Retry-After": "7"})
        if n == 1:
            return (500, {"error": {"message": "oops"}}, {})
        return move_answer("hold")

    server = serve(script)
    waits, sleep = recorded_waits()
    results = go(scenario(server, retries=3, concurrency=1), sleep=sleep)
    assert waits[:2] == [7.0, 2.0]  # Retry-After, then backoff 1 s doubled at the 2nd retry
    assert llm_events(results)["move"].eq("hold").all()


def test_a_server_that_never_answers_times_out(serve):
    server = serve(lambda body, headers, n: "hang")
    waits, sleep = recorded_waits()
    with pytest.raises(LLMError, match=r"did not answer after 2 attempts: no answer within 0.2 s"):
        go(scenario(server, timeout=0.2, retries=1, concurrency=1), sleep=sleep)
    assert waits == [1.0]


def test_a_refused_key_is_not_retried(serve, monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", SECRET)
    server = serve(lambda body, headers, n: (401, {"error": {"message": "bad key"}}, {}))
    with pytest.raises(LLMError, match=r"HTTP 401.*check the key in TEST_LLM_KEY"):
        go(scenario(server, api_key_env="TEST_LLM_KEY", retries=3, concurrency=1))
    assert len(server.requests) == 1


def test_an_unset_key_variable_is_named(serve, monkeypatch):
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    server = serve(lambda body, headers, n: move_answer())
    with pytest.raises(LLMError, match=r"NO_SUCH_KEY_VAR .* is not set"):
        go(scenario(server, api_key_env="NO_SUCH_KEY_VAR"))
    assert server.requests == []


# -- record, replay, resume, budget ---------------------------------------------------------------
def test_a_recorded_run_replays_byte_identically_offline(serve, tmp_path):
    server = serve(lambda body, headers, n: move_answer(["hold", "step_up"][n % 2]))
    first = tmp_path / "first"
    go(scenario(server, temperature=0.7), out=first)
    assert (first / RECORDING).is_file()
    manifest = json.loads((first / "manifest.json").read_text())
    assert "llm/calls.jsonl" in manifest["files"].values()
    # docs/llm.md: the manifest holds the model and the template (null: the shipped one).
    policy = next(a["policy"] for a in manifest["scenario"]["actors"] if a["id"] == "A")
    assert (policy["model"], policy["template"]) == ("fake", None)
    assert "escalsim" in manifest["versions"]
    server.stop()  # the network is off: nothing listens there any more
    again = tmp_path / "again"
    go(scenario(server, temperature=0.7), out=again, replay=[first], cache=False)
    for name in ("runs.parquet", "events.parquet", "timeseries.parquet"):
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    replayed = json.loads((again / "manifest.json").read_text())["llm"]["actors"]["A"]
    assert replayed.get("calls", 0) == 0
    assert replayed["replayed"] > 0


def test_a_gzipped_recording_replays_as_the_plain_one(serve, tmp_path):
    """A recording shipped compressed (``.gz``, as notebooks/data's) replays to the same runs;
    a damaged one is refused with a message naming the file."""
    import gzip

    server = serve(lambda body, headers, n: move_answer(["hold", "step_up"][n % 3 == 0]))
    first = tmp_path / "first"
    go(scenario(server), out=first)
    server.stop()
    packed = tmp_path / "calls.jsonl.gz"
    packed.write_bytes(gzip.compress((first / RECORDING).read_bytes()))
    again = tmp_path / "again"
    go(scenario(server), out=again, replay=[packed], cache=False)
    for name in ("runs.parquet", "events.parquet"):
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(b"not gzip at all")
    with pytest.raises(LLMError, match=r"broken\.jsonl\.gz"):
        go(scenario(server), out=tmp_path / "no", replay=[broken], cache=False)


def test_a_replay_reads_only_the_recording_not_the_shared_cache(serve, tmp_path):
    server = serve(lambda body, headers, n: move_answer())
    go(scenario(server))  # answers in the shared cache, no recording
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", "utf-8")
    with pytest.raises(LLMError, match=r"no recorded answer .* network is off"):
        go(scenario(server), out=tmp_path / "again", replay=[empty])


def test_a_half_written_last_line_is_cut_before_appending(serve, tmp_path):
    """A hard kill can leave the recording's last line half-written: a resume cuts it, so the
    answers it appends are whole lines and the recording reads back."""
    from escalsim.llm.session import Recording

    server = serve(lambda body, headers, n: move_answer("hold"))
    out = tmp_path / "run"
    spec = scenario(server, budget={"calls": 2}, concurrency=1)
    with pytest.raises(LLMBudgetError):
        go(spec, out=out, cache=False)
    recording = tmp_path / ".run.partial" / RECORDING
    with recording.open("a", encoding="utf-8") as f:
        f.write('{"key": "0123abc", "content": "half')  # killed mid-line
    go(spec, out=out, resume=True, cache=False, max_calls=1000)
    lines = (out / RECORDING).read_text("utf-8").splitlines()
    assert all(json.loads(line)["key"] != "0123abc" for line in lines)
    assert len(Recording.read(out / RECORDING)) == len(lines)


def test_replay_of_another_scenario_fails_offline_naming_the_question(serve, tmp_path):
    server = serve(lambda body, headers, n: move_answer())
    first = tmp_path / "first"
    go(scenario(server), out=first)
    other = with_settings(scenario(server), {"actors.A.policy.template": "Round $round: move?"})
    with pytest.raises(LLMError, match=r"no recorded answer .* network is off"):
        go(other, out=tmp_path / "other", replay=[first], cache=False)


def test_the_cache_makes_a_repeated_run_free(serve, tmp_path):
    server = serve(lambda body, headers, n: move_answer())
    go(scenario(server))
    sent = len(server.requests)
    results = go(scenario(server))
    assert len(server.requests) == sent
    assert results.manifest["llm"]["actors"]["A"].get("calls", 0) == 0


def test_sampled_answers_are_drawn_per_seed_not_shared_across_seeds(serve):
    """At temperature > 0 the draw is (root seed, replication): another --seed draws afresh even
    for the same prompt; the same seed again is free (the shared cache)."""
    server = serve(lambda body, headers, n: move_answer("hold"))
    spec = scenario(server, temperature=0.7)

    def asked(seed: int) -> list[str]:
        before = len(server.requests)
        run(spec, replications=2, seed=seed, twin=False, conditions=FIRST, plots=False)
        return [json.dumps(r["body"], sort_keys=True) for r in server.requests[before:]]

    first = asked(1)
    assert first
    assert asked(1) == []  # the same seed: every answer from the cache
    second = asked(2)
    assert set(first) & set(second)  # the same prompt, asked again for seed 2's draw
    # Greedy decoding shares its answers across seeds.
    greedy = scenario(server, temperature=0.0)
    run(greedy, replications=2, seed=1, twin=False, conditions=FIRST, plots=False)
    sent = len(server.requests)
    results = run(greedy, replications=2, seed=2, twin=False, conditions=FIRST, plots=False)
    assert results.manifest["llm"]["actors"]["A"].get("cached", 0) > 0
    assert len(server.requests) - sent < results.manifest["llm"]["actors"]["A"]["questions"]


def test_the_budget_stops_cleanly_and_a_resume_pays_only_for_new_calls(serve, tmp_path):
    server = serve(lambda body, headers, n: move_answer("hold"))
    out = tmp_path / "run"
    with pytest.raises(LLMBudgetError, match="budget of 2 calls is spent"):
        go(scenario(server, budget={"calls": 2}, concurrency=1), out=out, cache=False)
    assert not out.exists()
    work = tmp_path / ".run.partial"
    lines = (work / RECORDING).read_text().splitlines()
    assert len(lines) == 2
    assert len(server.requests) == 2
    results = run(
        scenario(server, budget={"calls": 2}, concurrency=1),
        replications=2,
        twin=False,
        conditions=FIRST,
        out=out,
        resume=True,
        plots=False,
        llm={"max_calls": 1000, "cache": False},
    )
    asked = [json.dumps(r["body"], sort_keys=True) for r in server.requests]
    assert len(asked) == len(set(asked))  # no question was paid for twice
    assert results.manifest["llm"]["actors"]["A"]["calls_paid"] == len(server.requests)
    assert (out / RECORDING).is_file()


def test_a_resume_that_makes_no_progress_keeps_the_recording(serve, tmp_path):
    """A budget stop before any part finished, resumed with the same budget (stopped again at
    once): the recording still holds every answer paid for, and a larger budget then pays only
    for new questions."""
    server = serve(lambda body, headers, n: move_answer("hold"))
    out = tmp_path / "run"
    spec = scenario(server, budget={"calls": 2}, concurrency=1)
    recording = tmp_path / ".run.partial" / RECORDING

    def again(**llm: Any) -> Any:
        return go(spec, out=out, resume=True, **{"cache": False, **llm})

    with pytest.raises(LLMBudgetError):
        go(spec, out=out, cache=False)
    paid = recording.read_text().splitlines()
    assert len(paid) == len(server.requests) == 2
    with pytest.raises(LLMBudgetError):
        again()
    assert len(server.requests) == 2
    assert recording.read_text().splitlines() == paid
    results = again(max_calls=1000)
    asked = [json.dumps(r["body"], sort_keys=True) for r in server.requests]
    assert len(asked) == len(set(asked))  # no question was paid for twice
    assert results.manifest["llm"]["actors"]["A"]["calls_paid"] == len(server.requests)


def test_the_token_budget_is_held_before_sending_not_overspent_by_concurrency(serve):
    """Requests in flight at once hold their estimated tokens: with a budget one request
    spends, four questions asked four at a time send one request, not four."""
    import threading

    arrived = threading.Semaphore(0)

    def script(body, headers, n):
        arrived.release()
        # Answer once four requests are in, or after 2 s (only one ever comes with the fix).
        for _ in range(3):
            if not arrived.acquire(timeout=2):
                break
        return move_answer("hold")

    server = serve(script)
    spec = scenario(server, temperature=0.7, concurrency=4, budget={"calls": None, "tokens": 1})
    with pytest.raises(LLMBudgetError, match="budget of 1 tokens is spent"):
        run(spec, replications=4, seed=7, twin=False, conditions=FIRST, plots=False)
    assert len(server.requests) == 1


def test_nothing_is_lost_when_the_server_dies_mid_run(serve, tmp_path):
    alive = {"n": 3}

    def dying(body, headers, n):
        return move_answer("step_up") if n < alive["n"] else "close"

    server = serve(dying)
    out = tmp_path / "run"
    with pytest.raises(LLMError, match="did not answer"):
        go(scenario(server, concurrency=1), out=out, cache=False)
    paid = len((tmp_path / ".run.partial" / RECORDING).read_text().splitlines())
    assert paid == 3
    alive["n"] = 10**6  # the server is back
    results = go(scenario(server, concurrency=1), out=out, resume=True, cache=False)
    answered = server.requests[3:]
    asked = [json.dumps(r["body"], sort_keys=True) for r in server.requests]
    # The dropped request was asked again; no answered question was asked twice.
    assert len(set(asked)) == len(asked) - 1
    assert answered
    assert llm_events(results)["move"].eq("step_up").all()


def test_ctrl_c_while_waiting_stops_sending_and_records_what_arrived(serve, tmp_path, monkeypatch):
    """Ctrl-C in the thread waiting for answers: nothing more is sent, the answers already in
    are recorded, and the interrupt goes on (the wait is interrupted by a hook, not a clock)."""
    import threading

    from escalsim.llm.session import Session

    second, gate = threading.Event(), threading.Event()

    def script(body, headers, n):
        if n > 0:
            second.set()
            gate.wait(5)  # answers once the interrupt is handled (at most 5 s: never a deadlock)
        return move_answer("hold")

    server = serve(script)
    waited = {"n": 0}

    def wait(future):
        waited["n"] += 1
        if waited["n"] == 1:
            return future.result()
        assert second.wait(30)  # the second request is in flight
        raise KeyboardInterrupt

    monkeypatch.setattr(Session, "_wait", staticmethod(wait))
    with pytest.raises(KeyboardInterrupt):
        run(
            scenario(server, temperature=0.7, concurrency=1),
            replications=4,
            seed=7,
            twin=False,
            conditions=FIRST,
            out=tmp_path / "run",
            plots=False,
            llm={"cache": False},
        )
    gate.set()  # the request in flight is answered, too late to be waited for
    for thread in threading.enumerate():
        if thread.name.startswith("escalsim-llm"):
            thread.join(30)
    assert len(server.requests) == 2  # the answered one and the one in flight; no more
    lines = (tmp_path / ".run.partial" / RECORDING).read_text().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["source"] == "live"


def test_what_an_llm_actor_said_is_heard_only_in_its_own_run(serve):
    """Messages between LLM actors belong to one run (condition, chunk): a later run in the
    same session, where the other actor is not a model, hears nothing it said before."""
    from escalsim.llm.session import Session, activate

    server = serve(lambda body, headers, n: move_answer("hold", message="We said this before."))
    # Its two private channels open from round 1, as they were before the rebuild (issue 19
    # closes them until rounds 7 and 8): a message needs a channel between the two to be heard,
    # and the later run's silence means something only where it could have been heard.
    base = with_settings(
        load_scenario("hotline-1963"),
        {"channels.embassy_cable.open": True, "channels.rfk_dobrynin.open": True},
    )
    first, second = (a.id for a in base.actors[:2])
    policy = {"name": "llm", "model": "fake", "base_url": server.base_url, "retries": 0}
    both = with_settings(
        base, {f"actors.{first}.policy": policy, f"actors.{second}.policy": policy}
    )
    alone = with_settings(base, {f"actors.{first}.policy": policy})
    one = [next(iter(base.conditions))]
    heard = 'said: "We said this before."'

    def prompts(since: int) -> list[str]:
        return [r["body"]["messages"][1]["content"] for r in server.requests[since:]]

    with activate(Session(cache=False)):
        run(both, replications=1, seed=1, twin=False, conditions=one, plots=False, rounds=3)
        assert any(heard in p for p in prompts(0))  # between two models: heard
        sent = len(server.requests)
        run(alone, replications=1, seed=1, twin=False, conditions=one, plots=False)
    later = prompts(sent)
    assert later
    assert not any(heard in p for p in later)


# -- exact miscalculation -------------------------------------------------------------------------
def test_ask_truth_counts_miscalculations_as_for_every_policy(serve):
    """A decision is a miscalculation exactly where the answer on the truth-rendered prompt
    differs from the answer on the perceived one (the round's own count and log)."""

    def script(body, headers, n):
        text = body["messages"][1]["content"]
        seen = re.search(r"posture as you perceive it: \w+ \(rung (\d)\)", text)
        return move_answer("step_up" if seen and seen.group(1) in "02" else "hold")

    server = serve(script)

    def decisions(ask_truth: bool) -> tuple[dict[Any, dict[str, str]], set[Any]]:
        spec = scenario(server, ask_truth=ask_truth)
        ev = run(spec, replications=30, seed=3, twin=False, conditions=FIRST, plots=False).events
        mine = ev[(ev["actor"] == "A")]
        moves: dict[Any, dict[str, str]] = {}
        for row in mine[mine["kind"] == "llm"].itertuples():
            view = json.loads(row.detail)["view"]
            moves.setdefault((row.replication, row.round), {})[view] = row.move
        wrong = mine[mine["kind"] == "miscalculation"]
        return moves, set(zip(wrong["replication"], wrong["round"], strict=True))

    moves, wrong = decisions(ask_truth=True)
    differ = {k for k, m in moves.items() if m["perceived"] != m["truth"]}
    assert differ
    assert differ == wrong
    moves, wrong = decisions(ask_truth=False)
    assert wrong == set()
    assert all(set(m) == {"perceived"} for m in moves.values())


# -- security -------------------------------------------------------------------------------------
def test_the_api_key_never_appears_in_the_run_folder_events_or_errors(serve, tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", SECRET)

    def echo(body, headers, n):
        # A hostile server echoes the Authorization header back in every answer.
        if n % 3 == 2:
            return (400, {"error": {"message": headers.get("authorization", "")}}, {})
        return json.dumps(
            {"move": "hold", "rationale": headers.get("authorization", ""), "message": SECRET}
        )

    server = serve(echo)
    assert server  # started
    out = tmp_path / "run"
    with pytest.raises(LLMError) as caught:
        go(scenario(server, api_key_env="TEST_LLM_KEY", concurrency=1), out=out)
    assert SECRET not in str(caught.value)
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {SECRET}"
    server.script = lambda body, headers, n: json.dumps(
        {"move": "hold", "rationale": headers.get("authorization", ""), "message": SECRET}
    )
    results = run(
        scenario(server, api_key_env="TEST_LLM_KEY"),
        replications=2,
        seed=7,
        twin=False,
        conditions=FIRST,
        out=out,
        resume=True,
        plots=False,
    )
    for path in [*out.rglob("*"), *(tmp_path / "cache").rglob("*")]:
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert not results.events.astype(str).apply(lambda c: c.str.contains(SECRET)).any().any()
    assert "[redacted]" in (out / RECORDING).read_text()


def test_a_key_goes_only_to_a_host_the_user_allows(serve, tmp_path, monkeypatch):
    """A scenario chooses base_url and api_key_env: a key is sent only to a local host or one
    listed in ESCALSIM_LLM_KEY_HOSTS, else the run is refused before any request (exit 2)."""
    monkeypatch.setenv("TEST_LLM_KEY", SECRET)
    monkeypatch.delenv("ESCALSIM_LLM_KEY_HOSTS", raising=False)
    # 127.0.0.2 is this machine, but not a name the allowlist knows: it stands for evil.example.
    server = serve(lambda body, headers, n: move_answer(), host="127.0.0.2")
    spec = scenario(server, api_key_env="TEST_LLM_KEY")
    with pytest.raises(LLMError) as caught:
        go(spec)
    message = str(caught.value)
    for needed in ("TEST_LLM_KEY", "'127.0.0.2'", "ESCALSIM_LLM_KEY_HOSTS", "actor A"):
        assert needed in message
    assert SECRET not in message
    assert server.requests == []
    # Without a key, nothing is sent that needs allowing.
    go(scenario(server))
    asked = len(server.requests)
    assert asked > 0
    assert all("authorization" not in r["headers"] for r in server.requests)
    # The command line: exit 2, the message, no traceback.
    policy = f"{{name: llm, model: fake, base_url: '{server.base_url}', api_key_env: TEST_LLM_KEY}}"
    path = llm_file(tmp_path, "keyed.yaml", policy)
    done = run_cli_in_process("run", str(path), "--replications", "2", "--out", str(tmp_path / "r"))
    assert done.returncode == 2, done.stderr
    assert "ESCALSIM_LLM_KEY_HOSTS" in done.stderr
    assert "Traceback" not in done.stderr
    assert SECRET not in done.stderr + done.stdout
    assert len(server.requests) == asked
    # Allowed by the user: the key is sent.
    monkeypatch.setenv("ESCALSIM_LLM_KEY_HOSTS", "api.example.org, 127.0.0.2")
    go(spec, cache=False)
    assert server.requests[-1]["headers"]["authorization"] == f"Bearer {SECRET}"


def test_a_servers_body_is_quoted_short_and_redacted(serve, monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", SECRET)
    noise = "<html>\n" + "x" * 5000 + SECRET + "</html>"
    server = serve(lambda body, headers, n: (400, {"error": noise}, {}))
    with pytest.raises(LLMError) as caught:
        go(scenario(server, api_key_env="TEST_LLM_KEY", concurrency=1))
    message = str(caught.value)
    assert "HTTP 400" in message
    assert "\n" not in message
    assert SECRET not in message
    assert len(message) < 300


def test_a_scenario_that_holds_a_key_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match="must not contain an API key"):
        with_settings(BASE, {"actors.A.policy": {"name": "llm", "model": "m", "api_key": SECRET}})
    with pytest.raises(ScenarioError, match="must name an environment variable"):
        with_settings(
            BASE, {"actors.A.policy": {"name": "llm", "model": "m", "api_key_env": SECRET}}
        )
    path = llm_file(tmp_path, "keyed.yaml", f"{{name: llm, model: m, api_key: {SECRET}}}")
    done = run_cli_in_process("run", str(path), "--llm-dry-run")
    assert done.returncode == 2, done.stderr
    assert "must not contain an API key" in done.stderr
    assert "keyed.yaml" in done.stderr
    assert "Traceback" not in done.stderr
    assert SECRET not in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://user:sk-abc@api.example.org/v1", "must not carry credentials"),
        ("https://api.example.org/v1?api-key=sk-abc", "must not have a query"),
        ("https://api.example.org/v1#sk-abc", "must not have a fragment"),
        ("ftp://api.example.org/v1", "must start with http:// or https://"),
        ("localhost:11434/v1", "must start with http:// or https://"),
        ("api.example.org/v1", "must start with http:// or https://"),
        ("http://[::1/v1", "is not a valid URL"),
        ("http://localhost:port/v1", "is not a valid URL"),
        ("http:///v1", "must name a host"),
        ("http://local host/v1", "blanks or control characters"),
    ],
)
def test_a_base_url_that_is_not_a_plain_http_root_is_refused_at_the_field(url, why, tmp_path):
    with pytest.raises(ScenarioError, match=re.escape(why)) as caught:
        with_settings(BASE, {"actors.A.policy": {"name": "llm", "model": "m", "base_url": url}})
    assert "base_url" in str(caught.value)
    assert "sk-abc" not in str(caught.value)
    path = llm_file(tmp_path, "url.yaml", f"{{name: llm, model: m, base_url: '{url}'}}")
    done = run_cli_in_process("run", str(path), "--llm-dry-run")
    assert done.returncode == 2, done.stderr
    assert re.search(r"url\.yaml:\d+:\d+: actors\[0\]\.policy\.base_url: ", done.stderr), (
        done.stderr
    )
    assert why in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("url", ["http://[::1]:8080/v1", "https://api.openai.com/v1/"])
def test_plain_base_urls_load(url):
    spec = with_settings(BASE, {"actors.A.policy": {"name": "llm", "model": "m", "base_url": url}})
    assert spec.actors[0].policy.base_url == url


# -- drivers that do not run LLM actors ---------------------------------------------------------
def _llm_hotline(tmp_path: Path) -> Path:
    """hotline-1963 with its first actor played by a model (nothing is ever sent)."""
    from escalsim.scenario.shipped import path_of

    source = path_of("hotline-1963")
    text = source.read_text("utf-8")
    first = load_scenario(str(source)).actors[0].id
    path = tmp_path / "llm-hotline.yaml"
    policy = "    policy: {name: llm, model: m, base_url: 'http://127.0.0.1:9/v1'}\n"
    # Its policy replaced, whether it had one (the rebuilt powers bargain) or not.
    path.write_text(with_policy_text(text, first, policy), "utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (
            ["sweep", "{}", "--vary", "channels.hotline.noise=0:0.5:2", "--dry-run"],
            "escalsim sweep",
        ),
        (["sensitivity", "{}", "--dry-run"], "escalsim sensitivity"),
        (
            ["calibrate", "{}", "--target", "mid5", "--params", "ladder.rungs.display.cost=0:1"],
            "escalsim calibrate",
        ),
    ],
)
def test_drivers_outside_a_run_refuse_llm_actors(tmp_path, args, command):
    path = _llm_hotline(tmp_path)
    done = run_cli_in_process(*(a.format(path) for a in args))
    assert done.returncode == 2, done.stderr
    assert command in done.stderr
    assert "language model" in done.stderr
    assert "'escalsim run'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_apps_ensemble_refuses_llm_actors(tmp_path):
    from escalsim.teaching.explore import ensemble

    spec = load_scenario(str(_llm_hotline(tmp_path)))
    with pytest.raises(LLMError, match=r"the app's ensemble does not run language-model actors"):
        ensemble({"yours": spec}, 10, 1)


def test_the_active_session_is_per_context_not_per_process():
    """A session activated in one thread (one run) is not the one another thread asks through."""
    import threading

    from escalsim.llm.session import Session, activate, active

    seen: list[Any] = []
    with activate(Session(cache=False)) as mine:
        assert active() is mine
        other = threading.Thread(target=lambda: seen.append(active()))
        other.start()
        other.join()
    assert seen == [None]
    assert active() is None


# -- dry run --------------------------------------------------------------------------------------
def test_dry_run_prints_the_first_prompt_without_calling(serve, tmp_path):
    server = serve(lambda body, headers, n: move_answer())
    path = llm_file(
        tmp_path, "llm.yaml", f"{{name: llm, model: fake, base_url: '{server.base_url}'}}"
    )
    done = run_cli_in_process("run", str(path), "--llm-dry-run")
    assert done.returncode == 0, done.stderr
    assert "--- first prompt of A ---" in done.stdout
    assert "This is round 1" in done.stdout
    assert server.requests == []
