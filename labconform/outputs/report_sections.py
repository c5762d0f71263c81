"""The report's sections: the banner and summary of the run, the baseline comparison, the waivers, the
filters, and each claim's entry (its facts, steps and evidence)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from labconform.outputs import repair
from labconform.outputs.report_evidence import MARK, e, observation, value
from labconform.results.document import VERDICTS
from labconform.results.gate import CHANGE_LABELS, CHANGES

LABEL = {"passed": "passed", "failed": "failed", "not_applicable": "not applicable", "waived": "waived",
         "error": "error"}


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


def section_title(feature_file: str, feature: str) -> str:
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
    opts = "".join(f'<option value="{e(f)}">{section_title(f, cs[0].get("feature", f))}</option>' for f, cs in secs)
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

