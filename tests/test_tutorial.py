"""The tutorial notebook (docs/tutorial.ipynb) runs from start to end, as a new user runs it:
in a kernel of this interpreter, from an empty working directory, with nothing but the
installed package."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from sim.metrics import METRICS

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")
manager = pytest.importorskip("jupyter_client.manager")
kernelspec = pytest.importorskip("jupyter_client.kernelspec")

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "tutorial.ipynb"
#: A line of the comparison cell: ``  self_interested (built-in)  mean 10.600``.
MEAN_LINE = re.compile(r"^\s*(\w+) \((built-in|yours)\)\s+mean (\S+)\s*$", re.MULTILINE)
DIFF_LINE = re.compile(r"difference, paired by seed\s+(\S+)")


def _runs_this_python(km) -> bool:
    command = km.format_kernel_cmd()
    return Path(command[0]).absolute() == Path(sys.executable).absolute()


def _kernel_manager(folder: Path):
    """A manager for a python3 kernel that runs this interpreter (the venv's): ipykernel's
    own kernelspec, or one written into ``folder`` if that names another Python."""
    km = manager.AsyncKernelManager(kernel_name="python3")
    if not _runs_this_python(km):
        spec = folder / "kernels" / "python3"
        spec.mkdir(parents=True)
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        kernel = {"argv": argv, "display_name": "Python 3 (cdsim)", "language": "python"}
        (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
        specs = kernelspec.KernelSpecManager(kernel_dirs=[str(folder / "kernels")])
        km = manager.AsyncKernelManager(kernel_name="python3", kernel_spec_manager=specs)
    assert _runs_this_python(km), km.format_kernel_cmd()
    return km


def _tagged(nb, tag: str):
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


def _stdout(cell) -> str:
    return "".join(
        o["text"] for o in cell.outputs if o["output_type"] == "stream" and o["name"] == "stdout"
    )


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)


def test_tutorial_runs(tmp_path, monkeypatch):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    # the kernel inherits these: its temporary folder and IPython's files stay in tmp_path,
    # and matplotlib uses the notebook's inline backend whatever the environment says
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    client = nbclient.NotebookClient(
        nb,
        km=_kernel_manager(tmp_path),
        timeout=60,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()  # CellExecutionError, with the cell and traceback, if any cell fails

    # 1. the run's summary names every outcome metric, one a line, with its value
    summary = _stdout(_tagged(nb, "check-summary"))
    printed = {line.split()[0] for line in summary.splitlines() if line.strip()}
    missing = [name for name in METRICS if name not in printed]
    assert not missing, f"summary cell did not print {missing}:\n{summary}"

    # 3. one comparison figure is shown inline
    figure = _tagged(nb, "check-figure")
    assert any("image/png" in o.get("data", {}) for o in figure.outputs), figure.outputs

    # 4. the user's policy, written where the user works, differs from the built-in
    assert (cwd / "good_neighbour.py").is_file()
    assert {p.name for p in cwd.iterdir()} <= {"good_neighbour.py", "__pycache__"}
    text = _stdout(_tagged(nb, "check-comparison"))
    means = {role: float(value) for _, role, value in MEAN_LINE.findall(text)}
    assert set(means) == {"built-in", "yours"}, text
    assert abs(means["yours"] - means["built-in"]) > 1e-6, text
    diff = DIFF_LINE.search(text)
    assert diff, text
    assert float(diff.group(1)) == pytest.approx(means["yours"] - means["built-in"], abs=2e-3)
