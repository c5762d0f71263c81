"""The commands as console scripts (pyproject.toml's [project.scripts]): each names a function that exists, and
the installed `labconform` answers as `python -m labconform` does."""

from __future__ import annotations

import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_each_console_script_names_a_function(name: str) -> None:
    module, _, attr = SCRIPTS[name].partition(":")
    assert callable(getattr(importlib.import_module(module), attr)), SCRIPTS[name]


def test_the_installed_labconform_command_answers_like_python_m() -> None:
    script = Path(sys.executable).with_name("labconform")
    if not script.exists():
        pytest.skip(f"{script} is not installed: scripts/setup.sh installs it (pip install -e .)")
    direct = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    by_module = subprocess.run([sys.executable, "-m", "labconform", "--help"], capture_output=True, text=True,
                               timeout=60, cwd=REPO)
    assert direct.returncode == by_module.returncode == 0, direct.stderr + by_module.stderr
    assert "labconform change" in direct.stdout and direct.stdout == by_module.stdout
    unknown = subprocess.run([str(script), "nonesuch"], capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 4 and "unknown command 'nonesuch'" in unknown.stderr
