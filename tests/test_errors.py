"""The error hierarchy (escalsim.errors): classes, exit codes, and the CLI's one mapping."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import escalsim
from conftest import cli_env
from conftest import cli_in_process as cli
from escalsim import errors
from escalsim.errors import (
    EXIT_CODES,
    EscalsimError,
    GameError,
    LimitError,
    LLMBudgetError,
    LLMError,
    NumericsError,
    ScenarioError,
    StoreError,
    UsageError,
)
from escalsim.scenario.errors import Problem

#: Every error class and the exit code the documentation gives it.
DOCUMENTED = {
    EscalsimError: 2,
    ScenarioError: 2,
    UsageError: 2,
    LimitError: 2,
    StoreError: 2,
    NumericsError: 2,
    GameError: 2,
    LLMError: 2,
    LLMBudgetError: 2,
}


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


# -- the hierarchy --------------------------------------------------------------------------------
def test_every_error_is_an_escalsim_error_with_its_documented_exit_code():
    for cls, code in DOCUMENTED.items():
        assert issubclass(cls, EscalsimError), cls
        assert cls.exit_code == code, cls
    # Every class escalsim defines (not the test's own) is documented here.
    ours = {c for c in _subclasses(EscalsimError) if c.__module__.startswith("escalsim.")}
    assert ours <= set(DOCUMENTED), ours - set(DOCUMENTED)


def test_the_table_covers_every_code_a_class_uses():
    used = {cls.exit_code for cls in (EscalsimError, *_subclasses(EscalsimError))}
    assert used <= set(EXIT_CODES), used - set(EXIT_CODES)
    assert all(EXIT_CODES[c] for c in used)


def test_the_cli_quotes_the_one_table():
    from escalsim import cli as module

    assert module.EXIT_CODES is errors.EXIT_CODES
    assert module.exit_codes_text is errors.exit_codes_text


def test_usage_limit_and_store_errors_are_still_scenario_errors():
    # `except ScenarioError` (in src/, the tests and users' scripts) still catches all three.
    for cls in (UsageError, LimitError, StoreError, NumericsError):
        assert issubclass(cls, ScenarioError)
    assert issubclass(GameError, ValueError)  # as before
    problem = Problem(0, 0, ("--vary",), "bad", "sweep")
    for cls in (ScenarioError, UsageError, LimitError):
        exc = cls([problem])
        assert exc.problems == [problem]
        assert exc.source == "sweep"
        assert str(exc) == exc.message == "sweep: --vary: bad"
    assert str(StoreError("x is damaged")) == "store: --out: x is damaged"


def test_one_class_wherever_it_is_imported_from():
    import escalsim.experiment.limits
    import escalsim.experiment.store
    import escalsim.scenario
    import escalsim.scenario.errors
    import escalsim.teaching

    assert escalsim.ScenarioError is escalsim.scenario.ScenarioError
    assert escalsim.scenario.errors.ScenarioError is ScenarioError is escalsim.ScenarioError
    assert escalsim.experiment.limits.LimitError is LimitError is escalsim.LimitError
    assert escalsim.experiment.store.StoreError is StoreError is escalsim.StoreError
    assert escalsim.teaching.GameError is GameError is escalsim.GameError
    assert escalsim.EscalsimError is EscalsimError
    assert escalsim.UsageError is UsageError


def test_importing_the_errors_is_cheap():
    code = (
        "import sys, escalsim, escalsim.errors; escalsim.EscalsimError; escalsim.ScenarioError; "
        "heavy = {'mesa', 'numpy', 'pandas', 'pydantic'} & {m.split('.')[0] for m in sys.modules}; "
        "print(sorted(heavy))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# -- option errors are usage errors ---------------------------------------------------------------
def test_option_errors_raise_usage_errors():
    from escalsim.experiment.runner import resolve_conditions
    from escalsim.experiment.sweep import parse_vary
    from escalsim.scenario import load_scenario

    spec = load_scenario("hotline-1963")
    with pytest.raises(UsageError, match="--condition: no condition 'hotlin'"):
        resolve_conditions(spec, ["hotlin"])
    with pytest.raises(UsageError, match="expected PATH=SPEC"):
        parse_vary("bogus", spec)
    with pytest.raises(UsageError, match="--engine"):
        escalsim.run(spec, replications=1, engine="warp")


# -- the CLI: each class's exit code, for a real case of each -------------------------------------
def test_a_scenario_error_exits_with_its_code(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nactors: 3\n", encoding="utf-8")
    code, _, err = cli("run", str(bad), "--dry-run")
    assert code == ScenarioError.exit_code
    assert err.startswith(f"{bad}:")
    assert "internal error" not in err


def test_a_usage_error_exits_with_its_code():
    code, _, err = cli("sweep", "hotline-1963", "--vary", "bogus", "--dry-run")
    assert code == UsageError.exit_code
    assert err.startswith("sweep: --vary: 'bogus': expected PATH=SPEC")
    code, _, err = cli("run", "hotline-1963", "--condition", "hotlin", "--dry-run")
    assert code == UsageError.exit_code
    assert "--condition: no condition 'hotlin' (did you mean" in err


def test_a_limit_error_exits_with_its_code():
    code, _, err = cli(
        "run", "generic-dispute", "-n", "500", "--seed", "1", "--max-memory", "150MB", "--dry-run"
    )
    assert code == LimitError.exit_code
    assert "generic-dispute: --replications: this run needs about" in err


def test_a_store_error_exits_with_its_code(tmp_path):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "manifest.json").write_text("{not json", encoding="utf-8")
    code, _, err = cli("analyze", str(out))
    assert code == StoreError.exit_code
    assert "manifest.json" in err
    assert "internal error" not in err


def test_a_game_error_exits_with_its_code():
    code, _, err = cli("play", "hotline-1963", "--as", "NOPE")
    assert code == GameError.exit_code
    assert "a player takes one of the two powers" in err


def test_the_mapping_uses_the_class_exit_code(monkeypatch):
    # One place maps an EscalsimError to its class's code and message, whatever the class.
    class RefusedError(EscalsimError):
        exit_code = 3

    def refuse(*_args, **_kwargs):
        raise RefusedError("refused: \u202eevil")

    monkeypatch.setattr("escalsim.scenario.load_scenario", refuse)
    code, _, err = cli("run", "hotline-1963", "--dry-run")
    assert code == 3
    assert err == "refused: \\u202eevil\n"  # escaped, like every message


def test_anything_else_is_still_a_bug(monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("escalsim.scenario.load_scenario", broken)
    code, _, err = cli("run", "hotline-1963", "--dry-run")
    assert code == 1
    assert "internal error: RuntimeError: boom" in err
    assert "This is a bug" in err


def test_the_docs_point_to_the_one_table(root: Path):
    architecture = (root / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "escalsim/errors.py" in architecture or "escalsim.errors" in architecture
    for cls in DOCUMENTED:
        assert cls.__name__ in architecture


def test_the_version_imports_no_mesa():
    # The CLI imports escalsim.errors at the top; that must not pull the model in.
    code = (
        "import sys\nfrom escalsim.cli import main\ntry:\n    main(['--version'])\n"
        "except SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
        "print('mesa' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "False"
