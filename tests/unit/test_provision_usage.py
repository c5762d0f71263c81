"""python -m provision refuses what would widen or lose its work before it reads the lab (issue 25)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ROCKY = REPO / "tests" / "data" / "rocky-8.4.json"


@pytest.mark.parametrize("args, says", [
    (["--only="], "--only '': names no part"),
    (["--only", " , "], "--only ' , ': names no part"),
    (["--json", "/nonexistent/out.json"], "--json /nonexistent/out.json: no folder /nonexistent"),
    (["--claims", "docker-03", "--waivers", "/dev/zero"], "--waivers /dev/zero: not a regular file"),
    (["--lease-wait", "nan"], "seconds from 0 to"),
    (["--target", ""], "empty; say local"),
    (["--facts", "/dev/zero"], "--facts /dev/zero: not a regular file"),
])
def test_refused_before_the_plan_with_one_line(args, says) -> None:
    facts = [] if "--facts" in args or "--target" in args else ["--facts", str(ROCKY)]
    p = subprocess.run([sys.executable, "-m", "provision", *facts, *args], cwd=REPO, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 2, p.stdout + p.stderr
    assert says in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert "plan (--check" not in p.stdout, "refused before any plan"
