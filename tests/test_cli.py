"""The command line: `srcgrad --version` / `--help` and `python -m srcgrad`."""
import subprocess
import sys

import srcgrad
from srcgrad.cli import main


def test_version_flag_prints_the_package_version(capsys):
    try:
        main(["--version"])
    except SystemExit as stop:
        assert stop.code == 0
    assert capsys.readouterr().out.strip() == f"srcgrad {srcgrad.__version__}"


def test_no_arguments_prints_help(capsys):
    assert main([]) == 0
    assert "usage: srcgrad" in capsys.readouterr().out


def test_python_dash_m_runs_the_same_command():
    done = subprocess.run([sys.executable, "-m", "srcgrad", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "usage: srcgrad" in done.stdout
