"""Record the shipped LLM example against a scripted stand-in for a language model.

``notebooks/06-llm-actor.ipynb`` compares a state played by a language model with the rule-based
policies, offline, by replaying a recording shipped beside its scenario
(``notebooks/data/generic-crisis-llm.yaml`` and ``generic-crisis-llm.calls.jsonl.gz``, gzipped).
No model can be run on the machines the tests run on, so this script makes the recording with
the tests' fake OpenAI-compatible server (``tests/llm_fake_server.py``) answering as a
*stand-in*: a fixed rule read off the prompt, written out below, with a rationale in words. The
server listens at the address the scenario names (an answer is keyed by the endpoint too, so a
replay finds it only under the same ``base_url``). The recording is
exactly what a real server's would be (the same prompts, the same JSON answers, the same
hashes), so a real model's recording replaces it without a change to the notebook:
``escalsim run notebooks/data/generic-crisis-llm.yaml -n 40 --seed 7 --out runs/llm`` against
your server, then gzip ``runs/llm/<run>/llm/calls.jsonl`` over the shipped file.

The stand-in's rule (what a cautious, reciprocating leader might say): accept a standing offer
that gives it at least 0.4 of the stakes; step down from a clash or above when its cost of war
is at least 1.5 times the stakes; answer a perceived climb by climbing one rung; otherwise
hold, and from the second round offer the other 0.6 of the stakes (keeping 0.4, twice its
status quo of 0.2).

Run: ``.venv/bin/python scripts/record_llm_standin.py`` (seed 7, 40 replications per condition,
the notebook's default; and seed 1, 16, the size the tests run it at; about ten seconds). It
rewrites ``notebooks/data/generic-crisis-llm.calls.jsonl.gz``.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import escalsim  # noqa: E402
from escalsim.scenario import load_scenario  # noqa: E402
from llm_fake_server import FakeServer  # noqa: E402

SCENARIO = ROOT / "notebooks" / "data" / "generic-crisis-llm.yaml"
RECORDING = SCENARIO.with_suffix(".calls.jsonl.gz")
#: (seed, replications) recorded: the notebook's default size, and the tests' (seed 1, 16 runs).
RECORDED = ((7, 40), (1, 16))
RUNGS = ["normal", "threat", "display", "clash", "serious", "war"]


def _number(pattern: str, text: str, default: float = 0.0) -> float:
    found = re.search(pattern, text)
    return float(found.group(1)) if found else default


def standin(prompt: str) -> dict[str, Any]:
    """The stand-in's answer to one prompt (the rule in the module docstring)."""
    own = int(_number(r"Your posture: \w+ \(rung (\d+)\)", prompt))
    other = int(_number(r"posture as you perceive it: \w+ \(rung (\d+)\)", prompt))
    cost = _number(r"Your cost of a war, relative to the value of the stakes: ([0-9.]+)", prompt)
    offer = _number(r"standing offer gives you ([0-9.]+) of the stakes", prompt, -1.0)
    round_ = int(_number(r"This is round (\d+)", prompt, 1))
    moves = re.search(r"Moves available this round: ([a-z_, ]+)\.", prompt)
    available = moves.group(1).split(", ") if moves else ["hold"]
    answer: dict[str, Any]
    if "accept" in available and offer >= 0.4:
        answer = {"move": "accept", "rationale": f"An offer of {offer:.2f} is enough; war is not."}
    elif own >= RUNGS.index("clash") and cost >= 1.5 and "step_down" in available:
        answer = {"move": "step_down", "rationale": "A war would cost more than the issue."}
    elif other > own and "step_up" in available:
        answer = {"move": "step_up", "rationale": "They climbed; we answer one rung, no more."}
    else:
        answer = {"move": "hold", "rationale": "Nothing has changed that calls for a move."}
    if round_ >= 2 and answer["move"] in ("hold", "step_up", "step_down"):
        answer["offer"] = 0.6
        answer["message"] = "We are ready to settle: 0.6 of the issue to you."
    return answer


def _script(body: dict[str, Any], headers: dict[str, str], number: int) -> str:
    prompt = str(body["messages"][-1]["content"])
    return json.dumps(standin(prompt))


def main() -> int:
    """Record, and copy the recording beside the scenario."""
    spec = load_scenario(SCENARIO)
    url = urlsplit(str(spec.actors[0].policy.base_url))  # type: ignore[union-attr]
    server = FakeServer(_script, port=int(url.port or 80))
    server.start()
    try:
        with tempfile.TemporaryDirectory() as tmp, gzip.GzipFile(RECORDING, "wb", mtime=0) as out:
            for seed, replications in RECORDED:
                folder = Path(tmp) / f"seed-{seed}"
                escalsim.run(spec, replications=replications, seed=seed, out=folder)
                (made,) = folder.glob("**/llm/calls.jsonl")
                with made.open("rb") as raw:
                    shutil.copyfileobj(raw, out)
    finally:
        server.stop()
    with gzip.open(RECORDING, "rt", encoding="utf-8") as f:
        calls = sum(1 for _ in f)
    size = RECORDING.stat().st_size
    print(f"wrote {RECORDING.relative_to(ROOT)}: {calls} calls, {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
