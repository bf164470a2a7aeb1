"""A package people can depend on (issue 14 item 7): licence, metadata, links,
and the README's quick start kept equal to what CI runs."""
import pathlib
import re

try:
    import tomllib
except ImportError:  # Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib

import srcgrad

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
README = (ROOT / "README.md").read_text()
REPOSITORY = PROJECT["urls"]["Repository"]


def test_the_licence_file_is_the_declared_licence():
    assert PROJECT["license"] == "Apache-2.0"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License\n")
    assert "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text


def test_metadata_names_every_tested_python_and_the_project_urls():
    classifiers = set(PROJECT["classifiers"])
    noxfile = (ROOT / "noxfile.py").read_text()
    tested = set(re.findall(r'\("(3\.\d+)", "[\d.]+"\)', noxfile))
    assert tested == {"3.10", "3.11", "3.12", "3.13"}
    assert {f"Programming Language :: Python :: {v}" for v in tested} <= classifiers
    assert PROJECT["requires-python"] == f">={min(tested, key=lambda v: int(v.split('.')[1]))}"
    assert not any(c.startswith("License ::") for c in classifiers)  # the SPDX licence says it
    assert len(PROJECT["keywords"]) >= 5
    assert set(PROJECT["urls"]) >= {"Homepage", "Documentation", "Repository", "Issues", "Changelog"}
    assert all(url.startswith("https://") for url in PROJECT["urls"].values())


def test_readme_links_are_absolute_and_point_at_files_that_exist():
    # a package index shows the README without the repository around it
    targets = re.findall(r"\]\(([^)\s]+)\)", README)
    assert targets
    for target in targets:
        assert target.startswith("https://"), f"relative link in README.md: {target}"
        for prefix in (f"{REPOSITORY}/blob/main/", f"{REPOSITORY}/tree/main/"):
            if target.startswith(prefix):
                path = ROOT / target[len(prefix):].split("#")[0]
                assert path.exists(), f"README.md links to {target}, but {path} does not exist"


def test_the_changelog_covers_the_current_version():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## {srcgrad.__version__}" in changelog
    assert PROJECT["urls"]["Changelog"] == f"{REPOSITORY}/blob/main/CHANGELOG.md"


def test_the_readme_quick_start_is_what_ci_runs():
    blocks = re.findall(r"```\n(.*?)\n```", README, flags=re.S)
    venv, demo, suite = ("python3 -m venv .venv && . .venv/bin/activate",
                         'pip install -e ".[test]" && python examples/quickstart.py',
                         'pip install -e ".[test]" && pytest')
    assert [venv, demo, suite] == blocks[:3]
    assert "externally-managed-environment" in README
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in ci.splitlines() if not line.lstrip().startswith("#")]
    for command in ('"$PYTHON" -m venv .venv', ". .venv/bin/activate", 'pip install -e ".[test]"',
                    "python examples/quickstart.py", "pytest",
                    'nox -s "fast(3.10-numpy1.26)" "fast(3.13-numpy2)" > "$MATRIX_LOG" 2>&1 &',
                    'python -m build --outdir "$DIST"'):
        assert command in commands, f".ci/run does not run {command!r}"
    assert commands.index(". .venv/bin/activate") < commands.index('pip install -e ".[test]"') \
        < commands.index("python examples/quickstart.py") < commands.index("pytest")
    for line in (venv, demo, suite):
        assert f"#   {line}" in ci  # its header quotes the README
