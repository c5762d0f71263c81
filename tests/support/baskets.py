"""What the lab, unit tests of test_baskets.py share."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

TOP = Path(__file__).resolve().parents[2]


def plan(tmp_path: Path, *args: str, params: dict | None = None, prefix: tuple[str, ...] = ()) -> dict:
    out = tmp_path / "plan.json"
    cmd = [*prefix, sys.executable, "-m", "provision", "--check", "--json", str(out), *args]
    if params is not None:
        (tmp_path / "p.yaml").write_text(yaml.safe_dump(params))
        cmd += ["--lab-params", str(tmp_path / "p.yaml")]
    proc = subprocess.run(cmd, cwd=TOP, capture_output=True, text=True, timeout=300)
    assert out.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    return {s["step"]: s for s in json.loads(out.read_text())["steps"]}


