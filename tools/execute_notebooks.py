"""Re-run chapters on a fresh kernel and save their outputs, as committed for strict nbval.

    .venv/bin/python tools/execute_notebooks.py notebooks/03a-mechanisms.ipynb [...]

Cells run in the notebook's folder, errors in cells tagged ``raises-exception`` are allowed (as in
JupyterLab's Run All), and the per-cell timing metadata nbclient adds is dropped so diffs show only
what changed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print("executing", arg, flush=True)
        execute(Path(arg))
