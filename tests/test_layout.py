"""The package's layout: every module imports, and no two modules import each other.

The import graph is read from the `import` statements of every module under
srcgrad/ (those inside functions too: a deferred import hides a cycle, it
does not remove it). Each module is also imported, so a stale import path
after a move fails here rather than in the one test that happens to reach it.
"""
import ast
import importlib
import importlib.util
import pathlib

import srcgrad

ROOT = pathlib.Path(srcgrad.__file__).parent


def _modules() -> dict:
    """{dotted module name: (path, whether it is a package's __init__)}."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if package else parts)] = (path, package)
    return out


def import_graph() -> dict:
    """{module: the srcgrad modules its import statements name}."""
    modules = _modules()
    graph = {}
    for name, (path, package) in modules.items():
        here = name if package else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[:len(here.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:  # `from . import nodes` names the module srcgrad.nodes
                    sub = f"{target}.{alias.name}"
                    edges.add(sub if sub in modules else target)
        graph[name] = {e for e in edges if e in modules and e != name}
    return graph


def cycles(graph: dict) -> list:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_module_imports():
    for name in _modules():
        if name == "srcgrad.__main__":
            continue  # runs the command line
        if name.startswith("srcgrad.rules.scipy_") and importlib.util.find_spec("scipy") is None:
            continue  # registered only when SciPy imports
        importlib.import_module(name)


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    assert "srcgrad.compiler" in graph and "srcgrad.reverse.walk" in graph["srcgrad.reverse.backward"]
    assert "srcgrad.cache" not in graph["srcgrad.compiler"]  # the compile function is passed in
    assert not {"srcgrad.api"} & set().union(*(graph[m] for m in (
        "srcgrad.compose", "srcgrad.compose.plan", "srcgrad.compose.transforms", "srcgrad.fence",
        "srcgrad.compiler")))
    found = cycles(graph)
    assert not found, "import cycles: " + "; ".join(
        " <-> ".join(c) + " (" + ", ".join(f"{v} -> {sorted(graph[v] & set(c))}" for v in c) + ")"
        for c in found)


def test_the_cycle_check_sees_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_design_layout_lists_every_module():
    """docs/design.md opens with the layout, one line per file: it names each module
    of the package and no module that is gone."""
    import re

    root = pathlib.Path(srcgrad.__file__).parent
    text = (root.parent / "docs" / "design.md").read_text(encoding="utf-8")
    start = text.index("```\nsrcgrad/\n")
    block = text[start:text.index("```\n", start + 4)]
    listed = set(re.findall(r"^  (\S+\.py)", block, re.M))
    files = {p.relative_to(root).as_posix() for p in root.rglob("*.py")}
    assert listed == files, f"not in the layout: {sorted(files - listed)}; gone: {sorted(listed - files)}"
