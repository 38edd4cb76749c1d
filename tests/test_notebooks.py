"""The teaching notebooks: each runs top to bottom, and its committed copy shows its results.

Every ``notebooks/*.ipynb`` is executed with papermill at the small size the notebooks promise
to support (``replications=16, seed=1``, injected after the cell tagged ``parameters``), in a
temporary folder, on a kernel that is certainly this interpreter: the Jupyter search paths point
at a temporary folder holding one ``python3`` kernelspec whose command is ``sys.executable``, so
no kernelspec of the user's or the system's can take its place (``test_kernel_is_this_python``
checks it from inside the kernel). The committed copies must have been executed (students read
their outputs on GitHub) and hold no error.
"""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
#: The notebooks that must exist; any other notebooks/*.ipynb is run and checked as well.
REQUIRED = (
    "01-quickstart.ipynb",
    "02-does-dialogue-matter.ipynb",
    "03-third-parties-and-blocs.ipynb",
    "04-sweeps-and-sensitivity.ipynb",
)
ALL = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
#: The size every notebook must run at. How long that takes is not a test (a busy CI machine
#: is no measure); notebooks/README.md gives the times measured.
SMALL = {"replications": 16, "seed": 1}
#: The largest committed notebook, outputs included.
MAX_BYTES = 1_500_000


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    """Jupyter and IPython settings confined to ``tmp_path``, with one kernel: this Python.

    ``JUPYTER_PATH`` is searched before every other data folder, and it holds only a
    ``python3`` kernelspec that starts ``sys.executable``; the user's data, config and runtime
    folders and IPython's profile (startup scripts) are replaced by empty temporary ones.
    """
    spec = tmp_path / "jupyter-path" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (escalsim tests)",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    for var, name in (
        ("JUPYTER_PATH", "jupyter-path"),
        ("JUPYTER_DATA_DIR", "jupyter-data"),
        ("JUPYTER_CONFIG_DIR", "jupyter-config"),
        ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"),
        ("IPYTHONDIR", "ipython"),
    ):
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        monkeypatch.setenv(var, str(folder))
    monkeypatch.delenv("JUPYTER_CONFIG_PATH", raising=False)
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # debugpy's frozen-modules note
    work = tmp_path / "work"
    work.mkdir()
    return work


def execute(src: Path, out: Path, cwd: Path, parameters: dict | None = None):
    """Run a notebook with papermill on the ``python3`` kernel; return the executed notebook."""
    import papermill  # heavy (seconds): imported by the tests that use it

    return papermill.execute_notebook(
        str(src),
        str(out),
        parameters=parameters or {},
        kernel_name="python3",
        cwd=str(cwd),
        progress_bar=False,
        log_output=False,
        execution_timeout=600,  # a hung cell fails the test instead of the whole CI run
    )


def errors(nb) -> list[str]:
    """Error outputs of a notebook, as 'cell N: ename: evalue'."""
    return [
        f"cell {k}: {out.get('ename')}: {out.get('evalue')}"
        for k, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


def test_the_course_notebooks_exist():
    missing = [name for name in REQUIRED if not (NOTEBOOKS / name).is_file()]
    assert not missing, f"missing notebooks: {missing}"


@pytest.mark.notebook  # starts a Jupyter kernel; the checks of the committed files do not
def test_kernel_is_this_python(kernel_env):
    """The kernel papermill starts for "python3" is this interpreter, with this escalsim."""
    import nbformat  # heavy (seconds): imported by the tests that use it

    probe = nbformat.v4.new_notebook()
    probe.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    probe.cells = [
        nbformat.v4.new_code_cell(
            "import json, sys\nimport escalsim\n"
            "print(json.dumps({'executable': sys.executable, 'prefix': sys.prefix,"
            " 'escalsim': escalsim.__file__}))"
        )
    ]
    src = kernel_env / "probe.ipynb"
    nbformat.write(probe, src)
    done = execute(src, kernel_env / "probe-out.ipynb", kernel_env)
    text = "".join(
        out["text"] for out in done.cells[0]["outputs"] if out.get("output_type") == "stream"
    )
    seen = json.loads(text.strip().splitlines()[-1])
    assert Path(seen["executable"]).resolve() == Path(sys.executable).resolve()
    assert Path(seen["prefix"]).resolve() == Path(sys.prefix).resolve()
    assert Path(seen["escalsim"]).resolve().is_relative_to(ROOT / "src")


@pytest.mark.parametrize("name", ALL)
def test_notebook_follows_the_conventions(name):
    """Cell 1: a markdown title; cell 2: code tagged "parameters" with replications and seed."""
    import nbformat  # heavy (seconds): imported by the tests that use it

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    first, second = nb.cells[0], nb.cells[1]
    assert first.cell_type == "markdown"
    assert first.source.lstrip().startswith("# "), "cell 1 must start with a markdown title"
    tagged = [k for k, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [1], f"exactly one cell tagged 'parameters', the second; got {tagged}"
    assert second.cell_type == "code"
    values = {
        target.id: node.value
        for node in ast.parse(second.source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for knob in SMALL:
        assert knob in values, f"the parameters cell does not define {knob}"
        default = ast.literal_eval(values[knob])
        assert isinstance(default, int), f"{knob} = {default!r} is not an int"
        assert not isinstance(default, bool), f"{knob} = {default!r} is not an int"


@pytest.mark.parametrize("name", ALL)
def test_committed_notebook_was_executed(name):
    """The committed copy has every code cell's outputs, in order, and no error."""
    import nbformat  # heavy (seconds): imported by the tests that use it

    path = NOTEBOOKS / name
    assert path.stat().st_size < MAX_BYTES, f"{name} is {path.stat().st_size:,} bytes"
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.get("execution_count") for c in code]
    assert None not in counts, f"{name}: cells not executed (execution_count None); run papermill"
    assert counts == sorted(counts), f"{name}: cells were executed out of order: {counts}"
    assert any(c.get("outputs") for c in code), f"{name} has no outputs"
    assert not errors(nb), f"{name}: {errors(nb)}"
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert not injected, f"{name} was committed with injected parameters, not its defaults"


@pytest.mark.notebook
@pytest.mark.parametrize("name", ALL)
def test_notebook_runs(name, kernel_env):
    """Executed top to bottom at the small size, in a temporary folder, without an error."""
    out = kernel_env / name
    done = execute(NOTEBOOKS / name, out, kernel_env, parameters=SMALL)
    assert not errors(done), errors(done)
    injected = [
        k for k, c in enumerate(done.cells) if "injected-parameters" in c.metadata.get("tags", [])
    ]
    assert injected == [2], f"the parameters were not injected after cell 2: {injected}"
    leftovers = sorted(p.name for p in kernel_env.iterdir() if p.name != name)
    assert not leftovers, f"{name} wrote files in its working folder: {leftovers}"
    assert os.path.getsize(out) > 0


def test_the_llm_notebook_reads_moves_from_the_events_not_the_raw_answer():
    """notebooks/06's table of answers takes the move from the event, as the policy parsed it: a
    real model's raw answer in a code fence (which the policy accepts) must not break it."""
    import types

    import nbformat  # heavy (seconds): imported by the tests that use it
    import pandas as pd

    nb = nbformat.read(NOTEBOOKS / "06-llm-actor.ipynb", as_version=4)
    (cell,) = [c.source for c in nb.cells if 'said["answer"]' in c.source]
    fenced = "```json\n" + json.dumps({"move": "hold", "rationale": "Wait."}) + "\n```"
    detail = json.dumps({"view": "perceived", "rationale": "Wait.", "answer": fenced})
    events = pd.DataFrame(
        {
            "kind": ["llm"],
            "condition": ["channel_open"],
            "replication": [0],
            "round": [1],
            "actor": ["A"],
            "move": ["hold"],
            "detail": [detail],
        }
    )
    space = {"results": {"language model (stand-in)": types.SimpleNamespace(events=events)}}
    exec(compile(cell, "06-llm-actor.ipynb", "exec"), space)
    assert list(space["said"]["answer"]) == ["hold"]
