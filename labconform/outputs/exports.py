"""Machine-readable outputs for CI systems, made from a results document: junit.xml and cucumber.json."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from itertools import groupby
from typing import Any

from labconform.results.document import feature_path

# XML 1.0 cannot hold these code points at all, escaped or not
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return _NOT_XML.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def sections(doc: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The claims grouped by feature file, in the document's order (feature files are numbered)."""
    claims = sorted(doc["claims"], key=lambda c: (c.get("feature_file", ""), c.get("line", 0)))
    return [(f, list(cs)) for f, cs in groupby(claims, key=lambda c: c.get("feature_file", ""))]


def evidence_text(claim: dict[str, Any]) -> str:
    """The evidence as plain lines: what, expected, found, how; for a CI log."""
    lines = []
    for ob in claim.get("evidence", []):
        mark = {True: "ok", False: "NOT OK", None: "note"}[ob.get("ok")]
        lines.append(f"[{mark}] {ob.get('what')}")
        if ob.get("expected") is not None:
            lines.append(f"    expected: {_x(ob['expected'])}")
        lines.append(f"    found:    {_x(ob.get('found'))}")
        lines.append(f"    how:      {_x(ob.get('how'))}")
        if ob.get("details"):
            lines.append(f"    details:  {_x(ob['details'])}")
    return "\n".join(lines)


def verdict_text(claim: dict[str, Any]) -> str:
    """One line that says the verdict in the gate's words: why not applicable, whose waiver until when."""
    verdict, reason = claim["verdict"], claim.get("reason", "")
    if verdict == "waived":
        w = claim.get("waiver") or {}
        return (f"waived until {w.get('expires')} by {w.get('approver')} ({w.get('justification', '')}); "
                f"the failure it covers: {reason}")
    if verdict == "not_applicable":
        return f"not applicable: {reason}"
    return f"{verdict}: {reason}" if reason else verdict


def _claim_header(claim: dict[str, Any]) -> str:
    """What a CI page shows above the evidence: the claim's tags, verdict and where it is written."""
    lines = [f"claim {claim['id']} ({claim.get('impact', '')}, {claim.get('mode', '')}) "
             f"{feature_path(claim.get('feature_file', ''))}:{claim.get('line', 0)}", verdict_text(claim)]
    if claim.get("owner"):
        lines.append(f"provisioning step: {claim['owner']['step']}")
    if (claim.get("change") or {}).get("change"):
        lines.append(f"against the baseline: {claim['change']['change']} (was {claim['change'].get('was')})")
    return _x("\n".join(lines))


# what the JUnit XML schema of CI servers (Jenkins' junit-10.xsd, tests/data/junit-10.xsd) knows:
# a testcase is passed, failed, error or skipped; waived and not applicable are skipped, with the reason
JUNIT_SKIPPED = ("not_applicable", "waived")


def junit(doc: dict[str, Any]) -> str:
    """JUnit XML: one testsuite per document section, one testcase per claim.

    failed -> <failure>, error -> <error>, not applicable and waived -> <skipped> with the reason (a
    waived claim is not a failure: the gate passes it). Only what the schema allows: the claim's id,
    tags, line and provisioning step are in its system-out, the run's in each suite's properties."""
    claims_all, run = doc["claims"], doc["run"]
    root = ET.Element(
        "testsuites", name="labconform", tests=str(len(claims_all)),
        failures=str(sum(c["verdict"] == "failed" for c in claims_all)),
        errors=str(sum(c["verdict"] == "error" for c in claims_all)),
        time=f"{sum(c.get('duration_s', 0) for c in claims_all):.3f}",
    )
    run_props = {"run": run.get("name", ""), "target": (run.get("target") or {}).get("name", ""),
                 "labconform_version": run.get("labconform_version", ""),
                 "gate": (doc.get("gate") or {}).get("status", "")}
    for feature_file, claims in sections(doc):
        suite = ET.SubElement(
            root, "testsuite", name=_x(claims[0].get("feature", feature_file)), file=feature_file,
            tests=str(len(claims)),
            failures=str(sum(c["verdict"] == "failed" for c in claims)),
            errors=str(sum(c["verdict"] == "error" for c in claims)),
            skipped=str(sum(c["verdict"] in JUNIT_SKIPPED for c in claims)),
            time=f"{sum(c.get('duration_s', 0) for c in claims):.3f}",
            timestamp=run.get("started", ""), hostname=_x((run.get("target") or {}).get("name", "")),
        )
        props = ET.SubElement(suite, "properties")
        for key, value in run_props.items():
            ET.SubElement(props, "property", name=key, value=_x(value or ""))
        for c in claims:
            case = ET.SubElement(suite, "testcase", classname=feature_file.removesuffix(".feature"),
                                 name=_x(f"{c['id']}: {c['scenario']}"), time=f"{c.get('duration_s', 0):.3f}")
            verdict, reason = c["verdict"], _x(c.get("reason", ""))
            if verdict == "failed":
                ET.SubElement(case, "failure", message=reason, type="ClaimFailed").text = evidence_text(c)
            elif verdict == "error":
                ET.SubElement(case, "error", message=reason, type="error").text = evidence_text(c)
            elif verdict in JUNIT_SKIPPED:
                ET.SubElement(case, "skipped", message=_x(verdict_text(c)), type=verdict)
            ET.SubElement(case, "system-out").text = _claim_header(c) + "\n" + evidence_text(c)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


CUCUMBER_STATUS = {"passed": "passed", "failed": "failed", "error": "failed", "skipped": "skipped",
                   "not_run": "skipped", "undefined": "undefined"}
# the scenario status every Cucumber report derives from its steps (a failed step wins, then a
# skipped one); a waived claim is skipped as in junit.xml, not failed: the gate passes it
SCENARIO_STATUS = {"passed": "passed", "failed": "failed", "error": "failed",
                   "not_applicable": "skipped", "waived": "skipped"}


def scenario_status(steps: list[dict[str, Any]]) -> str | None:
    """The status a Cucumber report gives a scenario with these steps (None: no step, not counted)."""
    statuses = {s["result"]["status"] for s in steps}
    for status in ("failed", "ambiguous", "undefined", "pending", "skipped", "passed"):
        if status in statuses:
            return status
    return None


def _cucumber_steps(claim: dict[str, Any], feature_file: str) -> list[dict[str, Any]]:
    """The claim's steps as Cucumber results, so that the scenario's status is the claim's verdict.

    A waived claim's failed step is skipped, with the waiver as its message; a claim that ended
    before its first step (a destructive claim not asked for, an unreachable target) gets one `*`
    step that says so, because a scenario without steps is dropped by Cucumber reports."""
    verdict = claim["verdict"]
    want = SCENARIO_STATUS.get(verdict, "failed")
    recorded = claim.get("steps") or []
    per_step_ns = int(claim.get("duration_s", 0) * 1e9 / max(len(recorded), 1))
    steps = []
    for s in recorded:
        status = CUCUMBER_STATUS.get(s.get("status", ""), "skipped")
        if want != "failed" and status == "failed":
            status = "skipped"  # waived: the observed failure is covered, and said so below
        result: dict[str, Any] = {"status": status}
        if status == "passed":
            result["duration"] = per_step_ns
        steps.append({"keyword": s["keyword"].strip() + " ", "name": s["text"], "line": s.get("line", 0),
                      "match": {"location": f"{feature_path(feature_file)}:{s.get('line', 0)}"}, "result": result})
    if scenario_status(steps) != want:
        line = claim.get("line", 0)
        steps.append({"keyword": "* ", "name": "the claim ended before its steps ran" if not recorded
                      else f"the claim's verdict: {verdict}", "line": line,
                      "match": {"location": f"{feature_path(feature_file)}:{line}"}, "result": {"status": want}})
    # the step that decided the verdict carries the reason: the first that did not pass
    deciding = next((st for st in steps if st["result"]["status"] != "passed"), None)
    if deciding is not None:
        deciding["result"]["error_message"] = verdict_text(claim)
    ran = [st for st, s in zip(steps, recorded, strict=False) if s.get("status") != "not_run"]
    if claim.get("evidence"):
        (ran or steps)[-1]["output"] = [evidence_text(claim)]  # the claim's evidence, on the step that ended it
    return steps


def cucumber(doc: dict[str, Any]) -> str:
    """Cucumber's JSON report format: features, their scenarios (elements) and steps with results.

    Every claim is a scenario whose status is its verdict in Cucumber's terms: passed, failed
    (failed and error), skipped (not applicable and waived, with the reason or the waiver)."""
    out = []
    for feature_file, claims in sections(doc):
        first = claims[0]
        feature_tags = sorted({t for c in claims for t in c["tags"] if t.startswith("section:")})
        elements = []
        for c in claims:
            description = c.get("rationale", "")
            if c["verdict"] in ("waived", "not_applicable"):
                description = (description + "\n" if description else "") + verdict_text(c)
            elements.append({
                "id": f"{feature_file.removesuffix('.feature')};{c['id']}",
                "keyword": "Scenario", "type": "scenario", "name": c["scenario"],
                "description": description, "line": c.get("line", 0),
                "tags": [{"name": "@" + t, "line": max(c.get("line", 1) - 1, 1)} for t in c["tags"]],
                "steps": _cucumber_steps(c, feature_file),
            })
        out.append({
            "uri": feature_path(feature_file), "id": feature_file.removesuffix(".feature"),
            "keyword": "Feature", "name": first.get("feature", feature_file), "description": "", "line": 1,
            "tags": [{"name": "@" + t, "line": 1} for t in feature_tags], "elements": elements,
        })
    return json.dumps(out, indent=2) + "\n"
