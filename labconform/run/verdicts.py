"""Verdicts: a claim's pytest reports (setup, call, teardown) turned into its one ClaimResult."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from labconform.errors import ClaimFailed, LabUnreachable
from labconform.evidence import Evidence
from labconform.redact import redact_text
from labconform.results import waivers
from labconform.results.document import ClaimResult, feature_file_of
from labconform.run import diagnostics
from labconform.run.collection import claim_id_of, scenario_title, tags_of

if TYPE_CHECKING:
    from labconform.run.state import RunState

# the worst phase decides: an error in teardown does not hide behind a passed call
ORDER = {"passed": 0, "not_applicable": 1, "failed": 2, "waived": 2, "error": 3}


def record(run: RunState, item: pytest.Item, sc: Any, report: pytest.TestReport, exc: BaseException | None) -> None:
    """Fold one phase's report of a claim into its result; a waived failure or a claim that passed
    without evidence also changes the report, so pytest's own counts and exit status agree."""
    res = run.results.get(item.nodeid)
    if res is None:
        res = run.results[item.nodeid] = new_result(run, item, sc)
    res.duration_s += report.duration
    ev = run.evidence.get(item.nodeid)
    if ev is not None:
        res.evidence = ev.as_list()
    verdict = verdict_of(report, exc)
    if verdict is not None and ORDER[verdict] >= ORDER.get(res.verdict, -1):
        res.verdict = verdict
        # the exception itself stays off the report: pytest-xdist sends reports between processes
        res.reason = "" if verdict == "passed" else reason_of(report, exc)
    if report.when == "call" and res.verdict == "passed" and not res.evidence:
        res.verdict, res.reason = "error", "the claim passed without recording any evidence"
        report.outcome = "failed"
        report.longrepr = f"[{run.target.name}] {res.id}: passed without recording any evidence"
    if report.when == "call":
        res.steps = step_outcomes(item, sc, run.steps_done.get(item.nodeid, (0, 0)), res.verdict)
    if report.failed and res.verdict == "failed" and res.waiver and not res.waiver["expired"]:
        # a waived failure: pytest counts it as an expected failure, so its own exit status agrees
        res.verdict = "waived"
        report.outcome = "skipped"
        report.wasxfail = f"waived until {res.waiver['expires']} by {res.waiver['approver']}"  # type: ignore[attr-defined]
        report._lc_waived = True  # type: ignore[attr-defined]
    if report.failed:
        run.claim_failures += 1
        if report.when in ("setup", "call") and res.verdict in ("failed", "error"):
            diagnose(run, res, ev)


def diagnose(run: RunState, res: ClaimResult, ev: Evidence | None) -> None:
    """Once per failed claim, while its containers still stand: what the lab shows now (diagnostics.py),
    as one more observation of the claim."""
    if run.lab is None or run.target.unreachable:
        return
    if ev is None:  # failed in a Given, before any step asked for its evidence
        ev = run.evidence[res.nodeid] = Evidence(run.target.name)
    if any(o.what == diagnostics.WHAT for o in ev.observations):
        return
    started = time.monotonic()
    try:
        found = diagnostics.collect(run.lab, res.feature_file, spent_s=run.diagnostics_s)
    except Exception as exc:  # noqa: BLE001 - inside pytest's report hook: never end the run for them
        found = {"error": f"diagnostics not collected: {type(exc).__name__}: {exc}"}
    run.diagnostics_s += time.monotonic() - started
    if found:
        ev.note(diagnostics.WHAT, f"{len(found)} item(s): " + ", ".join(found),
                f"read from the lab as the claim failed ({time.monotonic() - started:.1f} s)",
                kind="diagnostics", **found)
        res.evidence = ev.as_list()


def new_result(run: RunState, item: pytest.Item, sc: Any) -> ClaimResult:
    """A claim's result before its first report: what the feature file says of it, and its waiver."""
    claim_id = claim_id_of(item, sc)
    res = ClaimResult(
        claim_id,
        item.nodeid,
        sc.feature.name,
        feature_file_of(Path(sc.feature.filename), Path(item.config.rootpath)),
        scenario_title(item, sc),
        tags_of(sc),
        run.target.name,
        line=sc.line_number,
        rationale=" ".join((sc.description or "").split()),
    )
    w = waivers.find(run.waivers, claim_id)
    if w is not None:
        res.waiver = w.as_dict(run.today)
    return res


def verdict_of(report: pytest.TestReport, exc: BaseException | None) -> str | None:
    if report.skipped:
        return "not_applicable"
    if report.failed:
        if report.when == "call" and isinstance(exc, AssertionError) and not isinstance(exc, LabUnreachable):
            return "failed"
        return "error"
    if report.when == "call":
        return "passed"
    return None


def reason_of(report: pytest.TestReport, exc: BaseException | None = None) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    if exc is not None:
        return f"{type(exc).__name__}: {exc}" if not isinstance(exc, ClaimFailed) else str(exc)
    return report.longreprtext.strip().splitlines()[-1] if report.longreprtext else ""


def step_outcomes(item: pytest.Item, sc: Any, progress: tuple[int, int], verdict: str) -> list[dict[str, Any]]:
    """Each Gherkin step of the claim with how far the run got: passed, the one that stopped it, skipped."""
    callspec = getattr(item, "callspec", None)
    example = callspec.params.get("_pytest_bdd_example") if callspec is not None else None
    try:
        steps = sc.render(example).steps if example else sc.steps
    except Exception:  # noqa: BLE001 - the report can live without the step list
        return []
    started, done = progress
    stopped = {"failed": "failed", "waived": "failed", "error": "error", "not_applicable": "skipped"}.get(verdict)
    out = []
    for i, st in enumerate(steps):
        if i < done:
            status = "passed"
        elif i < started and stopped:
            status = stopped
        else:
            status = "not_run"
        out.append({"keyword": st.keyword, "text": st.name, "line": st.line_number, "status": status})
    return out


def redact_report(report: pytest.TestReport) -> None:
    """What pytest shows of a test (its FAILURES section, the reason of a skip, captured output),
    redacted as results.json is: it reaches the terminal and the CI log."""
    report.sections = [(title, redact_text(text)) for title, text in report.sections]
    if isinstance(report.longrepr, tuple):
        path, line, reason = report.longrepr
        report.longrepr = (path, line, redact_text(reason))
    elif report.longrepr is not None:
        text = report.longreprtext
        clean = redact_text(text)
        if clean != text:  # a traceback that shows a credential: its redacted text instead
            report.longrepr = clean


def message_only(exc: BaseException) -> pytest.ExceptionInfo[BaseException]:
    """A claim's failure message says target, expected and found: no traceback to format. (Formatting
    one costs about 0.1 s a claim, which is what made a run against an unreachable lab slow.)"""
    try:
        pytest.fail(redact_text(str(exc)), pytrace=False)
    except pytest.fail.Exception:
        return pytest.ExceptionInfo.from_current()
    raise AssertionError("unreachable")  # pragma: no cover
