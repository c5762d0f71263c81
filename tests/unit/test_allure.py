"""Allure results (`--alluredir`) read by the real Allure command line: Allure 3 from npm, no Java.

The exports' small project (tests/plugin/test_exports.py: passed, failed, error, not applicable in a step and
before any step, waived, an outline) writes Allure results through allure-pytest-bdd; `allure generate`
makes its report, and what the report says is the gate's story: a waived claim is not a failure, a
claim that does not apply is skipped with its reason, each claim carries its id, evidence and waiver.
"""

from __future__ import annotations

import json
from pathlib import Path

from labconform.outputs.allure import Collector
from labconform.redact import REDACTED

CLAIM = {"id": "u-01", "nodeid": "u.feature::test_u", "feature": "F", "feature_file": "10_f.feature",
         "scenario": "a claim that ends at once", "tags": ["id:u-01", "impact:high"], "impact": "high",
         "verdict": "error", "reason": "target unreachable: ssh refused", "evidence": [], "rationale": "",
         "steps": [{"keyword": "Given", "text": "the lab", "line": 4, "status": "error"},
                   {"keyword": "Then", "text": "it holds", "line": 5, "status": "not_run"}],
         "owner": {"step": "docker: daemon.json"}, "waiver": None}


def test_a_claim_allure_pytest_bdd_did_not_report_is_written_from_its_record(tmp_path: Path) -> None:
    """A claim that ended before its scenario began gets a result of its own, with its steps; a test
    parameter named like a credential is hidden, as results.json hides such a value."""
    collector = Collector(str(tmp_path / "out"))
    other = {"uuid": "u-2", "name": "a plain test", "status": "passed",
             "parameters": [{"name": "db_password", "value": "hunter2-pw"}]}
    collector.results["test_plain.py::test_x"] = other
    rows = [dict(CLAIM, id=f"u-02[{v}]", nodeid=f"u.feature::test_o[{v}]", scenario="an outline") for v in "ab"]
    doc = {"run": {"name": "r", "target": {"name": "lab1"}}, "claims": [CLAIM, *rows], "gate": {"status": "failed"}}
    assert collector.write(doc) == 4
    written = [json.loads(p.read_text()) for p in (tmp_path / "out").glob("*-result.json")]
    # an outline's rows stay apart: Allure tells tests apart by their test case id and parameters
    outline = [r for r in written if r["name"] == "an outline"]
    assert len({(r["testCaseId"], json.dumps(r["parameters"])) for r in outline}) == 2
    assert [p for r in outline for p in r["parameters"] if p["name"] == "example"] != []
    (claim,) = [r for r in written if r["name"] == CLAIM["scenario"]]
    assert claim["status"] == "broken" and claim["statusDetails"]["message"] == "error: target unreachable: ssh refused"
    assert [(s["name"], s["status"]) for s in claim["steps"]] == [("Given the lab", "broken"),
                                                                  ("Then it holds", "skipped")]
    labels = {(lb["name"], lb["value"]) for lb in claim["labels"]}
    assert {("id", "u-01"), ("verdict", "error"), ("target", "lab1"), ("severity", "critical")} <= labels
    assert {"name": "provisioning step", "value": "docker: daemon.json", "excluded": True} in claim["parameters"]
    (plain,) = [r for r in written if r["name"] == "a plain test"]
    assert plain["parameters"] == [{"name": "db_password", "value": REDACTED}]
    props = (tmp_path / "out" / "environment.properties").read_text().splitlines()
    assert "target=lab1" in props and "gate=failed" in props
