"""junit.xml, cucumber.json and results.json read by the tools that consume them: each tells the gate's story.

A small project (pytester) makes every verdict: passed, failed, error, not applicable in a step,
not applicable before any step (a destructive claim not asked for), waived. Its outputs go
through the JUnit schema CI servers use (tests/data/junit-10.xsd) and junitparser, npm's
cucumber-html-reporter, and the published JSON Schema of results.json (docs/results.schema.json).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped
from lxml import etree

from labconform.outputs.exports import scenario_status
from labconform.redact import redact_text
from tests.support.npm_tools import npm_module
from tests.support.results_schema import schema_errors
from tests.support.sample_project import (
    SECRET,
    expected_counts,
    results,
    run_project,
)

REPO = Path(__file__).resolve().parents[2]
XSD = REPO / "tests" / "data" / "junit-10.xsd"
REPORTER = "cucumber-html-reporter@7"


@pytest.fixture
def mixed(pytester: pytest.Pytester) -> tuple[int, Path]:
    """Every verdict in one run: the gate fails it (one failed claim, one error)."""
    return run_project(pytester)


@pytest.fixture
def green(pytester: pytest.Pytester) -> tuple[int, Path]:
    """The issue's case: passed, not applicable (with and without steps) and waived; the gate passes it."""
    return run_project(pytester, "-k", "not id:s-02 and not id:s-04")


def test_the_project_makes_every_verdict(mixed: tuple[int, Path], green: tuple[int, Path]) -> None:
    rc, folder = mixed
    doc = results(folder)
    assert rc == 1 and doc["gate"]["status"] == "failed"
    verdicts = {c["id"]: c["verdict"] for c in doc["claims"]}
    assert verdicts == {"s-01": "passed", "s-02": "failed", "s-03": "not_applicable", "s-04": "error",
                        "s-05": "waived", "s-06": "not_applicable", "s-07[x]": "passed", "s-07[y]": "passed"}
    assert next(c for c in doc["claims"] if c["id"] == "s-06")["steps"] == []  # ended before its first step
    rc, folder = green
    assert rc == 0 and results(folder)["gate"]["status"] == "passed"


# --- results.json and its JSON Schema -----------------------------------------------------------


def test_results_json_follows_the_published_schema(mixed: tuple[int, Path]) -> None:
    doc = results(mixed[1])
    assert schema_errors(doc) == []
    assert "docs/results.schema.json" in (REPO / "docs" / "results.md").read_text()


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["claims"][0].update(verdict="maybe"), "$.claims[0].verdict"),
        (lambda d: d["claims"][0].pop("evidence"), "$.claims[0]"),
        (lambda d: d.update(schema_version=2), "$.schema_version"),
        (lambda d: next(c for c in d["claims"] if c["verdict"] == "waived").update(waiver=None), "waiver"),
        (lambda d: next(c for c in d["claims"] if c["verdict"] == "not_applicable").update(reason=""), "reason"),
        (lambda d: d["counts"].update(passed=d["counts"]["passed"] + 1), "$.counts"),
        (lambda d: d["run"].update(started="yesterday"), "$.run.started"),
    ],
    ids=["unknown-verdict", "no-evidence-list", "newer-version", "waived-without-waiver",
         "not-applicable-without-reason", "counts-off", "bad-timestamp"],
)
def test_the_schema_refuses_a_broken_document(mixed: tuple[int, Path], change: Any, where: str) -> None:
    doc = results(mixed[1])
    change(doc)
    errors = schema_errors(doc)
    assert errors and any(where in e for e in errors), errors


HOOKED_TEST = """\
import json

def _run_folder(root, doc):
    root.mkdir(parents=True)
    (root / "results.json").write_text(json.dumps(doc))
    for name in ("junit.xml", "cucumber.json"):
        (root / name).write_text("")

def test_writes_a_good_run(tmp_path):
    _run_folder(tmp_path / "reports" / "good", GOOD)

def test_writes_a_broken_run(tmp_path):
    _run_folder(tmp_path / "reports" / "bad", dict(GOOD, counts={**GOOD["counts"], "passed": 7}))

def test_writes_a_document_by_hand(tmp_path):
    (tmp_path / "results.json").write_text("{}")  # a test's own input, not a run folder: left alone
"""


def test_the_fixture_fails_a_test_whose_run_breaks_the_schema(
    pytester: pytest.Pytester, mixed: tuple[int, Path]
) -> None:
    """tests/support/results_schema.py, as every test of this project gets it: a broken written run is an error."""
    good = results(mixed[1])
    # the small project gives way to the hooked tests
    (pytester.path / "sample.feature").unlink()
    (pytester.path / "pytest.ini").unlink()
    shutil.rmtree(pytester.path / "reports")
    pytester.makeconftest('pytest_plugins = ["tests.support.results_schema"]')
    pytester.makepyfile(test_hooked=f"GOOD = {good!r}\n" + HOOKED_TEST)
    res = pytester.runpytest_inprocess("-p", "no:randomly")
    res.assert_outcomes(passed=3, errors=1)
    res.stdout.fnmatch_lines(["*ERROR at teardown of test_writes_a_broken_run*",
                              "*results.json breaks results.schema.json*", "*$.counts*"])


# --- junit.xml: the JUnit schema of CI servers, and junitparser ----------------------------------


def junit_and_schema(folder: Path) -> tuple[etree.XMLSchema, etree._ElementTree]:
    """The run's junit.xml, parsed, and the Jenkins JUnit schema that judges it."""
    return etree.XMLSchema(etree.parse(str(XSD))), etree.parse(str(folder / "junit.xml"))


def test_junit_xml_is_valid_against_the_jenkins_junit_schema(mixed: tuple[int, Path]) -> None:
    schema, xml = junit_and_schema(mixed[1])
    assert schema.validate(xml), redact_text(str(schema.error_log))


def test_the_schema_refuses_what_jenkins_does_not_know(mixed: tuple[int, Path]) -> None:
    """The schema can fail: a testcase with properties (the old junit.xml's) is not valid."""
    schema, xml = junit_and_schema(mixed[1])
    etree.SubElement(xml.find(".//testcase"), "properties")
    assert not schema.validate(xml)


def test_junitparser_reads_the_gates_counts(mixed: tuple[int, Path]) -> None:
    rc, folder = mixed
    doc = results(folder)
    xml = JUnitXml.fromfile(str(folder / "junit.xml"))
    cases = [case for suite in xml for case in suite]
    kinds = {"passed": 0, "failed": 0, "skipped": 0}
    by_id: dict[str, Any] = {}
    for case in cases:
        by_id[case.name.split(":", 1)[0]] = case
        if case.is_passed:
            kinds["passed"] += 1
        elif case.is_skipped:
            kinds["skipped"] += 1
        else:
            kinds["failed"] += 1
    assert {"tests": len(cases), **kinds} == expected_counts(doc)
    assert sum(isinstance(r, Failure) for c in cases for r in c.result) == doc["counts"]["failed"]
    assert sum(isinstance(r, Error) for c in cases for r in c.result) == doc["counts"]["error"]
    # the suites' own counters agree with their test cases
    for suite in xml:
        declared = (suite.tests, suite.failures, suite.errors, suite.skipped)
        suite.update_statistics()
        assert (suite.tests, suite.failures, suite.errors, suite.skipped) == declared, suite.name
    waived = by_id["s-05"].result[0]
    assert isinstance(waived, Skipped) and waived.type == "waived"
    assert "lab-admins" in waived.message and "the widget is replaced this month" in waived.message
    not_applicable = by_id["s-03"].result[0]
    assert isinstance(not_applicable, Skipped) and "no widget on this host" in not_applicable.message
    assert isinstance(by_id["s-06"].result[0], Skipped) and "--destructive" in by_id["s-06"].result[0].message
    assert "claim s-05" in by_id["s-05"].system_out  # the claim's own record, where the schema allows it


def test_no_output_shows_the_planted_credential(mixed: tuple[int, Path]) -> None:
    folder = mixed[1]
    for name in ("results.json", "junit.xml", "cucumber.json"):
        text = (folder / name).read_text()
        assert SECRET not in text, name
    assert "password=[redacted]" in (folder / "junit.xml").read_text()


# --- cucumber.json: read by npm's cucumber-html-reporter -----------------------------------------


@pytest.fixture(scope="session")
def cucumber_reporter() -> Path:
    """npm's cucumber-html-reporter (tests/support/npm_tools.py)."""
    return npm_module("cucumber-html-reporter", REPORTER)


GENERATE = """\
const reporter = require(process.argv[2]);
reporter.generate({theme: 'bootstrap', jsonFile: process.argv[3], output: process.argv[4], name: 'labconform',
                   reportSuiteAsScenarios: true, launchReport: false});
"""
BOX = re.compile(r"<h4>(All|Passed|Failed|Skipped|Pending|Undefined|Ambiguous) Scenarios</h2>\s*</div>\s*"
                 r'<div class="feature-value">\s*<h5>\s*(\d+)\s*</h5>')


def reporter_counts(module: Path, cucumber_json: Path, workdir: Path) -> tuple[dict[str, int], str]:
    """Run the generator on a cucumber.json; the scenario counts its page shows, and the page."""
    script, page = workdir / "generate.js", workdir / "cucumber-report.html"
    script.write_text(GENERATE)
    p = subprocess.run(["node", str(script), str(module), str(cucumber_json), str(page)], cwd=workdir,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and page.is_file(), redact_text(f"the generator failed:\n{p.stdout}{p.stderr}")
    html = page.read_text()
    boxes = {name.lower(): int(n) for name, n in BOX.findall(html)}
    assert "all" in boxes and "passed" in boxes, "the generator's page no longer shows its counts as it did"
    return {"tests": boxes["all"], "passed": boxes["passed"], "failed": boxes.get("failed", 0),
            "skipped": boxes.get("skipped", 0)} | {k: v for k, v in boxes.items() if k in ("pending", "undefined",
                                                                                          "ambiguous")}, html


@pytest.mark.parametrize("which", ["mixed", "green"])
def test_cucumber_html_reporter_counts_what_the_gate_counts(
    which: str, request: pytest.FixtureRequest, cucumber_reporter: Path, tmp_path: Path
) -> None:
    rc, folder = request.getfixturevalue(which)
    doc = results(folder)
    counts, html = reporter_counts(cucumber_reporter, folder / "cucumber.json", tmp_path)
    assert counts == expected_counts(doc)
    if doc["gate"]["status"] == "passed":
        assert counts["failed"] == 0  # a green gate is a green dashboard
    for claim in doc["claims"]:  # every claim is listed, the one that never reached a step too
        assert claim["scenario"] in html, claim["id"]
    assert "destructive claim: changes the lab, runs only with --destructive" in html
    assert "waived until" in html and "lab-admins" in html


# --- cucumber.json: the scenario status of each verdict ------------------------------------------


def test_each_scenario_has_the_status_of_its_claims_verdict(mixed: tuple[int, Path]) -> None:
    doc = results(mixed[1])
    features = json.loads((mixed[1] / "cucumber.json").read_text())
    scenarios = {el["id"].split(";", 1)[1]: el for f in features for el in f["elements"]}
    status = {cid: scenario_status(el["steps"]) for cid, el in scenarios.items()}
    assert status == {"s-01": "passed", "s-02": "failed", "s-03": "skipped", "s-04": "failed", "s-05": "skipped",
                      "s-06": "skipped", "s-07[x]": "passed", "s-07[y]": "passed"}
    assert len(scenarios) == len(doc["claims"])
    # the waived claim's observed failure is there, as the reason of a skipped step, with the waiver
    waived = [st for st in scenarios["s-05"]["steps"] if "error_message" in st["result"]]
    assert [st["result"]["status"] for st in waived] == ["skipped"]
    assert "waived until" in waived[0]["result"]["error_message"]
    assert "expected 'off', found 'on'" in waived[0]["result"]["error_message"]
    # the claim that ended before any step: one `*` step saying so, with the reason
    (only,) = scenarios["s-06"]["steps"]
    assert only["keyword"] == "* " and only["result"]["status"] == "skipped"
    assert "--destructive" in only["result"]["error_message"]


