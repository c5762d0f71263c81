"""The record of one change: reports/changes/<id>/change.json and a page of its own, index.html."""

from __future__ import annotations

import html
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labconform.commands import change_expect
from labconform.redact import redact

if TYPE_CHECKING:
    from labconform.commands.streamed import Streamed

SCHEMA = "labconform.change/1"


@dataclass
class Change:
    """What one change did, phase by phase: the change record (change.json) is this, as data."""

    id: str
    who: str
    target: str
    command: list[str]
    rollback: list[str] | None
    repair: bool
    started: float = field(default_factory=time.time)
    phases: dict[str, Any] = field(default_factory=dict)
    decision: str = ""
    outcome: str = ""
    exit_status: int = 0
    reasons: list[str] = field(default_factory=list)
    # a test-first change's claims: {id: {"before": verdict, "after": verdict or None, "held": bool or None}}
    expected: dict[str, dict[str, Any]] = field(default_factory=dict)


def summarize_run(data: dict[str, Any], folder: Path, ran: Streamed, seconds: float,
                  expected: list[str] | None = None) -> dict[str, Any]:
    """What the change record keeps of one check of the lab: its gate, the claims that moved, and `ok`:
    the gate passed, pytest agreed (exit 0) and at least one claim was checked. The `expected` claims of a
    test-first change are set aside: a gate that failed on them alone (pytest's exit 1) is `ok`."""
    claims = data.get("claims") or []
    gate = data.get("gate") or {}
    moved: dict[str, list[str]] = {}
    for c in claims:
        change = (c.get("change") or {}).get("change")
        if change in ("regressed", "fixed", "still_failing"):
            moved.setdefault(change, []).append(c["id"])
    status = gate.get("status") or "no result"
    passed = status == "passed"
    reasons = list(gate.get("reasons") or ([] if data else [f"no results.json (exit {ran.rc})"]))
    if expected and status == "failed":
        passed, reasons = change_expect.set_aside(gate, expected)
    pytest_ok = ran.rc == 0 or (passed and status == "failed" and ran.rc == 1)  # 1: the gate's failure set aside
    if passed and (not pytest_ok or not claims):
        reasons.append(f"pytest exited {ran.rc} with {len(claims)} claim(s) checked")
    waived_regressions = list(gate.get("waived_regressions") or [])
    reasons += [f"regressed under a waiver: {i}" for i in waived_regressions]
    return {
        "run": (data.get("run") or {}).get("name") or folder.name,
        "folder": str(folder),
        "gate": status,
        "ok": passed and pytest_ok and bool(claims) and not waived_regressions,
        "reasons": reasons,
        "counts": data.get("counts") or {},
        "claims": len(claims),
        "regressions": gate.get("regressions") or moved.get("regressed", []),
        "waived_regressions": waived_regressions,
        "errors": [c["id"] for c in claims if c.get("verdict") == "error"],
        "failed": [c["id"] for c in claims if c.get("verdict") == "failed"],
        "fixed": moved.get("fixed", []),
        "still_failing": moved.get("still_failing", []),
        "exit_status": ran.rc,
        "timed_out": ran.timed_out,
        "duration_s": round(seconds, 1),
        "expected": change_expect.verdicts(claims, expected) if expected else {},
    }


def counts_line(record: dict[str, Any]) -> str:
    counts = record.get("counts") or {}
    line = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items()) or "no claims reported"
    if record.get("regressions"):
        line += f"; regressed: {', '.join(record['regressions'])}"
    return line


def as_dict(change: Change) -> dict[str, Any]:
    return redact({
        "schema": SCHEMA,
        "kind": "change",
        "id": change.id,
        "who": change.who,
        "target": change.target,
        "started": utc(change.started),
        "duration_s": round(time.time() - change.started, 1),
        "command": change.command,
        "rollback": change.rollback,
        "repair": change.repair,
        "phases": change.phases,
        "decision": change.decision,
        "outcome": change.outcome,
        "exit_status": change.exit_status,
        "reasons": change.reasons,
        "expected": change.expected,
    })


def write(change: Change, reports_dir: Path) -> Path:
    """change.json and index.html under reports/changes/<id>/; every string redacted."""
    folder = reports_dir / "changes" / change.id
    folder.mkdir(parents=True, exist_ok=True)
    record = as_dict(change)
    _atomic(folder / "change.json", json.dumps(record, indent=2, default=str) + "\n")
    _atomic(folder / "index.html", page(record, folder))
    return folder


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def utc(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#222}
h1{font-size:1.4em} h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #ddd}
.banner{padding:.7em 1em;border-radius:4px;font-weight:600}
.accepted{background:#e3f4e1;color:#1d5e1a} .restored{background:#fff4d6;color:#7a5800}
.failing{background:#fde2e1;color:#8b1a16}
table{border-collapse:collapse} td,th{padding:.2em .8em .2em 0;text-align:left;vertical-align:top}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:12px}
code{background:#f3f3f3;padding:0 .2em}
"""


def _banner_class(status: int) -> str:
    return {0: "accepted", 3: "restored"}.get(status, "failing")


def _run_rows(name: str, rec: dict[str, Any], folder: Path) -> str:
    if "folder" not in rec:  # cut short (Ctrl-C, SIGTERM) before its results were read
        started = html.escape(rec.get("started", "?"))
        return (f"<h2>{html.escape(name)}: {html.escape(rec.get('run', ''))}</h2><p>started {started}, stopped "
                "before it ended: no verdict</p>")
    link = os.path.relpath(Path(rec["folder"]) / "index.html", folder)
    rows = [("gate", rec["gate"]), ("claims", counts_line(rec)), ("took", f"{rec['duration_s']} s")]
    for key in ("regressions", "errors", "fixed"):
        if rec.get(key):
            rows.append((key, ", ".join(rec[key])))
    rows += [("why", r) for r in rec.get("reasons") or []]
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return (f"<h2>{html.escape(name)}: <a href=\"{html.escape(link)}\">{html.escape(rec['run'])}</a></h2>"
            f"<table>{body}</table>")


def _command_rows(name: str, rec: dict[str, Any]) -> str:
    end = "interrupted" if rec.get("interrupted") else "timed out" if rec.get("timed_out") \
        else f"unknown: {rec['connection_lost']}" if rec.get("connection_lost") else f"exit {rec.get('exit_status')}"
    tail = "\n".join(rec.get("output_tail") or []) or "(no output)"
    what = rec.get("command") or rec.get("claims") or []
    shown = " ".join(what) if name != "repair" else "python -m provision --claims " + ",".join(what)
    log = html.escape(rec.get("log") or "")
    return (f"<h2>{html.escape(name)}</h2><table><tr><th>command</th><td><code>{html.escape(shown)}</code></td></tr>"
            f"<tr><th>ended</th><td>{html.escape(end)} after {rec.get('duration_s')} s</td></tr>"
            f"<tr><th>output</th><td><a href=\"{log}\">{log}</a> (last lines below)</td></tr></table>"
            f"<pre>{html.escape(tail)}</pre>")


def _expected_rows(expected: dict[str, dict[str, Any]]) -> str:
    """A test-first change's claims: each one's verdict before and after the change, and whether it held."""
    if not expected:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(cid)}</td><td>{html.escape(rec['before'])}</td>"
        f"<td>{html.escape(rec['after'] or 'not checked')}</td>"
        f"<td>{'held' if rec['held'] else 'not held' if rec['held'] is False else 'not judged'}</td></tr>"
        for cid, rec in expected.items())
    return ("<h2>expected claims (--expect)</h2><table><tr><th>claim</th><th>before</th><th>after</th>"
            f"<th>expectation</th></tr>{rows}</table>")


def page(record: dict[str, Any], folder: Path) -> str:
    """One self-contained page: the outcome first, then each phase in the order it ran."""
    parts = [f"<div class=\"banner {_banner_class(record['exit_status'])}\">{html.escape(record['outcome'])} "
             f"(exit {record['exit_status']})</div>"]
    parts += [f"<p>{html.escape(r)}</p>" for r in record["reasons"]]
    meta = [("change", record["id"]), ("who", record["who"]), ("lab", record["target"]),
            ("started", record["started"]), ("took", f"{record['duration_s']} s"),
            ("command", " ".join(record["command"]))]
    if record.get("rollback"):
        meta.append(("rollback", " ".join(record["rollback"])))
    parts.append("<table>" + "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                                     for k, v in meta) + "</table>")
    parts.append(_expected_rows(record.get("expected") or {}))
    for name, rec in record["phases"].items():
        if name in ("before", "after", "final"):
            parts.append(_run_rows(name, rec, folder))
        elif name in ("change", "rollback", "repair"):
            parts.append(_command_rows(name, rec))
        elif name == "baseline":
            parts.append(f"<h2>baseline</h2><p>{html.escape(rec['path'])}: "
                         f"{'used in place of the check before' if rec['used'] else html.escape(rec['why_not'])}</p>")
    title = f"labconform change {record['id']}: {record['outcome']}"
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>{''.join(parts)}</body></html>\n")
