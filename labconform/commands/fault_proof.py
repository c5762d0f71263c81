"""The proof record of a fault run: reports/faults/<run>/proof.json and index.html, and reports/faults/latest:
for every claim, the fault that proved it can fail and when, or why it is unproven."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any

from labconform.commands.suite_process import REPO
from labconform.redact import redact
from labconform.run.collection import id_files


def claims_table(record: dict[str, Any], unprovable: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every claim id of the features: proved (by which fault, when), or unproven and why."""
    table: dict[str, dict[str, Any]] = {}
    for cid in sorted(id_files(REPO / "features")):
        by = [f for f in record["faults"] if cid in f["claims"] and f.get("proved")]
        tried = [f for f in record["faults"] if cid in f["claims"] and not f.get("proved")]
        if by:
            table[cid] = {"status": "proved", "fault": by[0]["name"], "when": by[0]["started"],
                          "verdicts": {k: v for k, v in by[0].get("verdicts", {}).items()}}
        elif tried:
            table[cid] = {"status": "not proved", "fault": tried[0]["name"], "why": tried[0].get("why", [])}
        else:
            table[cid] = {"status": "unproven", "why": unprovable.get(cid, "no fault in faults/catalog.yaml yet")}
    return table


def write(record: dict[str, Any], catalog: Any, reports_dir: Path) -> Path:
    folder = reports_dir / "faults" / record["run"]
    folder.mkdir(parents=True, exist_ok=True)
    record = redact({**record, "claims": claims_table(record, catalog.unprovable)})
    (folder / "proof.json").write_text(json.dumps(record, indent=2) + "\n")
    (folder / "index.html").write_text(page(record))
    latest = reports_dir / "faults" / "latest"
    tmp = latest.with_name(f".latest-{record['run']}")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(record["run"])
    os.replace(tmp, latest)
    return folder


def page(record: dict[str, Any]) -> str:
    e = html.escape
    counts: dict[str, int] = {}
    for row in record["claims"].values():
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    faults = "".join(
        f"<tr><td>{e(f['name'])}</td><td>{'proved' if f.get('proved') else 'not proved'}</td>"
        f"<td>{'restored' if (f.get('restored') or {}).get('claims_pass') else 'NOT restored'}</td>"
        f"<td>{e(', '.join(f['claims']))}</td><td>{e('; '.join(f.get('why') or []))}</td></tr>"
        for f in record["faults"])
    rows = "".join(
        f"<tr class='{e(r['status'].replace(' ', '-'))}'><td>{e(cid)}</td><td>{e(r['status'])}</td>"
        f"<td>{e(r.get('fault', ''))}</td><td>{e(r.get('when', ''))}</td>"
        f"<td>{e(r['why'] if isinstance(r.get('why'), str) else '; '.join(r.get('why') or []))}</td></tr>"
        for cid, r in record["claims"].items())
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>labconform: claims proven able to "
            "fail</title><style>body{font:13px system-ui,sans-serif;margin:2em} td,th{padding:2px 8px;"
            "text-align:left;vertical-align:top} .proved td:nth-child(2){color:#2e7d32} .unproven td:nth-child(2)"
            "{color:#9e9e9e} .not-proved td:nth-child(2){color:#c62828}</style></head><body>"
            f"<h1>Claims proven able to fail</h1><p>run {e(record['run'])} on {e(record['target'])} by "
            f"{e(record['who'])}: {e(summary)}</p><h2>Faults</h2><table><tr><th>fault</th><th>verdict</th>"
            f"<th>lab after</th><th>claims</th><th>why not</th></tr>{faults}</table><h2>Claims</h2><table><tr>"
            f"<th>claim</th><th>status</th><th>fault</th><th>when</th><th>why</th></tr>{rows}</table>"
            "</body></html>\n")
