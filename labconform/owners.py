"""Which provisioning step owns each claim, asked of `python -m provision --owners` in a subprocess:
verification never imports provisioning (tests/test_architecture.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# the folder that holds the labconform and provision packages side by side
ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 60.0

Owners = dict[str, dict[str, Any]]


def provisioning_owners(facts: dict[str, Any] | None, params_file: str | None) -> tuple[Owners, str | None]:
    """Which provisioning step makes each claim true, from the plan for this run's host facts, and
    why there are none when there are none.

    The plan is built (never run: no check, no change) against the facts this run read, as
    `python -m provision --facts` would, so the report needs no live target to say it."""
    if facts is None:
        return {}, "no host facts were read in this run: provisioning steps not known"
    cant = "the provisioning plan could not be built"
    with tempfile.TemporaryDirectory(prefix="lc-owners-") as tmp:
        state = Path(tmp) / "facts.json"
        state.write_text(json.dumps({"facts": facts}, default=str))
        argv = [sys.executable, "-m", "provision", "--owners", "--facts", str(state)]
        if params_file:
            argv += ["--lab-params", str(Path(params_file).resolve())]
        try:
            p = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return {}, f"{cant}: python -m provision --owners took over {TIMEOUT_S:g} s"
        except OSError as exc:
            return {}, f"{cant}: {type(exc).__name__}: {exc}"
    if p.returncode != 0:
        said = (p.stderr.strip().splitlines() or [f"python -m provision --owners exited {p.returncode}"])[-1]
        return {}, said.removeprefix("provision: ") if said.startswith(f"provision: {cant}") else f"{cant}: {said}"
    try:
        return json.loads(p.stdout), None
    except ValueError as exc:
        return {}, f"{cant}: python -m provision --owners printed no JSON: {exc}"
