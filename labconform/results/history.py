"""The lab's history across the runs kept under reports/: each claim's verdicts over time, the changes
between them, drift (a verdict that moved with no change recorded) and flaky claims; and the
Prometheus text a monitoring system reads of one run (docs/history.md)."""

from __future__ import annotations

import calendar
import html
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labconform.transport.host_spec import parse_target

SCHEMA = "labconform.history/1"
GOOD = {"passed", "not_applicable"}
STAMP_S = 1  # the resolution of the records' time stamps


def epoch(stamp: str | None) -> float:
    """A record's UTC time stamp (2026-12-01T21:05:05Z) as seconds since the epoch; 0 when there is none."""
    try:
        return float(calendar.timegm(time.strptime(stamp or "", "%Y-%m-%dT%H:%M:%SZ")))
    except (ValueError, TypeError):
        return 0.0


def lab_key(spec: str | None) -> str:
    """One name per lab however its --target was written: ssh://root@lab, ssh://root@lab:22 and
    ssh://root@lab:22?sudo=true are one lab; local and local:// another."""
    try:
        spec = parse_target(spec or "local")
    except Exception:  # noqa: BLE001 - an odd spec is its own lab
        return spec or "?"
    url = urllib.parse.urlsplit(spec)
    if url.scheme == "local":
        return "local"
    default = {"ssh": 22, "safe-ssh": 22, "paramiko": 22}.get(url.scheme)
    try:
        port = url.port or default
    except ValueError:
        port = default
    user = f"{urllib.parse.unquote(url.username)}@" if url.username else ""
    return f"{url.scheme}://{user}{url.hostname}" + (f":{port}" if port else "")


@dataclass
class Run:
    name: str
    lab: str
    started: float
    ended: float
    verdicts: dict[str, str]
    gate: str


@dataclass
class ChangeMark:
    """A time the lab was being changed: a phase of a change record (the change, its rollback or repair) or
    a provisioning run that changed something."""

    id: str
    lab: str
    at: float  # when the lab began to change
    end: float  # when it stopped
    outcome: str
    kind: str = "change"


@dataclass
class ClaimHistory:
    id: str
    points: list[tuple[str, str]] = field(default_factory=list)  # (run name, verdict), oldest first
    drift: list[dict[str, str]] = field(default_factory=list)  # moves with no change between the runs
    flips: int = 0  # moves back to a verdict it had left, with no change between them

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "verdicts": [{"run": r, "verdict": v} for r, v in self.points],
                "drift": self.drift, "flaky": self.flips >= 1, "flips_without_change": self.flips}


def load_runs(reports_dir: Path) -> list[Run]:
    runs = []
    for path in reports_dir.glob("*/results.json"):
        if path.parent.is_symlink():
            continue  # reports/latest
        try:
            doc = json.loads(path.read_text())
            meta = doc["run"]
        except (OSError, ValueError, KeyError):
            continue
        started = epoch(meta.get("started"))
        runs.append(Run(meta.get("name") or path.parent.name, lab_key((meta.get("target") or {}).get("spec")), started,
                        started + float(meta.get("duration_s") or 0),
                        {c["id"]: c["verdict"] for c in doc.get("claims") or [] if "id" in c and "verdict" in c},
                        (doc.get("gate") or {}).get("status") or "?"))
    return sorted(runs, key=lambda r: r.started)


def load_changes(reports_dir: Path) -> list[ChangeMark]:
    marks = []
    for path in (reports_dir / "changes").glob("*/change.json"):
        try:
            rec = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(rec, dict):
            continue
        cid, lab, outcome = rec.get("id") or path.parent.name, lab_key(rec.get("target")), rec.get("outcome") or ""
        if rec.get("kind") == "provision":
            at = epoch(rec.get("started"))
            marks.append(ChangeMark(cid, lab, at, at + float(rec.get("duration_s") or 0), outcome, "provision"))
            continue
        for name in ("change", "rollback", "repair"):
            phase = (rec.get("phases") or {}).get(name)
            if isinstance(phase, dict) and phase.get("started"):
                at = epoch(phase["started"])
                # a phase cut short has no duration: it may have gone on until the record was written
                took = phase.get("duration_s")
                end = at + float(took if took is not None else rec.get("duration_s") or 0)
                marks.append(ChangeMark(f"{cid} ({name})", lab, at, end, outcome, name))
    return sorted(marks, key=lambda m: m.at)


def build(reports_dir: Path) -> dict[str, Any]:
    """The history of every lab with runs under reports_dir."""
    runs, changes = load_runs(reports_dir), load_changes(reports_dir)
    labs: dict[str, Any] = {}
    for lab in sorted({r.lab for r in runs}):
        mine = [r for r in runs if r.lab == lab]
        marks = [m for m in changes if m.lab == lab]
        labs[lab] = lab_history(mine, marks)
    return {"schema": SCHEMA, "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "labs": labs}


def changed_between(marks: list[ChangeMark], earlier: Run, later: Run) -> list[ChangeMark]:
    """The changes under way at some time from the earlier run's start to the later run's end (a run that
    takes no lease may overlap a change). Records keep whole seconds: a change that ended within the second
    a run started ended before that run read the lab (a run takes seconds to start)."""
    return [m for m in marks if m.at <= later.ended and m.end > earlier.started + STAMP_S]


def lab_history(runs: list[Run], marks: list[ChangeMark]) -> dict[str, Any]:
    claims: dict[str, ClaimHistory] = {}
    last: dict[str, tuple[Run, str]] = {}
    moved_back: dict[str, str] = {}  # claim -> verdict it left, since the last change that touched the lab
    for run in runs:
        for cid, verdict in run.verdicts.items():
            h = claims.setdefault(cid, ClaimHistory(cid))
            h.points.append((run.name, verdict))
            if cid in last:
                before, was = last[cid]
                between = changed_between(marks, before, run)
                if between:
                    moved_back.pop(cid, None)
                elif (was in GOOD) != (verdict in GOOD):
                    h.drift.append({"from_run": before.name, "to_run": run.name, "was": was, "now": verdict})
                    if moved_back.get(cid) == verdict:
                        h.flips += 1
                    moved_back[cid] = was
            last[cid] = (run, verdict)
    timeline: list[dict[str, Any]] = [{"run": r.name, "at": r.started, "gate": r.gate} for r in runs]
    timeline += [{"change": m.id, "kind": m.kind, "at": m.at, "end": m.end, "outcome": m.outcome} for m in marks]
    timeline.sort(key=lambda e: e["at"])
    return {
        "runs": [r.name for r in runs],
        "timeline": timeline,
        "claims": [claims[c].as_dict() for c in sorted(claims)],
        "drifting": sorted(c for c, h in claims.items() if h.drift),
        "flaky": sorted(c for c, h in claims.items() if h.flips >= 1),
    }


def write(reports_dir: Path) -> tuple[Path, dict[str, Any]]:
    data = build(reports_dir)
    out = reports_dir / "history.json"
    out.write_text(json.dumps(data, indent=2) + "\n")
    (reports_dir / "history.html").write_text(page(data))
    return out, data


_MARK = {"passed": ("#2e7d32", "P"), "failed": ("#c62828", "F"), "error": ("#6a1b9a", "E"),
         "waived": ("#ef6c00", "W"), "not_applicable": ("#9e9e9e", "-")}


def page(data: dict[str, Any]) -> str:
    parts = []
    for lab, h in data["labs"].items():
        head = "".join(f"<th title='{html.escape(r)}'>{i + 1}</th>" for i, r in enumerate(h["runs"]))
        rows = []
        for c in h["claims"]:
            by_run = {p["run"]: p["verdict"] for p in c["verdicts"]}
            cells = "".join(
                f"<td style='color:{_MARK.get(by_run.get(r, ''), ('#ccc', ''))[0]}' title='{html.escape(r)}: "
                f"{html.escape(by_run.get(r, 'not run'))}'>{_MARK.get(by_run.get(r, ''), ('', '.'))[1]}</td>"
                for r in h["runs"])
            flag = "flaky" if c["flaky"] else ("drift" if c["drift"] else "")
            rows.append(f"<tr><th>{html.escape(c['id'])}</th><td class='flag'>{flag}</td>{cells}</tr>")
        events = "".join(
            f"<li>{html.escape(e.get('run') or e['kind'] + ' ' + e['change'])}: "
            f"{html.escape(e.get('gate') or e.get('outcome') or '')}</li>" for e in h["timeline"])
        parts.append(f"<h2>{html.escape(lab)}</h2><p>drift: {html.escape(', '.join(h['drifting']) or 'none')}; "
                     f"flaky: {html.escape(', '.join(h['flaky']) or 'none')}</p>"
                     f"<table><tr><th>claim</th><th></th>{head}</tr>{''.join(rows)}</table>"
                     f"<h3>runs and changes, oldest first</h3><ol>{events}</ol>")
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>labconform history</title><style>"
            "body{font:13px system-ui,sans-serif;margin:2em} td,th{padding:0 .3em;text-align:center}"
            "th:first-child{text-align:left} .flag{color:#c62828}</style></head><body><h1>labconform history</h1>"
            f"<p>generated {html.escape(data['generated'])}</p>{''.join(parts)}</body></html>\n")


def prometheus(doc: dict[str, Any]) -> str:
    """One run as Prometheus text (exposition format 0.0.4): counts by verdict, the gate, each claim
    that did not pass, and when the run ended."""
    run = doc.get("run") or {}
    lab = _label((run.get("target") or {}).get("spec") or "local")
    out = ["# HELP labconform_claims Claims of the last run by verdict.", "# TYPE labconform_claims gauge"]
    for verdict, n in (doc.get("counts") or {}).items():
        out.append(f'labconform_claims{{lab="{lab}",verdict="{verdict}"}} {int(n)}')
    passed = 1 if (doc.get("gate") or {}).get("status") == "passed" else 0
    out += ["# HELP labconform_gate_passed 1 when the last run's gate passed.", "# TYPE labconform_gate_passed gauge",
            f'labconform_gate_passed{{lab="{lab}"}} {passed}',
            "# HELP labconform_claim_failing A claim of the last run that failed or could not be evaluated.",
            "# TYPE labconform_claim_failing gauge"]
    for c in doc.get("claims") or []:
        if c.get("verdict") in ("failed", "error"):
            out.append(f'labconform_claim_failing{{lab="{lab}",id="{_label(c["id"])}",verdict="{c["verdict"]}"}} 1')
    ended = epoch(run.get("started")) + float(run.get("duration_s") or 0)
    out += ["# HELP labconform_run_timestamp_seconds When the last run ended.",
            "# TYPE labconform_run_timestamp_seconds gauge",
            f'labconform_run_timestamp_seconds{{lab="{lab}"}} {ended:.0f}']
    return "\n".join(out) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
