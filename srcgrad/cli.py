"""The `srcgrad` command line (also `python -m srcgrad`), SPEC section 3.

    srcgrad show   FILE.py:FUNC [--wrt x,y] [--mode reverse|forward] [--kinds x=array,n=scalar] [--split]
    srcgrad export FILE.py:FUNC [--wrt x,y] [--mode reverse|forward] [--kinds ...] [--backend numba] -o OUT.py

`show` prints the generated derivative (syntax-highlighted with pygments
when stdout is a terminal and pygments is installed); `export` writes it as
a standalone module (see `srcgrad.export`). Both build it for the argument
kinds a header comment names (see `srcgrad.listing`); `--kinds` picks others.

Exit status: 0 on success; 2 for a problem with what was asked (no such
file or function, a bad --wrt, code srcgrad cannot differentiate or export,
an error while importing the file); 1 for an internal error (a bug).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import shlex
import sys
import traceback

from . import __version__
from .errors import SrcGradError

USAGE_ERROR = 2


class CommandError(Exception):
    """A problem the user can fix: printed as `srcgrad: error: ...`, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srcgrad",
        description="Automatic differentiation of Python and NumPy by source transformation.",
        epilog="Run `srcgrad show -h` or `srcgrad export -h` for a command's options.")
    parser.add_argument("--version", action="version", version=f"srcgrad {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(sub):
        sub.add_argument("target", metavar="FILE.py:FUNC",
                         help="the function to differentiate: a Python file and a function in it")
        sub.add_argument("--wrt", default="0", metavar="x,y",
                         help="the arguments to differentiate with respect to: names or positions, "
                              "comma separated (default: the first argument)")
        sub.add_argument("--mode", choices=("reverse", "forward"), default="reverse",
                         help="reverse: the gradient (default); forward: the tangent (jvp) function")
        sub.add_argument("--kinds", default="", metavar="x=array,n=scalar",
                         help="build for these argument kinds: NAME=KIND pairs, comma separated; "
                              "a KIND is array, scalar (a Python number), numbers (a list of floats), "
                              "record, container or other. An argument not named gets the kind of "
                              "its default value, else of its annotation (float, int: scalar), "
                              "else array. The output's first line names the kinds used")

    show = commands.add_parser("show", help="print the generated derivative of a function",
                               description="Print the generated derivative of FUNC in FILE.py.")
    common(show)
    show.add_argument("--split", action="store_true",
                      help="reverse mode: show the forward/backward pair (what vjp runs) "
                           "instead of the joint gradient")
    show.add_argument("--nan-safe", action="store_true",
                      help="also show a fast gradient's NaN-safe twin (the code it hands over to "
                           "when it meets 0 * inf or 0 / 0)")
    show.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                      help="highlight with pygments: auto (default) when stdout is a terminal")
    export = commands.add_parser(
        "export", help="write the derivative as a standalone module (no srcgrad needed to run it)",
        description="Write the derivative of FUNC in FILE.py as a standalone Python module: its "
                    "entry point is grad_FUNC (reverse) or jvp_FUNC (forward); it imports NumPy "
                    "and what FILE.py imported, and runs without srcgrad installed.")
    common(export)
    export.add_argument("--backend", choices=("python", "numba"), default="python",
                        help="numba: every function of the module under numba.njit(cache=True) "
                             "(needs numba to run; lists of floats are passed as float64 arrays)")
    export.add_argument("-o", "--output", required=True, metavar="OUT.py",
                        help="the file to write ('-' for standard output)")
    return parser


# --- loading the user's function ---------------------------------------------------


def _split_target(target: str) -> tuple[str, str]:
    path, sep, func = target.rpartition(":")
    if not sep or not path or not func:
        raise CommandError(f"expected FILE.py:FUNCTION, got {target!r} "
                           "(for example: model.py:loss)")
    return path, func


def load_function(target: str):
    """The function FUNC of FILE.py: the file imported as a module named after
    its stem, with its directory on sys.path while it is imported."""
    path, func = _split_target(target)
    if not os.path.isfile(path):
        raise CommandError(f"no such file: {path}")
    given, path = path, os.path.abspath(path)
    stem = os.path.splitext(os.path.basename(path))[0]
    module_name = stem if stem.isidentifier() else "_srcgrad_target"
    existing = sys.modules.get(module_name)
    if existing is not None and os.path.abspath(getattr(existing, "__file__", "") or "") == path:
        module = existing
    else:
        if existing is not None:  # the stem names another module (`random.py`): keep both
            module_name = f"_srcgrad_target_{module_name}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise CommandError(f"cannot import {path}: not a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        directory = os.path.dirname(path)
        sys.path.insert(0, directory)
        try:
            spec.loader.exec_module(module)
        except SystemExit:
            del sys.modules[module_name]
            raise CommandError(f"importing {given} called sys.exit(); put the script part under "
                               "`if __name__ == \"__main__\":`") from None
        except BaseException as error:
            del sys.modules[module_name]
            if isinstance(error, KeyboardInterrupt):
                raise
            frames = list(traceback.extract_tb(error.__traceback__))
            first = next((i for i, f in enumerate(frames) if f.filename == path), len(frames))
            frames = frames[first:]  # from the user's file on: not importlib's or ours
            details = "".join(traceback.format_list(frames[-2:])
                              + traceback.format_exception_only(type(error), error)).rstrip()
            raise CommandError(f"importing {given} failed:\n{details}") from None
        finally:
            with contextlib.suppress(ValueError):
                sys.path.remove(directory)
    obj = module
    for part in func.split("."):
        if not hasattr(obj, part):
            functions = sorted(n for n, v in vars(module).items()
                               if callable(v) and getattr(v, "__module__", None) == module.__name__
                               and not n.startswith("_"))
            known = f"; its functions: {', '.join(functions)}" if functions else ""
            raise CommandError(f"no function {func!r} in {given}{known}")
        obj = getattr(obj, part)
    from .api import Derivative  # (imports the compiler: only once a file is loaded)

    fn = obj.fun if isinstance(obj, Derivative) else obj  # grad(f) at module level: f
    if not callable(fn) or not hasattr(fn, "__code__"):
        raise CommandError(f"{func!r} in {given} is not a function defined with def "
                           f"(it is a {type(fn).__name__})")
    return fn


def _wrt(fn, text: str) -> tuple[str, ...]:
    from .boundary import resolve_wrt

    items = [item.strip() for item in text.split(",")]
    if not items or any(not item for item in items):
        raise CommandError(f"--wrt {text!r}: give argument names or positions separated by commas "
                           "(for example --wrt x,w or --wrt 0,1)")
    wrt = tuple(int(i) if i.lstrip("-").isdigit() else i for i in items)
    names, _ = resolve_wrt(fn, wrt)  # a SrcGradError says what is wrong
    return names


def _kinds(fn, text: str, names: tuple) -> tuple[str, ...]:
    """One argument kind per parameter: those --kinds names, the defaults for the rest."""
    from .listing import resolve_kinds

    if not text.strip():
        return resolve_kinds(fn, None, names)
    try:
        return resolve_kinds(fn, text, names)
    except SrcGradError as error:  # name the option: the message starts "kinds '...': "
        raise CommandError(f"--{error}") from None


# --- the commands --------------------------------------------------------------------


def show_source(fn, wrt: tuple, mode: str, split: bool, kinds=None, nan_safe: bool = False) -> str:
    """The text `srcgrad show` prints (`kinds`: see `listing.resolve_kinds`; `nan_safe`:
    a fast path's NaN-safe twin too)."""
    from .listing import derivative_source

    if split and mode == "forward":
        raise CommandError("--split is for reverse mode: forward mode has no backward pass")
    return derivative_source(fn, wrt, "split" if split else mode, kinds, nan_safe=nan_safe)


def _highlight(text: str, color: str, stream) -> str:
    if color == "never" or (color == "auto" and (
            os.environ.get("NO_COLOR") or not getattr(stream, "isatty", lambda: False)())):
        return text
    try:
        from pygments import highlight
        from pygments.formatters import TerminalFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return text
    return highlight(text, PythonLexer(), TerminalFormatter())


def _command_line(args, fn, names: tuple, kinds: tuple) -> str:
    from .listing import kinds_text

    parts = ["srcgrad", "export", args.target, "--wrt", ",".join(names)]
    if args.mode != "reverse":
        parts += ["--mode", args.mode]
    if kinds:
        parts += ["--kinds", kinds_text(fn, kinds)]
    if getattr(args, "backend", "python") != "python":
        parts += ["--backend", args.backend]
    parts += ["-o", args.output]
    return " ".join(shlex.quote(p) for p in parts)


def _run(args) -> int:
    fn = load_function(args.target)
    names = _wrt(fn, args.wrt)
    kinds = _kinds(fn, args.kinds, names)
    if args.command == "show":
        text = show_source(fn, names, args.mode, args.split, kinds, args.nan_safe)
        sys.stdout.write(_highlight(text, args.color, sys.stdout))
        return 0
    from .export import entry_name, export_source
    from .listing import build

    text = export_source(fn, names, args.mode, origin=args.target,
                         command=_command_line(args, fn, names, kinds), kinds=kinds, backend=args.backend)
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as error:
        raise CommandError(f"cannot write {args.output}: {error.strerror or error}") from None
    params = _parameters(fn)
    if args.mode == "forward":
        tangents = build(fn, names, "forward", kinds).compiled.tangent_params
        params += tangents if args.backend == "numba" else ["*"] + tangents
    print(f"wrote {args.output}: {entry_name(fn, args.mode)}({', '.join(params)}), "
          f"{args.mode} mode, with respect to {', '.join(names)}", file=sys.stderr)
    return 0


def _parameters(fn) -> list[str]:
    import inspect

    return [p.name for p in inspect.signature(fn).parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = sys.argv[1:] if argv is None else argv
    if not args:
        parser.print_help()
        return 0
    options = parser.parse_args(args)
    if options.command is None:
        parser.print_help()
        return 0
    try:
        return _run(options)
    except (CommandError, SrcGradError) as error:
        print(f"srcgrad: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except BrokenPipeError:  # `srcgrad show ... | head`
        with contextlib.suppress(Exception):
            sys.stdout = open(os.devnull, "w")
        return 0
    except Exception:
        traceback.print_exc()
        print("srcgrad: internal error: please report it with the traceback above",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
