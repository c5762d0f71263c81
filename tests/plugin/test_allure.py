"""Allure results (`--alluredir`) read by the real Allure command line: Allure 3 from npm, no Java.

The exports' small project (tests/plugin/test_exports.py: passed, failed, error, not applicable in a step and
before any step, waived, an outline) writes Allure results through allure-pytest-bdd; `allure generate`
makes its report, and what the report says is the gate's story: a waived claim is not a failure, a
claim that does not apply is skipped with its reason, each claim carries its id, evidence and waiver.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from labconform.redact import redact_text
from tests.support.npm_tools import npm_module
from tests.support.sample_project import SECRET, expected_counts, results, run_project

ALLURE = "allure@3"
GENERATE_TIMEOUT_S = 180


@pytest.fixture(scope="session")
def allure_cli() -> Path:
    """Allure 3's command line (npm's `allure`), from NPM_DIR (tests/support/npm_tools.py)."""
    return npm_module("allure", ALLURE) / "cli.js"


def run_with_allure(pytester: pytest.Pytester, *args: str) -> tuple[int, Path, Path]:
    """The small project run with --alluredir (and --clean-alluredir over a stale file of an earlier run)."""
    out = pytester.path / "allure-results"
    out.mkdir()
    (out / "stale-result.json").write_text("{}")
    rc, folder = run_project(pytester, "--alluredir", str(out), "--clean-alluredir", *args)
    return rc, folder, out


@pytest.fixture
def mixed(pytester: pytest.Pytester) -> tuple[int, Path, Path]:
    return run_with_allure(pytester)


@pytest.fixture(params=["mixed", "green"])
def either(request: pytest.FixtureRequest, pytester: pytest.Pytester) -> tuple[int, Path, Path]:
    """Every verdict (the gate fails the run), or the issue's case: no failed claim, no error (it passes)."""
    green = ("-k", "not id:s-02 and not id:s-04") if request.param == "green" else ()
    return run_with_allure(pytester, *green)


def generate(cli: Path, results_dir: Path, workdir: Path) -> Path:
    """`allure generate` of the results; the report's folder."""
    report = workdir / "allure-report"
    p = subprocess.run(["node", str(cli), "generate", str(results_dir), "-o", str(report)], cwd=workdir,
                       capture_output=True, text=True, timeout=GENERATE_TIMEOUT_S)
    assert p.returncode == 0 and (report / "summary.json").is_file(), \
        redact_text(f"allure generate failed:\n{p.stdout[-3000:]}{p.stderr[-3000:]}")
    return report


def report_tests(report: Path) -> dict[str, dict[str, Any]]:
    """Each test of the generated report by its `id` label (the claim's id)."""
    tests = [json.loads(p.read_text()) for p in (report / "data" / "test-results").glob("*.json")]
    by_id = {t["groupedLabels"]["id"][0]: t for t in tests}
    assert len(by_id) == len(tests), "two tests of the report carry the same claim id"
    return by_id


def attachment(report: Path, test: dict[str, Any], name: str) -> str:
    """The text of a test's attachment, as the report serves it."""
    links = [st["link"] for st in test["steps"] if st.get("type") == "attachment" and st["link"]["name"] == name]
    assert links, f"{test['name']}: no attachment {name!r}"
    return (report / "data" / "attachments" / f"{links[0]['id']}{links[0]['ext']}").read_text()


def test_allure_counts_what_the_gate_counts(either: tuple[int, Path, Path], allure_cli: Path, tmp_path: Path) -> None:
    rc, folder, out = either
    doc = results(folder)
    assert not (out / "stale-result.json").exists()  # --clean-alluredir
    # one result per claim: allure-pytest-bdd's own file logger wrote none beside them
    assert len(list(out.glob("*-result.json"))) == len(doc["claims"])
    report = generate(allure_cli, out, tmp_path)
    summary = json.loads((report / "summary.json").read_text())
    stats, want = summary["stats"], expected_counts(doc)
    c = doc["counts"]
    assert stats["total"] == want["tests"] and stats.get("passed", 0) == want["passed"]
    assert (stats.get("failed", 0), stats.get("broken", 0)) == (c["failed"], c["error"])
    assert stats.get("skipped", 0) == want["skipped"] == c["not_applicable"] + c["waived"]
    assert c["waived"] == 1 and c["not_applicable"] == 2
    assert (summary["status"] == "passed") == (doc["gate"]["status"] == "passed") == (rc == 0)
    assert sorted(report_tests(report)) == sorted(cl["id"] for cl in doc["claims"])


def test_allure_shows_each_claims_verdict_evidence_and_waiver(
    mixed: tuple[int, Path, Path], allure_cli: Path, tmp_path: Path
) -> None:
    doc = results(mixed[1])
    report = generate(allure_cli, mixed[2], tmp_path)
    tests = report_tests(report)
    claims = {c["id"]: c for c in doc["claims"]}
    status = {cid: t["status"] for cid, t in tests.items()}
    assert status == {"s-01": "passed", "s-02": "failed", "s-03": "skipped", "s-04": "broken", "s-05": "skipped",
                      "s-06": "skipped", "s-07[x]": "passed", "s-07[y]": "passed"}
    for cid, t in tests.items():
        assert t["groupedLabels"]["verdict"] == [claims[cid]["verdict"]]
        assert f"id:{cid.split('[')[0]}" in t["groupedLabels"]["tag"]
    # not applicable: skipped, with its reason; the claim that never reached a step is listed too
    assert tests["s-03"]["error"]["message"] == "not applicable: no widget on this host"
    assert "--destructive" in tests["s-06"]["error"]["message"]
    # waived: skipped, the waiver's justification, expiry and approver, the failure it covers
    waived, waiver = tests["s-05"], claims["s-05"]["waiver"]
    assert waived["error"]["message"].startswith(f"waived until {waiver['expires']} by lab-admins")
    assert "expected 'off', found 'on'" in waived["error"]["message"]
    params = {p["name"]: p["value"] for p in waived["parameters"]}
    assert params["waiver expires"] == waiver["expires"] and params["waiver approver"] == "lab-admins"
    assert params["waiver justification"].startswith("the widget is replaced this month")
    assert json.loads(attachment(report, waived, "waiver.json"))["expires"] == waiver["expires"]
    assert [s["status"] for s in waived["steps"] if s.get("type") == "step"] == ["passed", "skipped"]
    # evidence: what was expected, what was found, how
    evidence = attachment(report, tests["s-02"], "evidence")
    assert "expected: b" in evidence and "found:    a" in evidence and "how:      comparison" in evidence
    assert json.loads(attachment(report, tests["s-02"], "evidence.json")) == claims["s-02"]["evidence"]
    assert tests["s-02"]["error"]["message"] == "failed: [local] value: expected 'b', found 'a' (comparison)"
    assert tests["s-04"]["error"]["message"] == "error: RuntimeError: probe exploded"
    # a claim on two labs is two tests: the lab is a parameter; the outline's row is one too
    assert {p["name"]: p["value"] for p in tests["s-07[x]"]["parameters"]} == {"v": "x", "target": "local"}


def test_no_allure_file_shows_the_planted_credential(
    mixed: tuple[int, Path, Path], allure_cli: Path, tmp_path: Path
) -> None:
    report = generate(allure_cli, mixed[2], tmp_path)
    files = [p for p in [*mixed[2].iterdir(), *(report / "data").rglob("*")] if p.is_file()]
    assert files and not [p.name for p in files if SECRET in p.read_text(errors="replace")]
    assert "password=[redacted]" in report_tests(report)["s-05"]["error"]["message"]


