"""npm packages the exports' tests read their outputs with, installed once into NPM_DIR.

scripts/setup.sh installs them there; a machine set up before it did gets a bounded npm install here."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from labconform.redact import redact_text

NPM_DIR = Path(os.environ.get("LABCONFORM_NPM_DIR", "/var/cache/labconform/npm"))
NPM_TIMEOUT_S = 300


def npm_module(name: str, spec: str) -> Path:
    """node_modules/<name> under NPM_DIR, npm-installed from `spec` (such as allure@3) when absent;
    the test is skipped on a machine without node and npm."""
    node, npm = shutil.which("node") or shutil.which("nodejs"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are not installed (Debian: apt-get install -y nodejs npm; scripts/setup.sh does)")
    module = NPM_DIR / "node_modules" / name
    if not (module / "package.json").is_file():
        NPM_DIR.mkdir(parents=True, exist_ok=True)
        p = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(NPM_DIR), spec],
                           capture_output=True, text=True, timeout=NPM_TIMEOUT_S)
        assert p.returncode == 0, redact_text(f"npm install {spec} failed:\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
    return module
