"""The package's layers, read from its imports.

core (asyncomm/*.py) < asyncomm.reliable < asyncomm.teaching < asyncomm.labs < asyncomm.widgets < asyncomm.course

A module may import its own layer and the ones below, never one above; ``asyncomm.__main__`` (the command line)
may import anything. No module of the package imports the ``asyncomm`` façade (``import asyncomm as ac`` is for
notebooks and scripts: inside the package it would tie every layer to all of them). Module-level imports form
no cycle. And ``import asyncomm`` loads the core only; everything else loads on first use.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncomm

PACKAGE = Path(asyncomm.__file__).parent
LAYERS = ("core", "reliable", "teaching", "labs", "widgets", "course")

#: The one deliberate use of the façade inside the package: ch02._run executes a learner's program exactly as
#: a notebook cell would, after ``import asyncomm as ac`` (the program text says ``ac.MessageQueue``), inside a
#: function, so nothing is imported until an exercise runs. The course is the top layer: nothing imports it.
ALLOWED_FACADE_IMPORTS = {
    "asyncomm.course.exercises.ch02 -> asyncomm",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> int:
    """The layer's rank: 0 for the core, up to 5 for the course."""
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else 0


def resolve(importer: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The package's modules an import statement names (``from a import b`` names ``a.b`` when that is a module)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names if alias.name.split(".")[0] == "asyncomm")
        return
    if node.level:  # relative: from its own package
        package = importer if MODULES[importer].name == "__init__.py" else importer.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    if base.split(".")[0] != "asyncomm":
        return
    for alias in node.names:
        yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base


class _ImportStatements(ast.NodeVisitor):
    """Every import statement of a module; with ``module_level_only``, those that run when it is imported:
    not the ones inside functions, nor those under ``if TYPE_CHECKING:``."""

    def __init__(self, module_level_only: bool) -> None:
        self.module_level_only = module_level_only
        self.found: list[ast.Import | ast.ImportFrom] = []

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        self.found.append(node)

    visit_ImportFrom = visit_Import

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not self.module_level_only:
            self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        if self.module_level_only and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.orelse:
                self.visit(statement)
        else:
            self.generic_visit(node)


def imports(module: str, *, module_level_only: bool = False) -> list[tuple[int, str]]:
    """(line, imported module of the package) for each import in ``module``."""
    statements = _ImportStatements(module_level_only)
    statements.visit(ast.parse(MODULES[module].read_text(encoding="utf-8")))
    return [(node.lineno, target) for node in statements.found for target in resolve(module, node)]


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of ``graph`` (module -> modules it imports), each as a path back to its start."""
    done: set[str] = set()
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append([*path[path.index(module) :], module])
            return
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    return cycles


def test_the_modules_are_found_and_sorted_into_layers():
    assert {"asyncomm", "asyncomm.events", "asyncomm.reliable.memory", "asyncomm.course.exercises.ch07"} <= set(MODULES)
    ranks = {
        "asyncomm": 0,
        "asyncomm.trace": 0,
        "asyncomm.reliable": 1,
        "asyncomm.teaching.stepping": 2,
        "asyncomm.labs.timing": 3,
        "asyncomm.widgets": 4,
        "asyncomm.course.exercises": 5,
    }
    assert {module: layer(module) for module in ranks} == ranks


def test_no_module_imports_a_higher_layer():
    upward = [
        f"{module}:{line} imports {target} ({LAYERS[layer(module)]} -> {LAYERS[layer(target)]})"
        for module in MODULES
        if module != "asyncomm.__main__"
        for line, target in imports(module)
        if layer(target) > layer(module)
    ]
    assert upward == []


def test_no_module_of_the_package_imports_the_asyncomm_facade():
    facade = {f"{module} -> {target}" for module in MODULES for _, target in imports(module) if target == "asyncomm"}
    assert facade == ALLOWED_FACADE_IMPORTS


def test_module_level_imports_form_no_cycle():
    graph = {module: {t for _, t in imports(module, module_level_only=True) if t != module} for module in MODULES}
    assert find_cycles(graph) == []


def test_the_checks_can_fail():
    # An import cycle like the one reliable/memory.py once had, importing idempotent at its bottom.
    assert find_cycles({"memory": {"idempotent"}, "idempotent": {"memory"}, "trace": set()}) == [
        ["idempotent", "memory", "idempotent"]
    ]
    # The command line imports the timing lab inside a function: an import, but not one that runs on import.
    assert "asyncomm.labs.bench" in {t for _, t in imports("asyncomm.__main__")}
    assert "asyncomm.labs.bench" not in {t for _, t in imports("asyncomm.__main__", module_level_only=True)}
    # queueing.py imports numpy.typing only under TYPE_CHECKING; its own package's modules count, others do not.
    assert {t for _, t in imports("asyncomm.labs.queueing_lab")} >= {"asyncomm.labs.queueing", "asyncomm._checks"}


# -- what `import asyncomm` loads -----------------------------------------------------------------------------

CORE = [
    "asyncomm",
    "asyncomm._checks",
    "asyncomm._lazy",
    "asyncomm._listeners",
    "asyncomm._queue_core",
    "asyncomm.async_queue",
    "asyncomm.callbacks",
    "asyncomm.clock",
    "asyncomm.errors",
    "asyncomm.events",
    "asyncomm.i18n",
    "asyncomm.queues",
    "asyncomm.statistics",
    "asyncomm.trace",
]
HEAVY = ["numpy", "pandas", "matplotlib", "ipywidgets", "multiprocessing"]


def run_python(code: str) -> object:
    """Run ``code`` in a fresh interpreter; it prints one JSON value, returned here."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def test_import_asyncomm_loads_exactly_the_core_and_nothing_heavy():
    loaded = run_python(
        "import json, sys; import asyncomm; "
        f"print(json.dumps([sorted(m for m in sys.modules if m.split('.')[0] == 'asyncomm'), "
        f"sorted(m for m in {HEAVY!r} if m in sys.modules)]))"
    )
    assert loaded == [CORE, []]


def test_the_other_layers_load_on_first_use():
    probes = {
        "ac.ReliableQueue": "asyncomm.reliable",
        "ac.labs.timing": "asyncomm.labs.timing",
        "ac.exercises.get": "asyncomm.course.exercises",
    }
    code = (
        "import json, sys; import asyncomm as ac; seen = []\n"
        f"for expression, module in {list(probes.items())!r}:\n"
        "    before = module in sys.modules\n"
        "    eval(expression)\n"
        "    seen.append([before, module in sys.modules])\n"
        "print(json.dumps(seen))"
    )
    assert run_python(code) == [[False, True]] * len(probes)
