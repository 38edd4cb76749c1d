"""scripts/audit_lock.py, the fallback of scripts/audit.sh, on canned PyPI answers (no network)."""

from __future__ import annotations

import importlib.util
import io
import json
import urllib.error
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("audit_lock", ROOT / "scripts" / "audit_lock.py")
audit_lock = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit_lock)

LOCK = """\
alpha==1.0 ; python_full_version < '3.13' \\
    --hash=sha256:00
    # via beta
beta==2.0.1 \\
    --hash=sha256:11
gamma==0.5
"""


def _project(latest: str, vulns: list[dict], yanked: dict[str, str] | None = None) -> dict:
    releases = {v: [{"yanked": True, "yanked_reason": r}] for v, r in (yanked or {}).items()}
    return {"info": {"version": latest}, "releases": releases, "vulnerabilities": vulns}


def _serve(monkeypatch, answers: dict[str, dict | int]) -> None:
    def fake_urlopen(url: str, timeout: float = 0):
        name = url.split("/pypi/")[1].split("/", maxsplit=1)[0]
        answer = answers[name]
        if isinstance(answer, int):
            raise urllib.error.HTTPError(url, answer, "no", {}, None)
        return io.BytesIO(json.dumps(answer).encode())

    monkeypatch.setattr(audit_lock.urllib.request, "urlopen", fake_urlopen)


def test_pins_are_read_from_a_hashed_lock(tmp_path):
    lock = tmp_path / "dev.lock"
    lock.write_text(LOCK)
    assert audit_lock.pins(str(lock)) == [("alpha", "1.0"), ("beta", "2.0.1"), ("gamma", "0.5")]


VULN = {"id": "PYSEC-1", "aliases": ["CVE-1"], "fixed_in": ["2.0.2"], "summary": "bad"}


@pytest.mark.parametrize(
    ("pin", "latest", "vulns", "affected"),
    [
        ("2.0.1", "2.0.1", [VULN], True),  # the pin is the latest: its advisories apply
        ("2.0.1", "2.1", [VULN], True),  # fixed above the pin
        ("2.0.1", "2.1", [{**VULN, "fixed_in": ["2.0.1"]}], False),  # fixed at the pin
        ("2.0.1", "2.1", [{**VULN, "fixed_in": ["1.9"]}], False),  # fixed below it
        ("2.0.1", "2.1", [{**VULN, "fixed_in": []}], True),  # no fix yet
        ("2.0.1", "2.0.1", [], False),
    ],
)
def test_advisories_are_matched_to_the_pin(monkeypatch, pin, latest, vulns, affected):
    _serve(monkeypatch, {"beta": _project(latest, vulns)})
    row = audit_lock.check("beta", pin)
    assert bool(row["vulns"]) is affected
    assert row["is_latest"] is (pin == latest)


def _main(monkeypatch, tmp_path, answers) -> int:
    lock = tmp_path / "dev.lock"
    lock.write_text(LOCK)
    _serve(monkeypatch, answers)
    return audit_lock.main([str(lock)])


def test_exit_codes(monkeypatch, tmp_path, capsys):
    clean = {
        "alpha": _project("1.0", []),
        "beta": _project("2.0.1", []),
        "gamma": _project("0.5", []),
    }
    assert _main(monkeypatch, tmp_path, clean) == 0
    behind = {**clean, "gamma": _project("0.6", [])}
    assert _main(monkeypatch, tmp_path, behind) == 3
    assert "BEHIND gamma==0.5 (latest 0.6)" in capsys.readouterr().out
    vulnerable = {**clean, "beta": _project("2.0.1", [VULN])}
    assert _main(monkeypatch, tmp_path, vulnerable) == 1
    assert "VULN  beta==2.0.1: PYSEC-1 (CVE-1) fixed in 2.0.2" in capsys.readouterr().out
    yanked = {**clean, "alpha": _project("1.0", [], {"1.0": "security fix in 1.0.1"})}
    assert _main(monkeypatch, tmp_path, yanked) == 1
    assert "YANKED alpha==1.0: security fix in 1.0.1" in capsys.readouterr().out
    missing = {**clean, "gamma": 404}
    assert _main(monkeypatch, tmp_path, missing) == 3
    assert _main(monkeypatch, tmp_path, {"alpha": 503, "beta": 503, "gamma": 503}) == 4
