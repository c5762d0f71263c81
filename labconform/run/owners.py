"""Which provisioning step owns each claim, asked of `python -m provision --owners` in a subprocess:
verification never imports provisioning (tests/unit/test_architecture.py)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# the folder that holds the labconform and provision packages side by side
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60.0
CACHE_KEEP = 32  # owner maps kept: one per host facts, parameters and provisioning code seen lately

Owners = dict[str, dict[str, Any]]


def provisioning_owners(facts: dict[str, Any] | None, params_file: str | None) -> tuple[Owners, str | None]:
    """Which provisioning step makes each claim true, from the plan for this run's host facts, and
    why there are none when there are none.

    The plan is built (never run: no check, no change) against the facts this run read, as
    `python -m provision --facts` would, so the report needs no live target to say it."""
    if facts is None:
        return {}, "no host facts were read in this run: provisioning steps not known"
    key = cache_key(facts, params_file)
    cached = cache_dir() / f"{key}.json"
    try:
        return json.loads(cached.read_text()), None
    except (OSError, ValueError):
        pass
    owners, why = ask(facts, params_file)
    if why is None:
        store(cached, owners)
    return owners, why


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "labconform" / "owners"


def cache_key(facts: dict[str, Any], params_file: str | None) -> str:
    """The map depends on the facts, the parameters and provisioning's own code: all three in the key, so a
    cached map is the one the subprocess would print now."""
    h = hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode())
    if params_file:
        try:
            h.update(Path(params_file).read_bytes())
        except OSError:
            h.update(b"unreadable " + params_file.encode())
    for f in sorted((ROOT / "provision").rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts:
            h.update(f.relative_to(ROOT).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:32]


def store(path: Path, owners: Owners) -> None:
    """Keep the map (best effort: a read-only home only costs the subprocess next time)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(owners))
        os.replace(tmp, path)
        for old in sorted(path.parent.glob("*.json"), key=lambda f: f.stat().st_mtime)[:-CACHE_KEEP]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def ask(facts: dict[str, Any], params_file: str | None) -> tuple[Owners, str | None]:
    """`python -m provision --owners --facts` for these facts, in a subprocess."""
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
