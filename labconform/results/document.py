"""results.json: every claim's verdict and evidence for one run (schema documented in docs/results.md)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labconform import input_files
from labconform.errors import UsageError
from labconform.redact import redact

SCHEMA = "labconform.results"
SCHEMA_VERSION = 1
VERDICTS = ("passed", "failed", "not_applicable", "waived", "error")


# a run's name names its containers, its folder under reports/ and its scratch folder on the lab host
RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


def new_run_name() -> str:
    return "lc-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(2)



def feature_path(feature_file: str) -> str:
    """Where a claim's feature file is, as results.json names it: the document's by name (features/NAME), a
    lab's own by its path from the checkout (labs/node/features/own.feature)."""
    return feature_file if "/" in feature_file else f"features/{feature_file}"


def feature_file_of(path: Path, rootdir: Path) -> str:
    """The name results.json gives a feature file: its name in the checkout's features/, else its path from the
    checkout (or its whole path outside it), so that a lab's own claims keep a section of their own."""
    path = path.resolve()
    if path.parent == (rootdir / "features").resolve():
        return path.name
    try:
        return str(path.relative_to(rootdir.resolve()))
    except ValueError:
        return str(path)

@dataclass
class ClaimResult:
    id: str
    nodeid: str
    feature: str
    feature_file: str
    scenario: str
    tags: list[str]
    target: str
    verdict: str = ""  # set from the test phases; "" only while the claim runs
    reason: str = ""
    duration_s: float = 0.0
    evidence: list[dict[str, Any]] = field(default_factory=list)
    line: int = 0  # of the Scenario in its feature file
    rationale: str = ""  # the Scenario's description: why the claim matters
    steps: list[dict[str, Any]] = field(default_factory=list)  # keyword, text, line, status
    owner: dict[str, Any] | None = None  # the provisioning step that makes the claim true
    waiver: dict[str, Any] | None = None  # the waiver naming this claim, expired or not
    change: dict[str, Any] | None = None  # against --baseline: {"change": ..., "was": verdict}

    @property
    def impact(self) -> str:
        return next((t.split(":", 1)[1] for t in self.tags if t.startswith("impact:")), "medium")

    @property
    def mode(self) -> str:
        if "destructive" in self.tags:
            return "destructive"
        return "active" if "active" in self.tags else "passive"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "nodeid": self.nodeid,
            "feature": self.feature,
            "feature_file": self.feature_file,
            "scenario": self.scenario,
            "tags": self.tags,
            "impact": self.impact,
            "mode": self.mode,
            "target": self.target,
            "verdict": self.verdict,
            "reason": self.reason,
            "duration_s": round(self.duration_s, 3),
            "evidence": self.evidence,
            "line": self.line,
            "rationale": self.rationale,
            "steps": self.steps,
            "owner": self.owner,
            "waiver": self.waiver,
            "change": self.change,
        }


def counts(claims: list[ClaimResult]) -> dict[str, int]:
    out = dict.fromkeys(VERDICTS, 0)
    for c in claims:
        out[c.verdict] = out.get(c.verdict, 0) + 1
    return out


# a writer turns the finished results document into one more file of the run folder
Writer = tuple[str, Callable[[dict[str, Any]], str]]


def write_run(
    reports_dir: Path,
    run: dict[str, Any],
    claims: list[ClaimResult],
    extra: dict[str, Any] | None = None,
    writers: Sequence[Writer] = (),
) -> Path:
    """Write reports/<run>/results.json (and each writer's file), then point reports/latest at the run.

    The whole document is redacted first (labconform.redact): every output is made from it, so no
    credential reaches any file. A writer that fails leaves `<name>.error.txt` in its place, not a
    run without results.json.
    """
    folder = reports_dir / run["name"]
    folder.mkdir(parents=True, exist_ok=True)
    doc = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "run": run,
        "counts": counts(claims),
        "claims": [c.as_dict() for c in claims],
        **(extra or {}),
    }
    doc = redact(json.loads(json.dumps(doc, default=str)))
    _write(folder / "results.json", json.dumps(doc, indent=2) + "\n")
    for name, writer in writers:
        try:
            _write(folder / name, writer(doc))
        except Exception as exc:  # noqa: BLE001 - one broken output must not cost the others
            _write(folder / f"{name}.error.txt", f"{type(exc).__name__}: {exc}\n")
            sys.stderr.write(f"labconform: could not write {folder / name}: {type(exc).__name__}: {exc}\n")
    latest = reports_dir / "latest"
    tmp_link = reports_dir / f".latest-{run['name']}"
    if tmp_link.is_symlink():
        tmp_link.unlink()
    tmp_link.symlink_to(run["name"])
    os.replace(tmp_link, latest)
    return folder


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def prune(reports_dir: Path, keep: int, protect: Sequence[Path] = ()) -> list[str]:
    """Remove the oldest run folders beyond the newest `keep` (0 keeps all); return their names.

    Only folders holding a results.json are runs; `latest`'s run and `protect` (this run, the
    baseline) are never removed."""
    if keep <= 0 or not reports_dir.is_dir():
        return []
    kept = {p.resolve() for p in protect}
    latest = reports_dir / "latest"
    if latest.is_symlink():
        kept.add(latest.resolve())
    runs = [p for p in reports_dir.iterdir() if p.is_dir() and not p.is_symlink() and (p / "results.json").is_file()]
    runs.sort(key=lambda p: (p / "results.json").stat().st_mtime, reverse=True)
    removed = []
    for old in runs[keep:]:
        if old.resolve() in kept:
            continue
        shutil.rmtree(old, ignore_errors=True)
        removed.append(old.name)
    return removed


def load(path: str | Path) -> dict[str, Any]:
    """Read a results.json (or a run folder holding one), refusing other schemas or newer versions."""
    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    if not p.exists():
        raise FileNotFoundError(p)
    try:
        doc = json.loads(input_files.read_text(p, "results.json"))
    except UsageError as exc:
        raise ValueError(str(exc).removeprefix("results.json ")) from None
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(version, int) \
            or isinstance(version, bool) or version > SCHEMA_VERSION:
        raise ValueError(f"{p}: not a {SCHEMA} document of version <= {SCHEMA_VERSION}")
    check_claims(doc, p)
    return doc


def check_claims(doc: dict[str, Any], path: Path) -> None:
    """What the gate, the report and the history read of each claim is there: an id and a verdict."""
    claims = doc.get("claims")
    if not isinstance(claims, list):
        raise ValueError(f"{path}: claims: expected a list")
    for n, c in enumerate(claims):
        if not isinstance(c, dict) or not isinstance(c.get("id"), str) or not c["id"]:
            raise ValueError(f"{path}: claims[{n}]: expected a mapping with a non-empty id")
        if c.get("verdict") not in VERDICTS:
            raise ValueError(f"{path}: claims[{n}] ({c['id']}): verdict {str(c.get('verdict'))[:40]!r} is none of "
                             f"{', '.join(VERDICTS)}")
