"""results.json: every claim's verdict and evidence for one run (schema documented in docs/results.md)."""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "labconform.results"
SCHEMA_VERSION = 1
VERDICTS = ("passed", "failed", "not_applicable", "waived", "error")


def new_run_name() -> str:
    return "lc-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(2)


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
        }


def counts(claims: list[ClaimResult]) -> dict[str, int]:
    out = dict.fromkeys(VERDICTS, 0)
    for c in claims:
        out[c.verdict] = out.get(c.verdict, 0) + 1
    return out


def write_run(reports_dir: Path, run: dict[str, Any], claims: list[ClaimResult]) -> Path:
    """Write reports/<run>/results.json and point reports/latest at it; return the run folder."""
    folder = reports_dir / run["name"]
    folder.mkdir(parents=True, exist_ok=True)
    doc = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "run": run,
        "counts": counts(claims),
        "claims": [c.as_dict() for c in claims],
    }
    tmp = folder / "results.json.tmp"
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    os.replace(tmp, folder / "results.json")
    latest = reports_dir / "latest"
    tmp_link = reports_dir / f".latest-{run['name']}"
    if tmp_link.is_symlink():
        tmp_link.unlink()
    tmp_link.symlink_to(run["name"])
    os.replace(tmp_link, latest)
    return folder


def load(path: str | Path) -> dict[str, Any]:
    """Read a results.json (or a run folder holding one), refusing other schemas or newer versions."""
    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    doc = json.loads(p.read_text())
    if doc.get("schema") != SCHEMA or int(doc.get("schema_version", 0)) > SCHEMA_VERSION:
        raise ValueError(f"{p}: not a {SCHEMA} document of version <= {SCHEMA_VERSION}")
    return doc
