"""The teaching notebooks in notebooks/ run top to bottom and are committed without outputs.

Each notebook is executed with nbclient on an IPython kernel started from *this* interpreter
(``sys.executable``), whatever kernelspecs happen to be registered: CI installs into ``.venv`` and need not
register a ``python3`` kernel that points there. The kernel runs in a temporary folder with ``TMPDIR``
pointing into it, so nothing a notebook writes lands in the repository.

Each notebook has a time budget (its whole run, kernel start included) of at most 60 s: a class waits for
a notebook, not for a batch job. They guard against a notebook that hangs or grows far
beyond its teaching size; they are limits, not measurements of speed.
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
REQUIRED = ("01-quickstart", "02-institutional-design", "03-historical-baseline", "04-sensitivity")
# seconds for a whole notebook, at most a minute each (what a class can wait for); a notebook not listed
# gets DEFAULT_BUDGET_S
BUDGET_S = {"01-quickstart": 45, "02-institutional-design": 60, "03-historical-baseline": 45,
            "04-sensitivity": 60}
DEFAULT_BUDGET_S = 60


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def kernel_of_this_python() -> AsyncKernelManager:
    """A kernel manager for ipykernel on sys.executable: no kernelspec directory is consulted.

    With no kernel directories, jupyter_client falls back to ipykernel's own ("native") spec, whose command
    is built from sys.executable; a registered 'python3' spec could point at another interpreter.
    """
    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[]))


def test_the_four_required_notebooks_exist():
    present = {path.stem for path in notebook_paths()}
    missing = [name for name in REQUIRED if name not in present]
    assert not missing, f"notebooks/ lacks {', '.join(f'{name}.ipynb' for name in missing)}"


def test_the_kernel_is_this_interpreter():
    assert kernel_of_this_python().kernel_spec.argv[0] == sys.executable


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda path: path.stem)
def test_notebook_runs_top_to_bottom(path: Path, tmp_path: Path):
    committed = path.read_bytes()
    notebook = nbformat.reads(committed.decode("utf-8"), as_version=4)
    budget = BUDGET_S.get(path.stem, DEFAULT_BUDGET_S)
    deadline = time.monotonic() + budget

    def time_left(cell) -> int:
        # nbclient asks before each cell: the notebook's budget, less what earlier cells used
        return max(1, math.ceil(deadline - time.monotonic()))

    client = NotebookClient(notebook, km=kernel_of_this_python(), timeout_func=time_left,
                            resources={"metadata": {"path": str(tmp_path)}})
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    try:
        client.execute(cleanup_kc=True, env=env)
    except CellTimeoutError:
        pytest.fail(f"{path.name} did not finish within its budget of {budget} s; make it smaller (fewer "
                    f"replicates or samples) or raise BUDGET_S in {Path(__file__).name} if the total allows")

    ran = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.strip()]
    assert all(cell.get("execution_count") for cell in ran), "some code cells were not executed"
    assert path.read_bytes() == committed, f"running {path.name} changed the committed file"


def test_notebooks_are_committed_without_outputs():
    problems = []
    for path in notebook_paths():
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        if "widgets" in notebook.metadata:
            problems.append(f"{path.name}: metadata.widgets holds saved widget state")
        for index, cell in enumerate(notebook.cells):
            where = f"{path.name}, cell {index}"
            if cell.cell_type == "code" and cell.outputs:
                problems.append(f"{where}: has {len(cell.outputs)} output(s)")
            if cell.cell_type == "code" and cell.execution_count is not None:
                problems.append(f"{where}: has execution count {cell.execution_count}")
            if "execution" in cell.metadata or "ExecuteTime" in cell.metadata:
                problems.append(f"{where}: has execution timing in its metadata")
    assert not problems, ("notebooks must be committed without outputs; clear them before committing "
                          "(in Jupyter: Edit > Clear Outputs of All Cells, then save; or `jupyter nbconvert "
                          "--clear-output --inplace notebooks/*.ipynb`):\n  " + "\n  ".join(problems))


def test_the_notebooks_extra_installs_jupyterlab_and_the_readme_says_how_to_open_them():
    import subprocess
    import tomllib

    project = tomllib.loads((NOTEBOOKS.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert any(r.startswith("jupyterlab") for r in project["project"]["optional-dependencies"]["notebooks"])
    version = subprocess.run([sys.executable, "-m", "jupyterlab", "--version"], capture_output=True, text=True,
                             timeout=120)
    assert version.returncode == 0 and version.stdout.strip()[:1].isdigit(), version.stderr
    readme = (NOTEBOOKS.parent / "README.md").read_text(encoding="utf-8")
    assert '.venv/bin/pip install -e ".[notebooks]"' in readme and ".venv/bin/jupyter lab notebooks/" in readme
