"""The gate's rules on claim records: the diff against a baseline and the pass/fail decision."""

from __future__ import annotations

from typing import Any

import pytest

from labconform.results.gate import classify, compare, decide


def claim(cid: str, verdict: str, impact: str = "medium") -> dict[str, Any]:
    return {"id": cid, "verdict": verdict, "impact": impact}


@pytest.mark.parametrize(
    ("was", "now", "change"),
    [
        (None, "passed", "new"),
        (None, "failed", "new"),
        ("passed", "passed", "unchanged"),
        ("passed", "not_applicable", "unchanged"),
        ("passed", "failed", "regressed"),
        ("not_applicable", "error", "regressed"),
        ("passed", "waived", "regressed"),
        ("failed", "failed", "still_failing"),
        ("waived", "failed", "still_failing"),
        ("error", "waived", "still_failing"),
        ("failed", "passed", "fixed"),
        ("waived", "passed", "fixed"),
        ("error", "not_applicable", "fixed"),
    ],
)
def test_classify(was: str | None, now: str, change: str) -> None:
    assert classify(was, now) == change


def test_compare_groups_every_claim_and_names_the_missing_ones() -> None:
    base = {"run": {"name": "good", "started": "2026-01-01T00:00:00Z"},
            "claims": [claim("a", "passed"), claim("b", "failed"), claim("c", "passed"), claim("gone", "passed")]}
    now = [claim("a", "failed"), claim("b", "passed"), claim("c", "passed"), claim("d", "passed")]
    diff = compare(now, base, "reports/good")
    assert diff["groups"]["regressed"] == ["a"]
    assert diff["groups"]["fixed"] == ["b"]
    assert diff["groups"]["unchanged"] == ["c"]
    assert diff["groups"]["new"] == ["d"]
    assert diff["groups"]["not_run"] == ["gone"]
    assert diff["claims"]["a"] == {"change": "regressed", "was": "passed"}
    assert diff["name"] == "good"


def test_without_a_baseline_any_failure_fails() -> None:
    d = decide([claim("a", "passed"), claim("b", "failed", "low")], None)
    assert d.failed and "b" in d.reasons[0]


def test_all_passed_or_waived_passes() -> None:
    d = decide([claim("a", "passed"), claim("b", "waived", "high"), claim("c", "not_applicable")], None)
    assert not d.failed and d.reasons == []


def test_threshold_lets_lower_failures_through_but_never_errors() -> None:
    claims = [claim("a", "failed", "low"), claim("b", "failed", "medium")]
    assert not decide(claims, None, "high").failed
    assert decide(claims, None, "high").below_threshold == ["a", "b"]
    assert decide(claims, None, "medium").failed
    assert decide([claim("e", "error", "low")], None, "high").failed


def test_a_regression_fails_whatever_its_impact_unless_waived() -> None:
    base = {"claims": [claim("a", "passed"), claim("b", "passed")]}
    now = [claim("a", "failed", "low"), claim("b", "waived", "high")]
    d = decide(now, compare(now, base, "base.json"), "high")
    assert d.failed
    assert d.regressions == ["a"] and d.waived_regressions == ["b"]
    assert d.reasons[0].startswith("1 regression(s) against the baseline base.json: a")


def test_a_known_failure_below_the_threshold_passes_with_a_baseline() -> None:
    base = {"claims": [claim("a", "failed", "low")]}
    now = [claim("a", "failed", "low")]
    assert not decide(now, compare(now, base, "b"), "medium").failed


def test_failing_tests_that_are_not_claims_fail_the_run() -> None:
    assert decide([claim("a", "passed")], None, other_failures=1).failed


def test_claims_of_several_labs_match_their_lab_or_a_one_lab_baseline() -> None:
    one_lab = {"claims": [{"id": "a", "verdict": "passed"}, {"id": "b", "verdict": "failed"}]}
    run = [{"id": "a@local", "target": "local", "verdict": "failed"},
           {"id": "a@lab2", "target": "lab2", "verdict": "passed"},
           {"id": "b@lab2", "target": "lab2", "verdict": "passed"}]
    diff = compare(run, one_lab, "base")
    assert diff["groups"]["regressed"] == ["a@local"] and diff["groups"]["fixed"] == ["b@lab2"]
    assert diff["groups"]["not_run"] == []
    several = {"claims": [{"id": "a@local", "verdict": "passed"}, {"id": "a@lab2", "verdict": "failed"}]}
    diff = compare(run, several, "base")
    assert diff["groups"]["regressed"] == ["a@local"] and diff["groups"]["fixed"] == ["a@lab2"]
    assert diff["groups"]["new"] == ["b@lab2"]
    # one lab's own run against a baseline of several labs: its lab's claims
    diff = compare([{"id": "a", "target": "lab2", "verdict": "passed"}], several, "base")
    assert diff["groups"]["fixed"] == ["a"] and diff["groups"]["not_run"] == ["a@local"]
