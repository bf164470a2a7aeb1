"""The documentation: generated pages are current, snippets run, the site builds.

- `docs/supported.md` and `docs/api.md` are generated from the rule registry
  and `srcgrad.__all__` by `docs/gen_supported.py`; the committed files must
  equal what it writes now (run `python docs/gen_supported.py` to update them).
- The Python snippets of the tutorial pages run without error
  (`docs/run_snippets.py`; `--write` refreshes their printed output).
- `mkdocs build --strict` succeeds when MkDocs is installed (the `docs`
  extra). Without MkDocs the test checks what it can without it, that every
  page in the nav exists; with `SRCGRAD_DOCS=1` set, a missing MkDocs fails.
"""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"srcgrad_docs_{name}", DOCS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


gen_supported = _load("gen_supported")
run_snippets = _load("run_snippets")


@pytest.mark.parametrize("filename", sorted(gen_supported.OUTPUTS))
def test_generated_page_is_current(filename):
    expected = gen_supported.OUTPUTS[filename]()
    committed = (DOCS / filename).read_text(encoding="utf-8")
    assert committed == expected, (
        f"docs/{filename} is out of date with the code; run: python docs/gen_supported.py")


def test_supported_page_lists_every_registered_primitive():
    from srcgrad.rules import registry

    text = (DOCS / "supported.md").read_text(encoding="utf-8")
    primitives = list(registry.adjoint_rules()) + list(registry.tangent_rules()) \
        + list(registry.nondifferentiable_primitives()) + list(registry.aliases())
    missing = sorted({gen_supported.public_name(p) for p in primitives}
                     - set(re.findall(r"`([^`]+)`", text))
                     - {n for n in map(gen_supported.public_name, primitives)
                        if n.startswith("srcgrad.runtime.")
                        and n[len("srcgrad.runtime."):] in text})
    assert not missing, f"not on docs/supported.md: {missing}"


def test_api_page_documents_every_public_name():
    import srcgrad

    text = (DOCS / "api.md").read_text(encoding="utf-8")
    missing = [n for n in srcgrad.__all__ if f"## `{n}`" not in text and f"## `srcgrad.{n}`" not in text]
    assert not missing, f"not on docs/api.md: {missing}"


@pytest.mark.parametrize("page", run_snippets.PAGES)
def test_page_snippets_run(page, tmp_path):
    outputs, proc = run_snippets.run_page(DOCS / page, tmp_path)
    assert proc.returncode == 0, f"a snippet of docs/{page} failed:\n{proc.stderr}"
    assert len(outputs) == len(run_snippets.snippets(
        (DOCS / page).read_text(encoding="utf-8").splitlines(keepends=True)))


def _nav_pages() -> list[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    return re.findall(r"^\s*-\s*[^:\n]+:\s*(\S+\.md)\s*$", text, flags=re.MULTILINE)


def test_site_builds_strictly(tmp_path):
    pages = _nav_pages()
    assert pages, "mkdocs.yml lists no pages in its nav"
    missing = [p for p in pages if not (DOCS / p).is_file()]
    assert not missing, f"mkdocs.yml's nav lists pages that do not exist: {missing}"
    if importlib.util.find_spec("mkdocs") is None:
        assert os.environ.get("SRCGRAD_DOCS") != "1", (
            "SRCGRAD_DOCS=1 asks for the documentation build, but MkDocs is not installed: "
            'pip install -e ".[docs]"')
        return  # without MkDocs: the nav check above is what can be checked
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(tmp_path / "site")],
        capture_output=True, text=True, cwd=str(ROOT), timeout=600)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    assert (tmp_path / "site" / "index.html").is_file()
