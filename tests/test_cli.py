"""The command line as a user runs it.

``--version``, an unknown command and the README's example run as real processes
(``python -m escalsim``, its exit status); the rest runs the same command line in this process
(:func:`run_cli_in_process`: the same parsing, output streams and exit codes, without a second
of imports per command).
"""

from __future__ import annotations

import json
import sys
import textwrap

from conftest import cli_env, run_cli, run_cli_in_process, run_process
from escalsim.scenario import shipped


def test_version_names_mesa_numpy_and_python():
    out = run_cli("--version")
    assert out.returncode == 0
    assert out.stdout.startswith("escalsim ")
    for word in ("mesa 3.5", "numpy", "Python 3."):
        assert word in out.stdout


def test_a_finished_command_still_lets_a_thread_it_would_wait_for_finish(tmp_path):
    """A command called as the program leaves by ``os._exit`` once it has ended (skipping the
    interpreter's teardown: ``lifecycle.exit_now``), but not while a non-daemon thread runs,
    which the interpreter would have joined first. Here the thread does its work only once the
    main thread has finished, so leaving at once would lose it: no sleep decides the order."""
    out = tmp_path / "written"
    script = tmp_path / "program.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys, threading
            from pathlib import Path

            def after_the_command():
                threading.main_thread().join()
                Path({str(out)!r}).write_text("done")

            threading.Thread(target=after_the_command).start()
            from escalsim.cli import main

            sys.argv = ["escalsim", "scenarios"]
            main()
            """
        ),
        encoding="utf-8",
    )
    done = run_process([sys.executable, script], env=cli_env())
    assert done.returncode == 0, done.stderr
    assert "geneva-2022" in done.stdout  # the command's own output is flushed before it leaves
    assert out.read_text() == "done"


def test_validate_all_shipped_scenarios_by_path(root):
    files = sorted(str(p) for p in (root / "scenarios").glob("*.yaml"))
    out = run_cli_in_process("validate", *files)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    assert out.stderr.count("ok: ") == len(files)


def test_validate_accepts_a_shipped_name():
    out = run_cli_in_process("validate", "geneva-2022")
    assert out.returncode == 0, out.stderr


def test_validate_json_report_on_stdout(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 2\nid: x\nname: y\nrun: {rounds: 0, time_unit: day}\n")
    out = run_cli_in_process("validate", "--format", "json", "ipd-noise", str(bad))
    assert out.returncode == 2
    report = json.loads(out.stdout)
    assert [r["valid"] for r in report] == [True, False]
    first = report[1]["problems"][0]
    assert set(first) == {"line", "column", "path", "message"}


def test_validate_malformed_exits_2_with_positions_only(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        shipped.path_of("ipd-noise").read_text().replace("schema_version: 2", "schema_versoin: 2")
    )
    out = run_cli_in_process("validate", str(bad))
    assert out.returncode == 2
    assert out.stdout == ""
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert lines
    for line in lines:
        assert line.startswith(f"{bad}:")
    assert any("did you mean 'schema_version'?" in line for line in lines)


def test_validate_missing_file_exits_2(tmp_path):
    out = run_cli_in_process("validate", str(tmp_path / "nope.yaml"))
    assert out.returncode == 2
    assert out.stderr.strip() == f"{tmp_path / 'nope.yaml'}: no such file"


def test_unknown_option_exits_2_without_traceback():
    out = run_cli_in_process("validate", "--bogus", "x.yaml")
    assert out.returncode == 2
    assert "No such option" in out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_command_exits_2():
    out = run_cli("frobnicate")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


def test_schema_prints_json_to_stdout_and_writes_a_file(tmp_path):
    out = run_cli_in_process("schema")
    assert out.returncode == 0
    schema = json.loads(out.stdout)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    target = tmp_path / "s.json"
    out2 = run_cli_in_process("schema", "--out", str(target))
    assert out2.returncode == 0
    assert target.read_text() == out.stdout


def test_scenarios_lists_every_shipped_scenario():
    out = run_cli_in_process("scenarios", "--format", "json")
    assert out.returncode == 0
    rows = json.loads(out.stdout)
    assert [r["name"] for r in rows] == shipped.names()
    assert all(r["summary"] for r in rows)
    table = run_cli_in_process("scenarios")
    assert table.returncode == 0
    for name in shipped.names():
        assert name in table.stdout


def test_readme_validate_example_is_true(root):
    """The README shows `escalsim validate docs/examples/broken.yaml` and its output verbatim."""
    readme = (root / "README.md").read_text(encoding="utf-8")
    command = "$ escalsim validate docs/examples/broken.yaml\n"
    shown = readme.split(command, 1)[1].split("```", 1)[0]
    out = run_cli("validate", "docs/examples/broken.yaml")  # as the README shows it
    assert out.returncode == 2
    assert out.stderr == shown
