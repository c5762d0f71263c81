"""Machine-readable outputs for CI systems, made from a results document: junit.xml and cucumber.json."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from itertools import groupby
from typing import Any

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


def junit(doc: dict[str, Any]) -> str:
    """JUnit XML: one testsuite per document section, one testcase per claim.
    failed -> <failure>, error -> <error>, not applicable and waived -> <skipped> with the reason."""
    root = ET.Element("testsuites", name="labconform", tests=str(len(doc["claims"])))
    run = doc["run"]
    for feature_file, claims in sections(doc):
        suite = ET.SubElement(
            root, "testsuite", name=_x(claims[0].get("feature", feature_file)), file=feature_file,
            tests=str(len(claims)),
            failures=str(sum(c["verdict"] == "failed" for c in claims)),
            errors=str(sum(c["verdict"] == "error" for c in claims)),
            skipped=str(sum(c["verdict"] in ("not_applicable", "waived") for c in claims)),
            time=f"{sum(c.get('duration_s', 0) for c in claims):.3f}",
            timestamp=run.get("started", ""), hostname=_x(run.get("target", {}).get("name", "")),
        )
        for c in claims:
            case = ET.SubElement(suite, "testcase", classname=feature_file.removesuffix(".feature"),
                                 name=_x(f"{c['id']}: {c['scenario']}"), file=f"features/{feature_file}",
                                 line=str(c.get("line", 0)), time=f"{c.get('duration_s', 0):.3f}")
            props = ET.SubElement(case, "properties")
            for key in ("id", "impact", "mode", "verdict"):
                ET.SubElement(props, "property", name=key, value=_x(c.get(key, "")))
            if c.get("owner"):
                ET.SubElement(props, "property", name="provisioning_step", value=_x(c["owner"]["step"]))
            if (c.get("change") or {}).get("change"):
                ET.SubElement(props, "property", name="baseline", value=c["change"]["change"])
            verdict, reason = c["verdict"], _x(c.get("reason", ""))
            if verdict == "failed":
                ET.SubElement(case, "failure", message=reason, type="ClaimFailed").text = evidence_text(c)
            elif verdict == "error":
                ET.SubElement(case, "error", message=reason, type="error").text = evidence_text(c)
            elif verdict == "not_applicable":
                ET.SubElement(case, "skipped", message=f"not applicable: {reason}", type="not_applicable")
            elif verdict == "waived":
                w = c.get("waiver") or {}
                ET.SubElement(case, "skipped", type="waived",
                              message=_x(f"waived until {w.get('expires')} by {w.get('approver')}: {reason}"))
            ET.SubElement(case, "system-out").text = evidence_text(c)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


CUCUMBER_STATUS = {"passed": "passed", "failed": "failed", "error": "failed", "skipped": "skipped",
                   "not_run": "skipped", "undefined": "undefined"}


def cucumber(doc: dict[str, Any]) -> str:
    """Cucumber's JSON report format: features, their scenarios (elements) and steps with results."""
    out = []
    for feature_file, claims in sections(doc):
        first = claims[0]
        feature_tags = sorted({t for c in claims for t in c["tags"] if t.startswith("section:")})
        elements = []
        for c in claims:
            steps = []
            per_step_ns = int(c.get("duration_s", 0) * 1e9 / max(len(c.get("steps") or [1]), 1))
            for s in c.get("steps") or []:
                result: dict[str, Any] = {"status": CUCUMBER_STATUS.get(s.get("status", ""), "skipped")}
                if result["status"] == "passed":
                    result["duration"] = per_step_ns
                if s.get("status") in ("failed", "error"):
                    result["error_message"] = c.get("reason", "")
                steps.append({"keyword": s["keyword"].strip() + " ", "name": s["text"], "line": s.get("line", 0),
                              "match": {"location": f"features/{feature_file}:{s.get('line', 0)}"},
                              "result": result})
            ran = [st for st, s in zip(steps, c.get("steps") or [], strict=True) if s.get("status") != "not_run"]
            if ran and c.get("evidence"):
                ran[-1]["output"] = [evidence_text(c)]  # the claim's evidence, on the step that ended it
            elements.append({
                "id": f"{feature_file.removesuffix('.feature')};{c['id']}",
                "keyword": "Scenario", "type": "scenario", "name": c["scenario"],
                "description": c.get("rationale", ""), "line": c.get("line", 0),
                "tags": [{"name": "@" + t, "line": max(c.get("line", 1) - 1, 1)} for t in c["tags"]],
                "steps": steps,
            })
        out.append({
            "uri": f"features/{feature_file}", "id": feature_file.removesuffix(".feature"),
            "keyword": "Feature", "name": first.get("feature", feature_file), "description": "", "line": 1,
            "tags": [{"name": "@" + t, "line": 1} for t in feature_tags], "elements": elements,
        })
    return json.dumps(out, indent=2) + "\n"
