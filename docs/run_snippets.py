"""Run the Python snippets of the documentation pages, and refresh their printed output.

    python docs/run_snippets.py            # run every snippet; exit 1 on an error
    python docs/run_snippets.py --write    # also paste each snippet's output into its page

On the pages listed in `PAGES`, every block fenced as ```python is a snippet
that runs. A page's snippets run in order, in one fresh Python process, and
share one namespace, like cells of a notebook. Each snippet is compiled from
its own file, so the generated code's `# line N:` comments count lines from
the top of the snippet shown on the page.

A snippet followed by the line `<!-- output -->` and a fenced block (```py or
```text, never ```python) has its printed output pasted into that block by
`--write`; one line of prose ("Output:") may stand between the snippet and
the marker. Blocks fenced as ```py are shown, never run.

`tests/test_docs.py` runs every page's snippets, so an example that stops
working fails the test suite.
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parent
PAGES = ("index.md", "getting-started.md", "how-it-works.md", "custom-rules.md")
OUTPUT_MARKER = "<!-- output -->"
_SEPARATOR = "@@srcgrad-docs-snippet-{}@@"
_FENCE = re.compile(r"^```([A-Za-z]*)\s*$")

_DRIVER = """\
import sys
namespace = {"__name__": "__main__"}
for index, path in enumerate(sys.argv[1:]):
    print(%r.format(index), flush=True)
    with open(path, encoding="utf-8") as handle:
        code = compile(handle.read(), path, "exec")
    exec(code, namespace)
    sys.stdout.flush()
""" % _SEPARATOR


@dataclass
class Snippet:
    code: str
    output_span: tuple[int, int] | None  # lines (start, end) of the output block's body


def _next_text(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def snippets(lines: list[str]) -> list[Snippet]:
    """The ```python blocks of a page, each with the span of its output block (if any)."""
    out: list[Snippet] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match or not match.group(1):
            i += 1
            continue
        language = match.group(1)
        end = i + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        if language == "python":
            span = None
            j = _next_text(lines, end + 1)
            if j < len(lines) and lines[j].strip() != OUTPUT_MARKER and not _FENCE.match(lines[j]):
                j = _next_text(lines, j + 1)  # one line of prose may stand before the marker
            if j < len(lines) and lines[j].strip() == OUTPUT_MARKER:
                k = j + 1
                while k < len(lines) and not lines[k].strip():
                    k += 1
                if k >= len(lines) or not _FENCE.match(lines[k]) or _FENCE.match(lines[k]).group(1) == "python":
                    raise ValueError(f"line {j + 1}: {OUTPUT_MARKER} must be followed by a ```py "
                                     "or ```text block")
                close = k + 1
                while close < len(lines) and lines[close].rstrip() != "```":
                    close += 1
                span = (k + 1, close)
            out.append(Snippet("".join(lines[i + 1:end]), span))
        i = end + 1
    return out


def run_page(page: Path, workdir: Path) -> tuple[list[str], subprocess.CompletedProcess]:
    """Run a page's snippets; (the output of each snippet, the finished process)."""
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    blocks = snippets(lines)
    paths = []
    for index, block in enumerate(blocks):
        path = workdir / f"{page.stem.replace('-', '_')}_snippet{index + 1}.py"
        path.write_text(block.code, encoding="utf-8")
        paths.append(str(path))
    driver = workdir / "driver.py"
    driver.write_text(_DRIVER, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(driver), *paths], capture_output=True, text=True,
                          cwd=str(DOCS.parent), timeout=600)
    outputs: list[str] = []
    for index in range(len(blocks)):
        marker = _SEPARATOR.format(index) + "\n"
        after = proc.stdout.split(marker, 1)[1] if marker in proc.stdout else ""
        outputs.append(after.split("@@srcgrad-docs-snippet-", 1)[0])
    return outputs, proc


def refreshed(page: Path, outputs: list[str]) -> str:
    """The page's text with each output block replaced by its snippet's output."""
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    blocks = snippets(lines)
    for block, output in reversed(list(zip(blocks, outputs, strict=True))):
        if block.output_span is None:
            continue
        start, end = block.output_span
        text = output.rstrip("\n")
        lines[start:end] = [line + "\n" for line in text.split("\n")] if text else []
    return "".join(lines)


def main(argv: list[str]) -> int:
    write = "--write" in argv
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in PAGES:
            page = DOCS / name
            workdir = Path(tmp) / page.stem
            workdir.mkdir()
            outputs, proc = run_page(page, workdir)
            if proc.returncode != 0:
                status = 1
                print(f"{name}: a snippet failed\n{proc.stderr}", file=sys.stderr)
                continue
            if write:
                page.write_text(refreshed(page, outputs), encoding="utf-8")
                print(f"refreshed {name}")
            else:
                print(f"{name}: {len(outputs)} snippets ran")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
