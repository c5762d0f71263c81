"""The run's summary at the end of pytest's output: counts, regressions first, the gate, where the report is."""

from __future__ import annotations

from typing import Any

from labconform.redact import redact_text
from labconform.results import gate
from labconform.results.document import ClaimResult, counts
from labconform.run.state import RunState


def short(text: str, limit: int) -> str:
    """One line of the terminal summary: redacted, and cut with a mark that says where the rest is."""
    text = redact_text(text)
    return text if len(text) <= limit else text[:limit] + " ... (in full in the report)"


def write_baseline_diff(tr: Any, run: RunState, claims: list[ClaimResult]) -> None:
    """Regressions first: they are what a change broke."""
    if run.diff is None:
        return
    groups = run.diff["groups"]
    tr.write_line(
        f"against baseline {run.baseline_path} ({run.diff.get('name')}): "
        + ", ".join(f"{len(groups[k])} {gate.CHANGE_LABELS[k]}" for k in gate.CHANGES if groups[k]),
        bold=True,
    )
    for res in claims:
        if res.id in groups["regressed"]:
            was = run.diff["claims"][res.id]["was"]
            tr.write_line(f"  REGRESSED {res.id} ({was} -> {res.verdict}): {short(res.reason, 300)}",
                          red=res.verdict != "waived", bold=True)
    for cid in groups["fixed"]:
        tr.write_line(f"  fixed     {cid}", green=True)


def write_several(tr: Any, run: RunState) -> None:
    """Several labs: one line per lab, the merged run's diff and gate."""
    tr.section("labconform")
    for out in sorted(run.worker_outputs, key=lambda o: o["index"]):
        labc: dict[str, int] = {}
        for doc in out["claims"]:
            labc[doc["verdict"]] = labc.get(doc["verdict"], 0) + 1
        tr.write_line(f"target {out['meta']['target']['spec']}  run {out['meta']['name']}  {labc}")
    write_baseline_diff(tr, run, run.combined)
    verdict = "FAILED: " + "; ".join(run.decision.reasons) if run.decision.failed else "passed"
    tr.write_line(f"gate: {verdict}", bold=True)
    tr.write_line(f"report: {run.folder / 'index.html'}")


def write_one(tr: Any, run: RunState) -> None:
    """One lab: counts, what failed, what is waived or expired, the gate, where the report is."""
    claims = list(run.results.values())
    c = counts(claims)
    tr.section("labconform")
    tr.write_line(f"target {run.target.spec}  run {run.name}")
    tr.write_line("  ".join(f"{n} {v.replace('_', ' ')}" for v, n in c.items()))
    write_baseline_diff(tr, run, claims)
    for res in claims:
        if res.verdict in ("failed", "error") and (run.diff is None or res.id not in run.diff["groups"]["regressed"]):
            tr.write_line(f"  {res.verdict.upper():6} {res.id}: {short(res.reason, 300)}")
    for res in claims:
        if res.verdict == "waived":
            tr.write_line(
                f"  WAIVED {res.id} until {res.waiver['expires']} ({res.waiver['approver']}): {short(res.reason, 200)}"
            )
    for w in run.waivers:
        if w.expired(run.today):
            tr.write_line(
                f"  EXPIRED WAIVER {w.id} expired {w.expires} ({w.source}:{w.line}); it waives nothing", yellow=True
            )
    if run.decision is not None:
        if run.decision.below_threshold:
            tr.write_line(
                f"below --fail-on-impact {run.fail_on_impact}, not failing the run: "
                + ", ".join(run.decision.below_threshold)
            )
        if run.decision.failed:
            tr.write_line("gate: FAILED: " + "; ".join(run.decision.reasons), red=True, bold=True)
        else:
            tr.write_line("gate: passed", green=True, bold=True)
    if run.cleanup and run.cleanup.get("note"):
        tr.write_line(f"clean-up: {run.cleanup['note']}", yellow=True)
    if run.folder is not None:
        tr.write_line(f"report: {run.folder / 'index.html'}")
        tr.write_line(f"results: {run.folder / 'results.json'}  (also junit.xml, cucumber.json)")
    if run.allure is not None and run.allure.written:
        tr.write_line(f"allure results: {run.allure.dir}  ({run.allure.written} tests, for allure generate)")
    if run.pruned:
        tr.write_line(f"removed {len(run.pruned)} old run folder(s) beyond --keep-runs: {', '.join(run.pruned)}")
