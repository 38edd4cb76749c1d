"""What the README and docs show must run as shown."""

from __future__ import annotations

import re

import pytest

from conftest import TIMEOUT
from escalsim.scenario import load_text, with_condition


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.DOTALL)


def test_readme_python_blocks_run(root, capsys):
    blocks = _blocks((root / "README.md").read_text(encoding="utf-8"), "python")
    assert blocks
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})  # our own documentation
    assert capsys.readouterr().out  # the examples print something


@pytest.mark.parametrize("doc", ["docs/scenario-format.md"])
def test_yaml_examples_in_docs_validate(root, doc):
    text = (root / doc).read_text(encoding="utf-8")
    full = [b for b in _blocks(text, "yaml") if b.lstrip().startswith(("#", "schema_version"))]
    assert full, "the page has a complete scenario example"
    for block in full:
        scenario = load_text(block, doc)
        for name in scenario.condition_names:
            with_condition(scenario, name)


def test_readme_opens_with_the_two_commands(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    first_block = _blocks(readme, "bash")[0]
    lines = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert lines[0].startswith("./scripts/setup.sh && .venv/bin/escalsim run ")
    assert lines[1] == "./scripts/setup.sh --browser && .venv/bin/python -m pytest"


def test_ci_runs_exactly_the_readme_test_command(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    test_command = _blocks(readme, "bash")[0].strip().splitlines()[1].split("#")[0].strip()
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()


def test_readme_python_one_liners_run(root):
    import subprocess
    import sys

    readme = (root / "README.md").read_text(encoding="utf-8")
    lines = [
        line
        for block in _blocks(readme, "bash")
        for line in block.splitlines()
        if line.startswith(".venv/bin/python -c ")
    ]
    assert len(lines) >= 3
    for line in lines:
        code = line.removeprefix(".venv/bin/python -c ").strip().strip('"')
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            cwd=root,
            timeout=TIMEOUT,
            check=False,
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip()


def test_ruff_is_clean(root):
    """The code style the README promises: ruff check and ruff format, whole tree."""
    import subprocess
    import sys

    ruff = [sys.executable, "-m", "ruff"]
    check = subprocess.run(
        [*ruff, "check", "."], cwd=root, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout
    fmt = subprocess.run(
        [*ruff, "format", "--check", "."], cwd=root, capture_output=True, text=True, check=False
    )
    assert fmt.returncode == 0, fmt.stdout


def test_readme_main_job_table_is_true(root, tmp_path):
    """The README's first command prints exactly the table the README shows."""
    from conftest import run_cli

    readme = (root / "README.md").read_text(encoding="utf-8")
    command = _blocks(readme, "bash")[0].strip().splitlines()[0].split("#")[0].strip()
    args = command.split(".venv/bin/escalsim ", 1)[1].split()
    shown = readme.split("prints (stdout; a test keeps this true):\n\n```text\n", 1)[1]
    shown = shown.split("```", 1)[0]
    out = run_cli(*args, "--out", str(tmp_path / "run"), "--no-plots")
    assert out.returncode == 0, out.stderr
    printed = "\n".join(line.rstrip() for line in out.stdout.splitlines()) + "\n"
    assert printed == shown
