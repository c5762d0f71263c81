"""index.html: the conformance report of one run, one self-contained file made from its results document.

Everything the reader needs is inline (CSS, a little JS for the filters, SVG charts); nothing is
fetched, so the file opens from disk, from a CI artifact or from a mail. Every value from the run
is HTML-escaped; long outputs fold in <details>, none is cut.

python -m labconform.report RUN_FOLDER_OR_RESULTS_JSON [-o OUT.html]: render a stored run again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from labconform import repair
from labconform.exports import sections
from labconform.gate import CHANGE_LABELS, CHANGES
from labconform.results import VERDICTS, load

LABEL = {"passed": "passed", "failed": "failed", "not_applicable": "not applicable", "waived": "waived",
         "error": "error"}
MARK = {True: "\u2714", False: "\u2718", None: "\u2139"}  # check, cross, info
FOLD_LINES = 12
FOLD_CHARS = 1200


def e(value: Any) -> str:
    """HTML-escape anything (attributes too: quotes are escaped)."""
    return html.escape(value if isinstance(value, str) else str(value), quote=True)


def _fold(text: str, label: str = "") -> str:
    """Short text in a <pre>; long text folded, with its size said, never cut."""
    n_lines = text.count("\n") + 1
    if n_lines <= FOLD_LINES and len(text) <= FOLD_CHARS:
        return f'<pre>{e(text)}</pre>'
    first = text.strip().splitlines()[0][:100] if text.strip() else ""
    what = f"{label}: " if label else ""
    return (f'<details class="fold"><summary>{e(what)}<code>{e(first)}</code> \u2026 '
            f'<span class="size">{n_lines} lines, {len(text)} characters: show all</span></summary>'
            f'<pre>{e(text)}</pre></details>')


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def value(v: Any, label: str = "") -> str:
    """A value of the evidence, shown as what it is: text, a number, a small table, or JSON."""
    if v is None:
        return '<span class="none">none</span>'
    if isinstance(v, bool):
        return f"<code>{'true' if v else 'false'}</code>"
    if isinstance(v, (int, float)):
        return f"<code>{e(v)}</code>"
    if isinstance(v, str):
        if "\n" not in v.rstrip("\n") and len(v) <= 160:
            return f"<code>{e(v)}</code>" if v else '<span class="none">(empty)</span>'
        return _fold(v, label)
    if _tabular(v):
        rows = "".join(f"<tr><th>{e(k)}</th><td>{value(x)}</td></tr>" for k, x in v.items())
        return f'<table class="kv">{rows}</table>'
    if isinstance(v, list) and len(v) <= 24 and all(_is_scalar(x) and len(str(x)) <= 60 for x in v):
        return "<code>[" + ", ".join(e(json.dumps(x)) for x in v) + "]</code>"
    return _fold(json.dumps(v, indent=2, default=str), label)


def _small_list(x: Any) -> bool:
    return isinstance(x, list) and len(x) <= 12 and all(_is_scalar(i) for i in x)


def _tabular(v: Any, depth: int = 0) -> bool:
    """A mapping small and shallow enough to read as a table of name and value (nested up to 3 deep)."""
    return (isinstance(v, dict) and bool(v) and len(v) <= 16 and depth < 3
            and all(isinstance(k, str) for k in v)
            and all((_is_scalar(x) and len(str(x)) <= 400) or _small_list(x) or _tabular(x, depth + 1)
                    for x in v.values()))


def _numbers(v: Any) -> list[float] | None:
    if isinstance(v, list) and len(v) >= 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
        return [float(x) for x in v]
    return None


def chart(samples: list[float], unit: str, title: str = "") -> str:
    """A small bar chart of timing samples, with the median as a line: drawn inline in SVG."""
    w, h, pad = 300, 84, 16
    top = max(samples) or 1.0
    bw = (w - 2 * pad) / len(samples)
    med = statistics.median(samples)
    bars = []
    for i, s in enumerate(samples):
        bh = max(1.0, (h - 2 * pad) * s / top)
        x, y = pad + i * bw, h - pad - bh
        bars.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(bw - 2, 1):.1f}" height="{bh:.1f}">'
                    f'<title>sample {i + 1}: {s:g} {e(unit)}</title></rect>')
    my = h - pad - (h - 2 * pad) * med / top
    return (
        f'<figure class="chart"><svg role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{e(title or "samples")}: {len(samples)} samples, '
        f'median {med:g} {e(unit)}, max {top:g} {e(unit)}</title>'
        f'<line class="axis" x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}"/>'
        + "".join(bars)
        + f'<line class="median" x1="{pad}" y1="{my:.1f}" x2="{w - pad}" y2="{my:.1f}"/>'
        f'<text x="{pad}" y="11">{top:g} {e(unit)}</text><text x="{pad - 2}" y="{h - pad + 4}" '
        f'text-anchor="end">0</text>'
        f'<text x="{pad}" y="{h - 3}">1</text><text x="{w - pad}" y="{h - 3}" text-anchor="end">{len(samples)}</text>'
        f'</svg><figcaption>{len(samples)} samples in order: min {min(samples):g}, median {med:g} '
        f'(dashed line), max {top:g} {e(unit)}</figcaption></figure>'
    )


def balance(counts: dict[str, Any], title: str) -> str:
    """Requests answered per backend (or any count per name), as horizontal bars with the numbers."""
    total = sum(v for v in counts.values() if isinstance(v, (int, float))) or 1
    top = max((v for v in counts.values() if isinstance(v, (int, float))), default=1) or 1
    rows = []
    for name, n in counts.items():
        pct = 100 * n / total if isinstance(n, (int, float)) else 0
        width = 100 * n / top if isinstance(n, (int, float)) else 0
        rows.append(f'<tr><th>{e(name)}</th><td class="bar"><span style="width:{width:.0f}%"></span></td>'
                    f'<td>{e(n)} ({pct:.0f} %)</td></tr>')
    return f'<table class="balance" aria-label="{e(title)}">{"".join(rows)}</table>'


def response(r: dict[str, Any]) -> str:
    """An HTTP exchange: request line, status, time, headers and body."""
    status = r.get("status")
    cls = "ok" if isinstance(status, int) and status < 400 else "bad"
    head = (f'<div class="http"><div><code>{e(r.get("request", ""))}</code> \u2192 '
            f'<b class="{cls}">{e(status if status is not None else r.get("error", "no answer"))}</b>')
    if r.get("elapsed_ms") is not None:
        head += f' in {e(r["elapsed_ms"])} ms'
    head += "</div>"
    rest = {k: v for k, v in r.items() if k not in ("request", "status", "elapsed_ms", "body")}
    body = r.get("body")
    out = head + (value(rest) if rest else "")
    if body is not None:
        out += f"<div class='label'>body</div>{_fold(body, 'body') if body else '<span class=none>(empty)</span>'}"
    return out + "</div>"


def details(d: dict[str, Any]) -> str:
    """An observation's details: HTTP responses, timing samples, counts, command output, the rest."""
    parts = []
    for key, v in d.items():
        nums = _numbers(v)
        if isinstance(v, dict) and {"request"} <= set(v) and ("status" in v or "error" in v):
            parts.append(f'<div class="label">{e(key)}</div>{response(v)}')
        elif isinstance(v, list) and v and all(isinstance(x, dict) and "request" in x for x in v):
            parts.append(f'<div class="label">{e(key)}</div>' + "".join(response(x) for x in v))
        elif nums is not None and (key.endswith(("_ms", "_s")) or "sample" in key or "timing" in key):
            unit = "ms" if key.endswith("_ms") else ("s" if key.endswith("_s") else key.partition("_")[2])
            parts.append(f'<div class="label">{e(key)}</div>{chart(nums, unit, key)}')
        elif isinstance(v, dict) and v and any(w in key for w in ("count", "balance", "per_pod", "backends")) \
                and all(isinstance(x, (int, float)) for x in v.values()):
            parts.append(f'<div class="label">{e(key)}</div>{balance(v, key)}')
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v) and len(v) <= 50:
            parts.append(f'<div class="label">{e(key)}</div>{table(v)}')
        else:
            parts.append(f'<div class="label">{e(key)}</div>{value(v, key)}')
    return "".join(parts)


def table(rows: list[dict[str, Any]]) -> str:
    """Rows of samples as a table; numeric columns in ms or s also get a chart."""
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    head = "".join(f"<th>{e(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{value(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows)
    charts = ""
    for c in cols:
        nums = _numbers([r.get(c) for r in rows])
        if nums is not None and c.endswith(("_ms", "_s")):
            charts += chart(nums, "ms" if c.endswith("_ms") else "s", c)
    return f'<div class="scroll"><table class="rows"><tr>{head}</tr>{body}</table></div>{charts}'


def observation(ob: dict[str, Any]) -> str:
    ok = ob.get("ok")
    cls = {True: "ok", False: "bad", None: "note"}.get(ok, "note")
    rows = []
    if ob.get("expected") is not None or ok is not None:
        rows.append(f"<tr><th>expected</th><td>{value(ob.get('expected'), 'expected')}</td></tr>")
    rows.append(f"<tr><th>found</th><td>{value(ob.get('found'), 'found')}</td></tr>")
    rows.append(f"<tr><th>how</th><td><code class='how'>{e(ob.get('how', ''))}</code></td></tr>")
    extra = f'<div class="details">{details(ob["details"])}</div>' if ob.get("details") else ""
    return (f'<div class="ob {cls}"><div class="what"><span class="mark">{MARK.get(ok, "?")}</span> '
            f'{e(ob.get("what", ""))}</div><table class="ev">{"".join(rows)}</table>{extra}</div>')


def _steps(steps: list[dict[str, Any]]) -> str:
    if not steps:
        return ""
    icon = {"passed": MARK[True], "failed": MARK[False], "error": MARK[False], "skipped": "\u2013",
            "not_run": "\u2013"}
    lines = "".join(
        f'<li class="st-{e(s.get("status", ""))}"><span class="mark">{icon.get(s.get("status", ""), "?")}</span> '
        f'<b>{e(s.get("keyword", ""))}</b> {e(s.get("text", ""))}</li>' for s in steps)
    return f'<ol class="steps">{lines}</ol>'


def claim(c: dict[str, Any], run: dict[str, Any] | None = None) -> str:
    verdict = c.get("verdict", "error")
    change = (c.get("change") or {}).get("change")
    opened = verdict in ("failed", "error") or change == "regressed"
    meta = [f'<span class="imp imp-{e(c.get("impact", ""))}">impact {e(c.get("impact", "?"))}</span>',
            f'<span>{e(c.get("mode", ""))}</span>']
    facts = [f"<tr><th>claim</th><td><code>{e(c['id'])}</code> \u2014 features/{e(c.get('feature_file', ''))}"
             f"{':' + e(c['line']) if c.get('line') else ''}, impact {e(c.get('impact', ''))}, "
             f"{e(c.get('mode', ''))}, {e(c.get('duration_s', 0))} s</td></tr>"]
    if verdict != "passed" and c.get("reason"):
        facts.append(f"<tr><th>{'why' if verdict == 'not_applicable' else 'failure'}</th>"
                     f"<td>{value(c['reason'], 'reason')}</td></tr>")
    owner = c.get("owner")
    if owner:
        cmds = "".join(f"<li><code>{e(x)}</code></li>" for x in owner.get("commands", []))
        facts.append(f"<tr><th>made true by</th><td>provisioning step <b>{e(owner.get('step', ''))}</b>"
                     f"{'<ul class=cmds>' + cmds + '</ul>' if cmds else ''}</td></tr>")
    else:
        facts.append("<tr><th>made true by</th><td><span class='none'>no provisioning step names this claim"
                     "</span></td></tr>")
    facts.append(repair.row(c, run or {}))
    w = c.get("waiver")
    if w:
        state = "expired" if w.get("expired") else "in force"
        facts.append(f"<tr><th>waiver</th><td class='waiver'>{state}: until {e(w.get('expires'))}, approved by "
                     f"{e(w.get('approver'))} ({e(w.get('source', ''))}): {e(w.get('justification', ''))}</td></tr>")
    if change:
        was = c["change"].get("was")
        facts.append(f"<tr><th>baseline</th><td class='chg-{e(change)}'>{e(CHANGE_LABELS.get(change, change))}"
                     f"{' (was ' + e(LABEL.get(was, was)) + ')' if was else ''}</td></tr>")
        meta.insert(0, f'<span class="chg chg-{e(change)}">{e(CHANGE_LABELS.get(change, change))}</span>')
    ev = "".join(observation(ob) for ob in c.get("evidence", [])) or \
        '<p class="none">no evidence was recorded</p>'
    search = f"{c['id']} {c.get('scenario', '')} {c.get('reason', '')}".lower()
    return (
        f'<article class="claim v-{e(verdict)}" id="claim-{e(c["id"])}" data-verdict="{e(verdict)}" '
        f'data-section="{e(c.get("feature_file", ""))}" data-change="{e(change or "")}" data-text="{e(search)}">'
        f'<details{" open" if opened else ""}><summary><span class="badge b-{e(verdict)}">'
        f'{e(LABEL.get(verdict, verdict))}</span> <code class="cid">{e(c["id"])}</code> '
        f'<span class="scn">{e(c.get("scenario", ""))}</span> <span class="meta">{" ".join(meta)}</span></summary>'
        f'<div class="body">'
        + (f'<p class="why">{e(c["rationale"])}</p>' if c.get("rationale") else "")
        + f'<table class="facts">{"".join(facts)}</table>{_steps(c.get("steps", []))}'
        f'<h4>Evidence</h4>{ev}</div></details></article>'
    )


def _section_title(feature_file: str, feature: str) -> str:
    number = feature_file.split("_", 1)[0]
    return f"{e(number)} \u00b7 {e(feature)}" if number.isdigit() else e(feature)


def _finished(run: dict[str, Any]) -> str:
    try:
        start = dt.datetime.strptime(run["started"], "%Y-%m-%dT%H:%M:%SZ")
        return (start + dt.timedelta(seconds=float(run.get("duration_s", 0)))).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (KeyError, ValueError, TypeError):
        return "?"


def _command(argv: list[str]) -> str:
    """The command line as it was typed: `python -m pytest` shows as such, not as pytest's __main__.py."""
    if argv and argv[0].replace("\\", "/").endswith("/pytest/__main__.py"):
        argv = ["python -m pytest", *argv[1:]]
    return " ".join(argv)


def summary(doc: dict[str, Any]) -> str:
    run, gate = doc["run"], doc.get("gate") or {}
    counts = doc.get("counts", {})
    status = gate.get("status") or ("passed" if run.get("exit_status") == 0 else "failed")
    target = run.get("target") or {}
    facts = target.get("facts") or {}
    tiles = "".join(
        f'<button type="button" class="tile b-{v}" data-only="{v}" title="show only {LABEL[v]} claims">'
        f'<b>{counts.get(v, 0)}</b>{LABEL[v]}</button>' for v in VERDICTS)
    k8s = target.get("kubernetes_version")
    ident = [
        ("host name", facts.get("hostname") or target.get("name")),
        ("target", target.get("spec")),
        ("operating system", facts.get("pretty_name") or facts.get("os_id")),
        ("kernel", f"{facts.get('kernel', '')} ({facts.get('arch', '')})" if facts else None),
        ("init (PID 1)", facts.get("init")),
        ("cgroup version", facts.get("cgroup_version")),
        ("Docker", target.get("docker_version")),
        ("Kubernetes", k8s),
    ]
    rows = "".join(
        f"<tr><th>{e(k)}</th><td>{e(v) if v not in (None, '') else '<span class=none>not known in this run</span>'}"
        f"</td></tr>" for k, v in ident)
    if target.get("unreachable"):
        rows += f"<tr><th>unreachable</th><td class='bad'>{e(target['unreachable'])}</td></tr>"
    cleanup = run.get("cleanup") or {}
    if cleanup.get("note"):
        rows += f"<tr><th>clean-up</th><td class='bad'>{e(cleanup['note'])}: {e(cleanup.get('engine_error'))}</td></tr>"
    runrows = "".join(f"<tr><th>{e(k)}</th><td>{v}</td></tr>" for k, v in [
        ("run", f"<code>{e(run.get('name', ''))}</code>"),
        ("started", e((run.get("started") or "?").replace("T", " ").replace("Z", " UTC"))),
        ("finished", e(_finished(run))),
        ("duration", f"{e(run.get('duration_s', '?'))} s"),
        ("exit status", f"<code>{e(run.get('exit_status', '?'))}</code>"),
        ("command", f"<code>{e(_command(run.get('command') or []))}</code>"),
        ("labconform", e(run.get("labconform_version", "?"))),
    ])
    if gate.get("failures") is not None:
        reasons = "".join(f"<li>{e(f['why'])}{': ' + _ids(f['claims'], 10) if f['claims'] else ''}</li>"
                          for f in gate["failures"])
    else:
        reasons = "".join(f"<li>{e(r)}</li>" for r in gate.get("reasons", []))
    threshold = gate.get("fail_on_impact")
    below = gate.get("failed_below_threshold") or []
    note = (f"<p>{len(below)} failed claim(s) below the threshold <code>--fail-on-impact {e(threshold)}</code> "
            f"do not fail the run: {e(', '.join(below))}</p>") if below else ""
    return (
        f'<header class="banner s-{e(status)}"><h1>Lab conformance: {e(status.upper())}</h1>'
        f'<p>{sum(counts.values())} claims of the document checked on '
        f'<b>{e(facts.get("hostname") or target.get("name", "?"))}</b>'
        f' ({e(facts.get("pretty_name", ""))})</p>'
        + (f'<ul class="reasons">{reasons}</ul>' if reasons else "")
        + note + "</header>"
        f'<section id="summary"><h2>Summary</h2><div class="tiles">{tiles}</div><div class="cols">'
        f'<table class="facts"><caption>Target</caption>{rows}</table>'
        f'<table class="facts"><caption>Run</caption>{runrows}</table></div></section>'
    )


def _ids(ids: list[str], shown: int, verdicts: dict[str, str] | None = None) -> str:
    """Claim ids as links to their entries; past `shown`, the rest fold behind a count (none is dropped)."""
    def link(i: str) -> str:
        v = (verdicts or {}).get(i)
        return f'<a href="#claim-{e(i)}">{e(i)}</a>' + (f" <small>({e(LABEL.get(v, v))})</small>" if v else "")

    head = ", ".join(link(i) for i in ids[:shown])
    if len(ids) <= shown:
        return head
    rest = ", ".join(link(i) for i in ids[shown:])
    return f'{head} <details class="more"><summary>and {len(ids) - shown} more</summary>{rest}</details>'


def baseline_block(doc: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> str:
    base = doc.get("baseline")
    if not base:
        return ""
    groups = base.get("groups", {})
    lines = []
    for change in CHANGES:
        ids = groups.get(change, [])
        if change == "unchanged":
            lines.append(f'<li class="chg-unchanged"><b>{len(ids)} unchanged</b></li>')
            continue
        if not ids and change not in ("regressed", "fixed"):
            continue
        verdicts = {i: by_id[i]["verdict"] for i in ids if i in by_id}
        links = _ids(ids, len(ids) if change == "regressed" else 12, verdicts)
        lines.append(f'<li class="chg-{change}"><b>{len(ids)} {e(CHANGE_LABELS[change])}</b>'
                     f'{": " + links if ids else ""}</li>')
    return (f'<section id="baseline"><h2>Compared with the baseline</h2><p>Baseline run <code>{e(base.get("name"))}'
            f'</code>, started {e(base.get("started"))}, read from <code>{e(base.get("path"))}</code>.</p>'
            f'<ul class="changes">{"".join(lines)}</ul></section>')


def waivers_block(doc: dict[str, Any]) -> str:
    w = (doc.get("gate") or {}).get("waivers")
    if not w:
        return ""

    def items(ws: list[dict[str, Any]]) -> str:
        return "".join(f"<li><code>{e(x['id'])}</code> until {e(x['expires'])}, {e(x['approver'])} "
                       f"({e(x.get('source', ''))}): {e(x['justification'])}</li>" for x in ws)

    parts = [f"<p>From <code>{e(w.get('file'))}</code>: {len(w.get('all', []))} waiver(s).</p>"]
    if w.get("expired"):
        parts.append(f'<h3 class="bad">Expired: these no longer waive anything</h3><ul>{items(w["expired"])}</ul>')
    if w.get("applied"):
        parts.append(f"<h3>Applied to a failed claim</h3><ul>{items(w['applied'])}</ul>")
    if w.get("unused"):
        parts.append(f"<h3>Not needed in this run (the claim did not fail)</h3><ul>{items(w['unused'])}</ul>")
    return f'<section id="waivers"><h2>Waivers</h2>{"".join(parts)}</section>'


def filters(secs: list[tuple[str, list[dict[str, Any]]]], has_baseline: bool) -> str:
    boxes = "".join(f'<label><input type="checkbox" data-verdict="{v}" checked> {LABEL[v]}</label>' for v in VERDICTS)
    opts = "".join(f'<option value="{e(f)}">{_section_title(f, cs[0].get("feature", f))}</option>' for f, cs in secs)
    chg = ""
    if has_baseline:
        chg = ('<label>baseline <select id="f-change"><option value="">any change</option>'
               + "".join(f'<option value="{c}">{e(CHANGE_LABELS[c])}</option>' for c in CHANGES if c != "not_run")
               + "</select></label>")
    return (f'<nav id="filters" aria-label="filters"><span class="boxes">{boxes}</span>'
            f'<label>section <select id="f-section"><option value="">all sections</option>{opts}</select></label>'
            f'{chg}<label>find <input id="f-text" type="search" placeholder="id or words"></label>'
            f'<button type="button" id="f-open">open all</button><button type="button" id="f-close">close all</button>'
            f'<span id="f-count" aria-live="polite"></span></nav>')


def render(doc: dict[str, Any]) -> str:
    """The whole report as one HTML document."""
    secs = sections(doc)
    by_id = {c["id"]: c for c in doc["claims"]}
    body = []
    for feature_file, cs in secs:
        n = {v: sum(c["verdict"] == v for c in cs) for v in VERDICTS}
        small = " ".join(f'<span class="badge b-{v}">{n[v]} {LABEL[v]}</span>' for v in VERDICTS if n[v])
        body.append(
            f'<section class="feature" id="sec-{e(feature_file)}" data-section="{e(feature_file)}">'
            f'<h2>{_section_title(feature_file, cs[0].get("feature", feature_file))} '
            f'<small>features/{e(feature_file)}</small></h2><div class="secsum">{small}</div>'
            + "".join(claim(c, doc["run"]) for c in cs) + "</section>")
    run = doc["run"]
    status = (doc.get("gate") or {}).get("status") or ("passed" if run.get("exit_status") == 0 else "failed")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{e(status.upper())}: lab conformance, run {e(run.get('name', ''))}</title>"
        f"<style>{CSS}</style></head><body>"
        + summary(doc) + baseline_block(doc, by_id) + waivers_block(doc)
        + '<h2 id="claims-title">The document, section by section</h2>'
        + filters(secs, bool(doc.get("baseline")))
        + f'<main>{"".join(body)}</main>'
        + f"<footer>labconform {e(run.get('labconform_version', ''))}; results.json schema "
          f"{e(doc.get('schema_version', '?'))}; this file is self-contained and fetches nothing.</footer>"
        + f"<script>{JS}</script></body></html>\n"
    )


CSS = """
:root{--ok:#1a7f37;--bad:#c62828;--err:#8e24aa;--na:#6e7781;--wv:#b26a00;--bg:#fff;--fg:#1f2328;--mut:#eef1f4}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);
margin:0 auto;max-width:1200px;padding:0 16px 40px}
h1{margin:0;font-size:24px}h2{font-size:18px;margin:22px 0 8px}
h2 small{font-weight:normal;color:var(--na);font-size:12px}h3{font-size:14px;margin:10px 0 4px}
h4{margin:10px 0 4px;font-size:13px}code,pre{font:12px/1.4 ui-monospace,"DejaVu Sans Mono",monospace}
code{background:var(--mut);padding:0 3px;border-radius:3px;overflow-wrap:anywhere}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:6px 8px;margin:2px 0;white-space:pre-wrap;
overflow-wrap:anywhere;max-height:none}
.banner{margin:16px 0 8px;padding:12px 16px;border-radius:6px;color:#fff}.banner p{margin:4px 0}
.s-passed{background:var(--ok)}.s-failed{background:var(--bad)}.banner code{color:#000}
.banner a{color:#fff}
.reasons{margin:6px 0 0;padding-left:20px}.tiles{display:flex;gap:8px;flex-wrap:wrap}
.tile{border:0;border-radius:6px;padding:6px 14px;color:#fff;cursor:pointer;font:inherit;min-width:110px;
text-align:left}
.tile b{display:block;font-size:22px}.b-passed{background:var(--ok);color:#fff}
.b-failed{background:var(--bad);color:#fff}.b-error{background:var(--err);color:#fff}
.b-not_applicable{background:var(--na);color:#fff}.b-waived{background:var(--wv);color:#fff}
.cols{display:flex;gap:16px;flex-wrap:wrap;margin-top:10px;align-items:flex-start}.cols table{flex:1 1 420px}
table{border-collapse:collapse}caption{text-align:left;font-weight:bold;padding:4px 0}
.facts th,.kv th,.ev th{text-align:left;vertical-align:top;padding:2px 10px 2px 0;white-space:nowrap;
color:#57606a;font-weight:600}
.facts td,.kv td,.ev td{padding:2px 0;vertical-align:top}.kv{margin:0}.kv th{font-weight:normal}
.none{color:var(--na);font-style:italic}.bad{color:var(--bad)}.ok{color:var(--ok)}
#baseline,#waivers{border:1px solid #d0d7de;border-radius:6px;padding:4px 14px;margin:12px 0}
.changes{list-style:none;padding:0}.changes li{padding:2px 0}
.more{display:inline}.more>summary{display:inline;cursor:pointer;text-decoration:underline}
.chg{font-size:11px;padding:1px 6px;border-radius:8px;background:var(--mut)}
.chg-regressed{color:var(--bad);font-weight:bold}.chg.chg-regressed{background:var(--bad);color:#fff}
.chg-fixed{color:var(--ok)}.chg.chg-fixed{background:var(--ok);color:#fff}.chg-still_failing{color:#8a4600}
#filters{position:sticky;top:0;z-index:2;background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;
padding:6px 10px;display:flex;gap:12px;flex-wrap:wrap;align-items:center}
#filters label{white-space:nowrap}#f-count{color:#57606a;margin-left:auto}.feature{margin-top:8px}
.secsum{margin:-4px 0 6px}.secsum .badge{font-size:11px}
.claim{border:1px solid #d0d7de;border-left:6px solid var(--na);border-radius:4px;margin:6px 0;background:#fff}
.v-passed{border-left-color:var(--ok)}.v-failed{border-left-color:var(--bad)}
.v-error{border-left-color:var(--err)}.v-waived{border-left-color:var(--wv)}
.claim>details>summary{cursor:pointer;padding:6px 10px;list-style-position:outside}
.claim summary .scn{font-weight:600}.meta{color:#57606a;font-size:12px;margin-left:6px}
.meta span{margin-right:6px}
.badge{display:inline-block;min-width:92px;text-align:center;border-radius:10px;padding:0 8px;font-size:12px;
font-weight:600}
.cid{font-size:12px}.imp-high{color:var(--bad)}.body{padding:2px 12px 10px 16px;border-top:1px solid var(--mut)}
.why{color:#57606a;font-style:italic;margin:6px 0}.steps{list-style:none;padding:0;margin:6px 0;font-size:13px}
.steps .mark{display:inline-block;width:16px}.st-passed .mark{color:var(--ok)}
.st-failed .mark,.st-error .mark{color:var(--bad)}.st-skipped,.st-not_run{color:var(--na)}
.ob{border-left:3px solid var(--na);padding:4px 10px;margin:6px 0;background:#fafbfc}
.ob.ok{border-left-color:var(--ok)}.ob.bad{border-left-color:var(--bad);background:#fff5f5}
.ob .what{font-weight:600}.ob.ok .mark{color:var(--ok)}.ob.bad .mark{color:var(--bad)}.ev{width:100%}
.ev td{width:100%}.label{font-size:12px;color:#57606a;margin-top:6px}.fold>summary{cursor:pointer;color:#0969da}
.fold .size{color:#57606a;font-size:12px}.http{border:1px dashed #d0d7de;padding:4px 8px;margin:4px 0}
.http b.ok{color:var(--ok)}.http b.bad{color:var(--bad)}.chart svg{background:#fff;border:1px solid #d0d7de}
.chart rect{fill:#0969da}.chart .median{stroke:var(--bad);stroke-dasharray:4 3}.chart .axis{stroke:#8c959f}
.chart text{font:10px sans-serif;fill:#57606a}.chart{margin:4px 0}
.chart figcaption{font-size:12px;color:#57606a}.balance td.bar{width:240px}
.balance td.bar span{display:block;height:10px;background:#0969da}.balance th{padding-right:8px}
.rows{font-size:12px}.rows th,.rows td{border:1px solid #d0d7de;padding:2px 6px;text-align:left}
.scroll{overflow-x:auto}.cmds{margin:2px 0;padding-left:18px}.waiver{color:#8a4600}
footer{margin-top:30px;color:#57606a;font-size:12px}[hidden]{display:none!important}
@media print{#filters{display:none}}
"""

JS = """
(function(){
  var boxes=[].slice.call(document.querySelectorAll('#filters input[data-verdict]'));
  var sec=document.getElementById('f-section'),chg=document.getElementById('f-change');
  var txt=document.getElementById('f-text');
  var claims=[].slice.call(document.querySelectorAll('article.claim'));
  function apply(){
    var on={};boxes.forEach(function(b){on[b.dataset.verdict]=b.checked;});
    var s=sec.value,c=chg?chg.value:'',q=txt.value.trim().toLowerCase(),n=0;
    claims.forEach(function(a){
      var show=on[a.dataset.verdict]&&(!s||a.dataset.section===s)&&(!c||a.dataset.change===c)
        &&(!q||a.dataset.text.indexOf(q)>=0);
      a.hidden=!show;if(show)n++;});
    [].forEach.call(document.querySelectorAll('section.feature'),function(f){
      f.hidden=!f.querySelector('article.claim:not([hidden])');});
    document.getElementById('f-count').textContent='showing '+n+' of '+claims.length+' claims';
  }
  boxes.forEach(function(b){b.addEventListener('change',apply);});
  [sec,chg,txt].forEach(function(el){if(el)el.addEventListener('input',apply);});
  [].forEach.call(document.querySelectorAll('.tile[data-only]'),function(t){t.addEventListener('click',function(){
    var only=t.dataset.only,all=boxes.every(function(b){return b.checked===(b.dataset.verdict===only);});
    boxes.forEach(function(b){b.checked=all||b.dataset.verdict===only;});apply();
    document.getElementById('claims-title').scrollIntoView();});});
  function openAll(v){claims.forEach(function(a){a.querySelector('details').open=v;});}
  document.getElementById('f-open').addEventListener('click',function(){openAll(true);});
  document.getElementById('f-close').addEventListener('click',function(){openAll(false);});
  function openHash(){var a=location.hash&&document.getElementById(location.hash.slice(1));
    if(!a||!a.classList.contains('claim'))return;
    if(a.hidden){boxes.forEach(function(b){b.checked=true;});sec.value='';if(chg)chg.value='';txt.value='';apply();}
    a.querySelector('details').open=true;a.scrollIntoView();}
  window.addEventListener('hashchange',openHash);
  apply();openHash();
})();
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m labconform.report", description=__doc__.splitlines()[0])
    ap.add_argument("run", help="a run folder or its results.json")
    ap.add_argument("-o", "--output", help="where to write (default: index.html beside results.json)")
    args = ap.parse_args(argv)
    doc = load(args.run)
    src = Path(args.run)
    out = Path(args.output) if args.output else (src if src.is_dir() else src.parent) / "index.html"
    out.write_text(render(doc))
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
