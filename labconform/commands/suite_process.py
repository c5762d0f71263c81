"""The suite run as a subprocess against a lab, its output streamed, its results.json read back."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labconform.commands.streamed import Streamed, stream
from labconform.results import document

REPO = Path(__file__).resolve().parents[2]
SUITE_TIMEOUT_S = 1800  # one check of the lab: the whole suite takes about a minute


@dataclass
class SuiteRun:
    folder: Path
    ran: Streamed
    seconds: float
    data: dict[str, Any] = field(default_factory=dict)
    error: str = ""  # why there is no results.json

    @property
    def verdicts(self) -> dict[str, str]:
        return {c["id"]: c["verdict"] for c in self.data.get("claims") or []}


def argv(paths: list[str], run_name: str, reports_dir: Path, reach: list[str], extra: list[str],
         marks: str = "not destructive") -> list[str]:
    """`python -m pytest` of these feature paths (as given, or else under the repository), the claims `marks`
    selects (never the destructive ones by default), into reports_dir/run_name."""
    where = [Path(p).resolve() if Path(p).exists() else REPO / p for p in paths]
    return [sys.executable, "-m", "pytest", *project_options(where), *map(str, where), "-q", "-p", "no:cacheprovider",
            "-m", marks, "--run-name", run_name, "--reports-dir", str(reports_dir.resolve()), *reach, *extra]


def project_options(where: list[Path]) -> list[str]:
    """A feature folder outside the checkout (a lab's own claims) is collected with the project's plugin, steps
    and markers. pytest alone would take that folder as its rootdir, find no pyproject.toml and no conftest.py
    there, and know neither the plugin's options nor the steps: the checkout is named its rootdir and ini file,
    and when no path lies inside it (pytest then loads its conftest.py itself), its conftest.py is loaded as a
    plugin (the suite runs with the checkout as its working directory)."""
    if all(p.is_relative_to(REPO) for p in where):
        return []
    inside = any(p.is_relative_to(REPO) for p in where)
    return ["--rootdir", str(REPO), "-c", str(REPO / "pyproject.toml"), *([] if inside else ["-p", "conftest"])]


def id_marks(ids: list[str] | tuple[str, ...]) -> str:
    """A -m expression selecting exactly these claims by their id markers (-k "id:x" would also take x0)."""
    return " or ".join(f'id(value="{i}")' for i in ids)


def run(command: list[str], run_name: str, reports_dir: Path, prefix: str, what: str,
        env: dict[str, str] | None = None) -> SuiteRun:
    started = time.monotonic()
    ran = stream(command, timeout=SUITE_TIMEOUT_S, env=env, cwd=REPO, prefix=prefix, what=what)
    folder = reports_dir / run_name
    out = SuiteRun(folder, ran, time.monotonic() - started)
    try:
        out.data = document.load(folder / "results.json")
    except (OSError, ValueError) as exc:
        out.error = f"the suite wrote no results ({type(exc).__name__}, exit {ran.rc})"
    return out
