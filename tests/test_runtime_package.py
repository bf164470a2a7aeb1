"""srcgrad/runtime/: one module per concern, every helper re-exported, one `is_helper`.

Generated code, the rule files and `export` rely on three things the layout
must keep: every public helper of every runtime module is the same object as
`srcgrad.runtime.<name>`; `runtime.is_helper` is true exactly for the
functions and classes of those modules; and the modules are free of srcgrad
imports (except SrcGradError on an error path, which `export` replaces),
each importing only the modules listed before it in the package docstring.
"""
import ast
import inspect
import pathlib
import re

import numpy as np
import pytest

import srcgrad
from srcgrad import runtime

PACKAGE = pathlib.Path(runtime.__file__).parent
# the order of the package docstring's table: a module imports only from modules above it
ORDER = re.findall(r"^    (\w+)  ", runtime.__doc__, re.M)
MODULES = {name: __import__(f"srcgrad.runtime.{name}", fromlist=["_"]) for name in ORDER}


def test_the_docstring_table_lists_every_module_of_the_package():
    files = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    assert sorted(ORDER) == files


def _defined(module):
    """Public functions, classes and constants defined by `module` itself."""
    tree = ast.parse(inspect.getsource(module))
    names = [s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.ClassDef))]
    names += [t.id for s in tree.body if isinstance(s, ast.Assign) for t in s.targets
              if isinstance(t, ast.Name)]
    return [n for n in names if not n.startswith("_")]


@pytest.mark.parametrize("name", ORDER)
def test_every_public_helper_is_re_exported_as_the_same_object(name):
    module = MODULES[name]
    defined = _defined(module)
    assert defined
    for helper in defined:
        assert getattr(runtime, helper, None) is getattr(module, helper), f"runtime.{helper}"


def test_is_helper_is_true_exactly_for_the_functions_and_classes_of_runtime_modules():
    for module in MODULES.values():
        for helper in _defined(module):
            obj = getattr(module, helper)
            assert runtime.is_helper(obj) == (inspect.isfunction(obj) or inspect.isclass(obj)), helper
    assert runtime.is_helper(runtime.unbroadcast) and runtime.is_helper(runtime.EinsumAdjoints)
    assert runtime.is_helper(MODULES["linalg"]._norm_axes)  # private, still a helper (export copies it)
    for other in (runtime.MISSING, runtime.NUMPY_MAJOR_FOR_SOLVE, runtime.is_helper, np.sum, np,
                  srcgrad.grad, srcgrad.stop_gradient, test_the_docstring_table_lists_every_module_of_the_package,
                  runtime, None):
        assert not runtime.is_helper(other), other


def test_a_helper_is_named_by_the_package_whatever_module_holds_it():
    from srcgrad.rules.registry import qualname

    assert runtime.solve_adjoint_a.__module__ == "srcgrad.runtime.linalg"
    assert qualname(runtime.solve_adjoint_a) == "srcgrad.runtime.solve_adjoint_a"
    assert qualname(runtime.EinsumAdjointTangents) == "srcgrad.runtime.EinsumAdjointTangents"


@pytest.mark.parametrize("name", ORDER)
def test_runtime_modules_import_no_srcgrad_and_only_modules_above_them(name):
    tree = ast.parse(inspect.getsource(MODULES[name]))
    above = set(ORDER[:ORDER.index(name)])
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            assert all(a.name in ("math", "numpy") for a in stmt.names), ast.unparse(stmt)
        elif isinstance(stmt, ast.ImportFrom):
            assert stmt.level == 1 and stmt.module in above, ast.unparse(stmt)
    for node in ast.walk(tree):  # inside functions: only SrcGradError, on an error path
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.startswith("srcgrad"):
            assert ast.unparse(node) == "from srcgrad.errors import SrcGradError"
