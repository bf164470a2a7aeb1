"""The exporter: copies a derivative and everything it reads into one module's text.

Everything starts from *live* objects: the derivative is
bound like `grad` binds it, so each generated function carries its free
names as closure cells (runtime helpers, user rules, the bound pairs of its
callees) and its module globals as `__globals__`. A *unit* is one piece of
text to copy (a generated function, a runtime helper, a user function) and
how to look up the names it reads. For each global name a unit reads, the
exporter looks the object up (closure cells first, then the unit's globals,
then builtins) and decides how the module provides it:

- a module: `import numpy as np`;
- a generated function (its code comes from a `<srcgrad ...>` file): its
  text, found through the compile cache, as another unit;
- a srcgrad runtime helper (`runtime.is_helper`: a function or class of the
  `srcgrad/runtime/` package): its own source as another unit, read like a
  user function's, its globals those of its module, renamed with a `_` prefix
  (and the helpers it calls, transitively, whatever module they are in); a
  constant of a helper's module (`MISSING = object()`) is copied as the
  statement that defines it, so it is computed where the module runs;
- a function of the user's files (a rule, a called helper): its source
  (decorators dropped) as another unit;
- an object importable from an installed package (`scipy.special.expit`):
  `from scipy.special import expit`;
- a plain number, string or tuple of them: a literal assignment;
- for the numba backend in process (`library=`, native/library.py): a helper of
  srcgrad/native imported from the process's one helpers module
  (`from _srcgrad_native_srcgrad_helpers_<digest> import _unreduce`) instead of
  copied, so that numba compiles it once for all derivative modules;
- anything else (an array, a dict, an instance): an error telling the user
  to pass it as an argument.

Each object is exported once, under a module-level name claimed to be unique
(and never a builtin); references are renamed token by token in each unit
(only global references: a unit that has a local of the same name is
refused rather than silently miscompiled). The output is deterministic: no
dates, no addresses, names in order of first use.
"""
from __future__ import annotations

import ast
import builtins
import inspect
import os
import re
import symtable
import sys
import textwrap
import types

import numpy

from .. import nodes, runtime
from ..errors import SrcGradError
from .sources import _cells, _generated_text, _import_location, _lookup
from .text import (_LITERAL_TYPES, _attribute_uses, _first_use, _global_refs, _is_literal_tuple,
                   _literal_text, _rename)

_BUILTINS = frozenset(dir(builtins))
_SRCGRAD_IMPORT = re.compile(r"^(\s*)from srcgrad(?:\.\w+)* import SrcGradError\s*(#.*)?$", re.M)
_ANY_SRCGRAD_IMPORT = re.compile(r"^\s*(from\s+srcgrad\b|import\s+srcgrad\b)", re.M)

# objects of srcgrad's public API that a derivative may still call and that
# are plain Python without srcgrad imports: their source is copied.
_PORTABLE_API = ("stop_gradient", "detach", "no_grad")

_STANDIN_ERROR = '''\
class _SrcGradError(Exception):
    """Stands in for srcgrad.SrcGradError: srcgrad is not needed to run this module."""

    def __init__(self, message, location=None, hint=""):
        super().__init__(f"{message}\\nhint: {hint}" if hint else message)
'''


def entry_name(fn, mode: str) -> str:
    """The exported entry point's name: grad_<function> or jvp_<function> (a lambda's
    `<lambda>` as `lambda`)."""
    return ("jvp_" if mode == "forward" else "grad_") + re.sub(r"\W", "", fn.__name__)


class _StandIn:
    """Marker for the `_SrcGradError` class written into the module."""


_STANDIN = _StandIn()


class _Exporter:
    """One module being assembled: the names claimed, its imports and constants, and
    its text in sections (entry point, callees' derivatives, user functions, helpers)."""

    def __init__(self, target_dir: str | None, origin: str, native: bool = False, library=None):
        self.target_dir = target_dir
        self.origin = origin
        # for the numba backend: srcgrad/native's helpers, every function njit-compiled
        self.native = native
        # native/library.py's Library: the helpers imported from that module, not copied
        self.library = library
        self.frozen: list = []  # (function, global name, value) of each literal copied in
        self.taken: set[str] = set(_BUILTINS)
        self.by_id: dict[int, str] = {}
        self.alive: list = []  # keeps memoized objects alive so ids stay unique
        self.literals: dict = {}
        self.imports: list[str] = []
        self.constants: list[str] = []
        self.sections: dict[str, list[str]] = {"entry": [], "calls": [], "user": [], "runtime": []}
        self.module_names: dict = {}
        self.constant_names: dict[tuple, str] = {}
        self.assignments: dict[str, dict[str, str]] = {}
        self.shim_attrs: dict[str, str] = {}
        self.shim_name: str | None = None

    # names ------------------------------------------------------------------

    def claim(self, preferred: str) -> str:
        name = preferred
        n = 1
        while name in self.taken:
            n += 1
            name = f"{preferred}_{n}"
        self.taken.add(name)
        return name

    def _remember(self, obj, name: str) -> str:
        self.by_id[id(obj)] = name
        self.alive.append(obj)
        return name

    # entry ------------------------------------------------------------------

    def entry(self, fn, name: str) -> None:
        exported = self._remember(fn, self.claim(name))
        self._generated(fn, exported, "entry")

    # how each kind of object is provided --------------------------------------

    def resolve(self, obj, preferred: str, used_as: str = "") -> str:
        """The module-level name under which `obj` is available (emitting it once)."""
        if isinstance(obj, types.ModuleType):
            return self._module(obj, preferred)
        literal = self._is_literal(obj)
        if not literal and id(obj) in self.by_id:
            return self.by_id[id(obj)]
        if obj is _STANDIN and self.library is not None:
            return self._linked(obj)
        if obj is _STANDIN:
            name = self._remember(obj, self.claim("_SrcGradError"))
            self.sections["runtime"].append(_STANDIN_ERROR.replace("_SrcGradError", name))
            return name
        if literal:
            return self._literal(obj, preferred)
        if self.native:
            from ..native import helpers as native_helpers, numerics

            if obj is native_helpers.SrcGradError:
                return self.resolve(_STANDIN, preferred)
            module = getattr(obj, "__module__", None) or ""
            if module == numerics.__name__ or module.startswith(native_helpers.__name__ + "."):
                return self._native_helper(obj)  # of native/helpers/ or numerics, or a private one it calls
            if runtime.is_helper(obj):
                if obj.__name__ not in native_helpers.NAMES:
                    from ..native.constructs import construct

                    what = construct(obj.__name__)
                    err = SrcGradError(
                        (f"the numba backend does not compile {what} yet: it " if what else "the numba backend ")
                        + f"has no compiled version of srcgrad's runtime helper {obj.__name__}, which the "
                        f"derivative of {self.origin} calls",
                        hint="use backend='python' (or 'auto', which falls back to it)")
                    err.helper = obj
                    raise err
                return self._native_helper(getattr(native_helpers, obj.__name__))
        elif runtime.is_helper(obj):
            return self._helper(obj)
        if obj is runtime.UNBOUND:  # a placeholder object, defined by its own statement
            return self._remember(obj, self._constant(sys.modules[runtime.zeros_like.__module__], "UNBOUND"))
        module_name = getattr(obj, "__module__", None) or ""
        if module_name == "srcgrad" or module_name.startswith("srcgrad."):
            return self._portable_api(obj, preferred)
        code = getattr(obj, "__code__", None)
        if isinstance(obj, types.FunctionType) and code.co_filename.startswith("<srcgrad"):
            # the name its caller gives it (`_outer_forward`, `_outer_jvp`): private
            name = self._remember(obj, self.claim(
                preferred if preferred.startswith("_") else "_" + obj.__name__.lstrip("_")))
            self._generated(obj, name, "calls")
            return name
        if isinstance(obj, types.FunctionType) and self._is_user_function(obj):
            return self._user_function(obj, preferred)
        location = _import_location(obj, self.target_dir)
        if location is not None:
            module, attr = location
            name = self._remember(obj, self.claim(preferred))
            self.imports.append(f"from {module} import {attr}" + (f" as {name}" if name != attr else ""))
            return name
        if isinstance(obj, types.FunctionType):
            return self._user_function(obj, preferred)
        if self.native:
            name = used_as or preferred
            why = ("a NumPy scalar numba would compute in other types than NumPy does"
                   if isinstance(obj, numpy.generic) else "which can change without being rebound")
            err = SrcGradError(
                f"the numba backend compiles the globals a derivative reads in as constants; {name!r} "
                f"is a {type(obj).__module__}.{type(obj).__qualname__}, {why}, so it is not compiled in",
                hint=f"pass {name} to the function as an argument (numbers, numpy.float64 values and tuples "
                     "of numbers can be globals), or use backend='auto', which runs this function in Python")
            err.global_name = name
            raise err
        raise SrcGradError(
            f"the derivative reads the global {used_as or preferred!r} of {self.origin}, a "
            f"{type(obj).__module__}.{type(obj).__qualname__}; an exported module cannot carry it",
            hint=f"pass {used_as or preferred} to the function as an argument (only modules, "
                 "functions and plain numbers, strings and tuples of them can be exported)")

    def _module(self, module, preferred: str) -> str:
        full = module.__name__
        if full == "srcgrad" or full.startswith("srcgrad."):
            if self.shim_name is None:
                self.shim_name = self._remember(module, self.claim("_srcgrad"))
            return self.shim_name
        key = (full, preferred)  # each alias its own import: np stays np, numpy stays numpy
        if key not in self.module_names:
            name = self.module_names[key] = self.claim(preferred)
            self.imports.append(f"import {full}" if name == full else f"import {full} as {name}")
        return self.module_names[key]

    def _is_literal(self, obj) -> bool:
        """Whether `obj` is written into the module as a constant: a number, string or tuple
        of them; for numba also a NumPy float64, immutable and computed as a Python float
        is (numba gets it as that float). The caller's `frozen` watches it for rebinding."""
        return type(obj) in _LITERAL_TYPES or _is_literal_tuple(obj) or \
            (self.native and type(obj) is numpy.float64)

    def _literal(self, value, preferred: str) -> str:
        key = (preferred, type(value), repr(value))
        if key not in self.literals:
            name = self.claim(preferred)
            text = _literal_text(float(value) if type(value) is numpy.float64 else value)
            self.constants.append(f"{name} = {text}")
            self.literals[key] = name
        return self.literals[key]

    def _helper(self, obj) -> str:
        """A runtime helper (function or class), copied from its own source as `_name`."""
        name = self._remember(obj, self.claim("_" + obj.__name__.lstrip("_")))
        module = sys.modules[obj.__module__]
        text = _summary_docstrings(textwrap.dedent(inspect.getsource(obj)))
        self._runtime_unit(text, {obj.__name__: name}, module, f"runtime helper {obj.__name__}")
        return name

    def _native_helper(self, obj) -> str:
        """A helper of the numba backend: imported from the process's helpers module
        where there is one (native/library.py), else copied."""
        if self.library is not None and id(obj) in self.library.names:
            return self._linked(obj)
        return self._helper(obj)

    def _linked(self, obj) -> str:
        """`from <the helpers module> import _name`: the helper numba compiled once."""
        source = self.library.names[id(obj)]
        name = self._remember(obj, self.claim(source))
        self.imports.append(f"from {self.library.module_name} import {source}"
                            + (f" as {name}" if name != source else ""))
        return name

    def _constant(self, module, ref: str) -> str:
        """A constant a helper reads (`MISSING = object()`): its defining statement, as `_name`."""
        key = (module.__name__, ref)
        if key not in self.constant_names:
            self.constant_names[key] = name = self.claim("_" + ref.lstrip("_"))
            self._runtime_unit(self._assignments(module)[ref], {ref: name}, module, f"runtime constant {ref}")
        return self.constant_names[key]

    def _runtime_unit(self, text: str, defined: dict, module, what: str) -> None:
        """Copy a helper's or constant's text; the globals it reads are `module`'s."""
        text = _without_error_import(text)
        if _ANY_SRCGRAD_IMPORT.search(text):
            raise SrcGradError(f"cannot export srcgrad {what}: it imports srcgrad")
        extra = {"SrcGradError": _STANDIN}  # read as a global now: renamed to the stand-in
        self._unit(text, defined, lambda n: _lookup(n, extra, vars(module)), "runtime", module=module)

    def _assignments(self, module) -> dict[str, str]:
        """name -> the statement assigning it, for each module-level assignment of a
        runtime module: a constant has no source of its own, only the line defining it."""
        if module.__name__ not in self.assignments:
            text = inspect.getsource(module)
            lines = text.splitlines(keepends=True)
            found = {}
            for stmt in nodes.parse_ast(text).body:
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                        and isinstance(stmt.targets[0], ast.Name):
                    found[stmt.targets[0].id] = "".join(lines[stmt.lineno - 1:stmt.end_lineno])
            self.assignments[module.__name__] = found
        return self.assignments[module.__name__]

    def _portable_api(self, obj, preferred: str) -> str:
        from .. import markers

        for attr in _PORTABLE_API:
            if getattr(markers, attr, None) is obj:
                name = self._remember(obj, self.claim("_" + obj.__name__.lstrip("_")))
                text = textwrap.dedent(inspect.getsource(obj))
                self._unit(text, {obj.__name__: name}, lambda n: _lookup(n, {}, vars(markers)), "runtime")
                return name
        raise SrcGradError(
            f"the derivative calls srcgrad's {getattr(obj, '__qualname__', preferred)}, which "
            "needs srcgrad at run time: it cannot be exported",
            hint="remove the call from the function, or use srcgrad directly instead of export")

    def _is_user_function(self, fn) -> bool:
        """A function of the user's own files (copied), not of an installed package (imported)."""
        module = fn.__globals__.get("__name__", "")
        if module == "__main__" or module not in sys.modules:
            return True
        filename = fn.__globals__.get("__file__")
        if not filename or self.target_dir is None:
            return False
        return os.path.dirname(os.path.abspath(filename)) == self.target_dir

    def _user_function(self, fn, preferred: str) -> str:
        if not isinstance(fn, types.FunctionType) or fn.__name__ == "<lambda>":
            raise SrcGradError(f"cannot export {preferred!r} of {self.origin}: only functions "
                               "defined with def can be copied",
                               hint=f"define {preferred} with def, or pass its result as an argument")
        try:
            text = textwrap.dedent(inspect.getsource(fn.__code__))
        except (OSError, TypeError):
            raise SrcGradError(f"cannot export {fn.__qualname__}: its source is not available") from None
        tree = nodes.parse_ast(text)
        node = tree.body[0]
        if not isinstance(node, ast.FunctionDef) or node.name != fn.__code__.co_name:
            raise SrcGradError(f"cannot export {fn.__qualname__}: its source could not be isolated")
        text = "".join(text.splitlines(keepends=True)[node.lineno - 1:node.end_lineno])
        if _ANY_SRCGRAD_IMPORT.search(text):
            raise SrcGradError(f"cannot export {fn.__qualname__}: it imports srcgrad",
                               hint="move the import to module level, or out of the function")
        name = self._remember(fn, self.claim("_" + fn.__name__.lstrip("_")))  # private
        cells = _cells(fn)
        self._unit(text, {node.name: name}, lambda n: _lookup(n, cells, fn.__globals__), "user", owner=fn)
        return name

    def _generated(self, fn, name: str, section: str) -> None:
        text = _generated_text(fn)
        cells = _cells(fn)
        self._unit(text, {fn.__code__.co_name: name}, lambda n: _lookup(n, cells, fn.__globals__),
                   section, owner=fn)

    # one piece of text -------------------------------------------------------

    def _unit(self, text: str, defined: dict, lookup, section: str, module=None, owner=None) -> None:
        """Copy `text` (defining the names `defined`: old -> exported) into `section`,
        resolving every global it reads and renaming the references. `module`: the
        runtime module whose globals a helper's text reads (its constants are copied);
        `owner`: the user's or generated function the text is (its literals are `frozen`)."""
        slot = len(self.sections[section])  # callers before callees: reading order
        self.sections[section].append("")
        table = symtable.symtable(text, "<srcgrad export>", "exec")
        refs, local = _global_refs(table, set(defined))
        rename = {old: new for old, new in defined.items() if old != new}
        order = _first_use(text)
        attributes = _attribute_uses(text)
        for ref in sorted(refs, key=lambda r: order.get(r, len(order))):
            found, obj = lookup(ref)
            if not found:
                self.taken.add(ref)  # a builtin or an undefined name: nothing may shadow it
                continue
            if isinstance(obj, types.ModuleType) and (
                    obj.__name__ == "srcgrad" or obj.__name__.startswith("srcgrad.")):
                exported = self._srcgrad_shim(obj, ref, attributes.get(ref, set()))
            elif module is not None and ref in self._assignments(module):
                exported = self._constant(module, ref)
            else:
                try:
                    exported = self.resolve(obj, ref, used_as=ref)
                except SrcGradError as err:
                    if getattr(err, "global_name", None) is not None and owner is not None:
                        # where the refused value was read: a change there may compile (auto retries)
                        err.global_read = getattr(err, "global_read", None) or (owner, ref, obj)
                    raise
                if owner is not None and self._is_literal(obj):
                    self.frozen.append((owner, ref, obj))
                if self.native and isinstance(obj, types.ModuleType):
                    self._freeze_attributes(obj, attributes.get(ref, set()))
                if isinstance(obj, types.ModuleType):
                    self._submodule_imports(obj, exported, attributes.get(ref, set()))
            if exported != ref:
                rename[ref] = exported
        clash = (set(rename) - set(defined)) & local
        clash |= set(rename.values()) & local
        if clash:
            raise SrcGradError(f"cannot export: the name(s) {', '.join(sorted(clash))} are both local "
                               "and global in the generated code",
                               hint="rename the local variable in your function")
        self.sections[section][slot] = _rename(text, rename).rstrip() + "\n"

    def _freeze_attributes(self, module, chains: set) -> None:
        """numba reads `config.K` once, when it compiles: each number or tuple read through
        a module is recorded with its namespace (see `native.entry.NativeEntry.current`)."""
        for chain in sorted(chains):
            parent = module
            *path, last = chain.split(".")
            for part in path:
                parent = getattr(parent, part, None)
            namespace = getattr(parent, "__dict__", None)
            if isinstance(parent, types.ModuleType) and namespace is not None and last in namespace:
                value = namespace[last]
                if self._is_literal(value):
                    self.frozen.append((None, (namespace, last), value))

    def _submodule_imports(self, module, exported: str, chains: set) -> None:
        """`import scipy.special` when the code reads `scipy.special.expit` through `scipy`."""
        for chain in sorted(chains):
            parts = chain.split(".")
            for i in range(1, len(parts) + 1):
                full = ".".join([module.__name__] + parts[:i])
                if isinstance(sys.modules.get(full), types.ModuleType):
                    line = f"import {full}"
                    if line not in self.imports:
                        self.imports.append(line)

    def _srcgrad_shim(self, module, ref: str, chains: set) -> str:
        """A small class standing in for the parts of srcgrad a unit reads (`srcgrad.stop_gradient`)."""
        name = self._module(module, ref)
        for chain in sorted(chains):
            attr = chain.split(".")[0]
            if attr in self.shim_attrs:
                continue
            value = getattr(module, attr, None)
            if value is None or isinstance(value, types.ModuleType):
                raise SrcGradError(f"the derivative uses {ref}.{chain}, which needs srcgrad at run "
                                   "time: it cannot be exported")
            self.shim_attrs[attr] = self.resolve(value, attr)
        return name

    # output -------------------------------------------------------------------

    def render(self, header: str) -> str:
        if self.native:
            self.imports.append("import numba")
        imports = sorted(set(i for i in self.imports if i.startswith("import ")),
                         key=lambda s: (s.split()[1], s))
        froms = _joined(set(i for i in self.imports if i.startswith("from ")))
        parts = [header]
        parts.append("\n".join(imports + ([""] if imports and froms else []) + froms) + "\n")
        if self.constants:
            parts.append("\n".join(self.constants) + "\n")
        entry_names = [re.match(r"def (\w+)", t).group(1) for t in self.sections["entry"]]
        parts.append(f"__all__ = {entry_names!r}\n".replace("'", '"'))
        blocks = list(self.sections["entry"])
        titles = {"calls": "derivatives of the user functions it calls",
                  "user": "functions of the original module it calls",
                  "runtime": "helpers copied from srcgrad's runtime"}
        for key, title in titles.items():
            if self.sections[key]:
                blocks.append(f"# --- {title} " + "-" * max(3, 74 - len(title)) + "\n")
                blocks.extend(self.sections[key])
        if self.shim_name is not None:
            body = "\n".join(f"    {a} = staticmethod({n})" if _is_function_name(self, n)
                             else f"    {a} = {n}" for a, n in sorted(self.shim_attrs.items()))
            blocks.append(f"class {self.shim_name}:\n"
                          '    """The parts of srcgrad the code above reads (srcgrad is not needed)."""\n\n'
                          f"{body or '    pass'}\n")
        text = "\n".join(parts) + "\n\n" + "\n\n".join(blocks)
        if self.native:  # every function compiled by numba, cached on disk
            text = re.sub(r"^def ", "@numba.njit(cache=True, boundscheck=True)\ndef ", text, flags=re.M)
        compile(text, "<srcgrad export>", "exec")  # the output is valid Python, always
        return text


def _joined(froms: set) -> list:
    """`from m import a` and `from m import b as c` as one line, `from m import a, b as c`."""
    names: dict = {}
    for line in froms:
        module, imported = re.match(r"from (\S+) import (.+)$", line).groups()
        names.setdefault(module, []).append(imported)
    return [f"from {module} import {', '.join(sorted(found))}" for module, found in sorted(names.items())]


def _without_error_import(text: str) -> str:
    """A helper's text without its `from srcgrad.errors import SrcGradError` lines: the
    name is then a global the exporter renames to the stand-in class (a block the
    import was alone in keeps a `pass`)."""
    if not _SRCGRAD_IMPORT.search(text):
        return text
    dropped = re.sub(_SRCGRAD_IMPORT.pattern + r"\n(?:[ \t]*\n)?", "", text, flags=re.M)
    try:
        nodes.parse_ast(dropped)
    except SyntaxError:
        return _SRCGRAD_IMPORT.sub(lambda m: f"{m.group(1)}pass", text)
    return dropped


def _summary_docstrings(text: str) -> str:
    """A copied helper with each docstring cut to its first paragraph: what the
    function does; the reasons behind it are srcgrad's to keep."""
    lines = text.splitlines(keepends=True)
    cuts = []
    for node in ast.walk(nodes.parse_ast(text)):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.body \
                and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant) \
                and isinstance(node.body[0].value.value, str):
            doc = node.body[0]
            first, last = doc.lineno - 1, doc.end_lineno - 1
            blank = next((i for i in range(first + 1, last) if not lines[i].strip()), None)
            if blank is not None:
                cuts.append((blank - 1, last))
    for keep_to, last in sorted(cuts, reverse=True):
        lines[keep_to] = lines[keep_to].rstrip("\n") + '"""\n'
        del lines[keep_to + 1:last + 1]
    return "".join(lines)


def _is_function_name(exporter: "_Exporter", name: str) -> bool:
    return any(t.startswith(f"def {name}(") for sec in exporter.sections.values() for t in sec)
