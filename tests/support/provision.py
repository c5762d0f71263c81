"""What the faults, lab, unit tests of test_provision.py share."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def provision(tmp_path: Path, *args: str) -> tuple[int, dict, str]:
    out = tmp_path / f"plan-{len(list(tmp_path.iterdir()))}.json"
    p = subprocess.run(
        [sys.executable, "-m", "provision", "--json", str(out), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    plan = json.loads(out.read_text()) if out.exists() else {}
    return p.returncode, plan, p.stdout + p.stderr


def provisioned(tmp_path: Path, *args: str) -> tuple[dict, str]:
    """`python -m provision ARGS`, which must exit 0: its plan (--json) and what it printed."""
    rc, plan, out = provision(tmp_path, *args)
    assert rc == 0, out
    return plan, out


def statuses(plan: dict) -> dict[str, str]:
    return {s["step"]: s["status"] for s in plan["steps"]}


