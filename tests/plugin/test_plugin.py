"""The plugin on small projects of its own (pytester): collection, step binding, tags, verdicts."""

from __future__ import annotations

import json

import pytest

from tests.support.sample_project import HEAD, PER_ROW, STEPS, make_project

FEATURE = HEAD + """
  @id:s-02 @impact:low
  Scenario: a claim that does not hold
    Why it matters.
    Then the value "a" is "b"

  @id:s-03 @impact:medium @active
  Scenario: a claim that does not apply here
    Why it matters.
    Given the host has no widget

  @id:s-04 @impact:high
  Scenario: a claim whose step breaks
    Why it matters.
    Then the probe crashes

  @id:s-05 @impact:low
  Scenario: a claim that records nothing
    Why it matters.
    Then nothing is recorded

  @id:s-06 @impact:medium
  Scenario Outline: a claim per row
    Why it matters.
""" + PER_ROW


@pytest.fixture
def project(pytester):
    return make_project(pytester, FEATURE, STEPS)


def results(pytester) -> dict:
    return json.loads((pytester.path / "reports" / "latest" / "results.json").read_text())


def test_feature_files_are_collected_and_bound_to_steps(project):
    res = project.runpytest_subprocess("sample.feature", "--collect-only", "-q")
    assert "7 tests collected" in res.stdout.str()


def test_verdicts_and_evidence_in_results_json(project):
    res = project.runpytest_subprocess("sample.feature")
    assert res.ret == 1
    doc = results(project)
    assert doc["schema"] == "labconform.results" and doc["schema_version"] == 1
    verdicts = {c["id"]: c["verdict"] for c in doc["claims"]}
    assert verdicts == {
        "s-01": "passed",
        "s-02": "failed",
        "s-03": "not_applicable",
        "s-04": "error",
        "s-05": "error",
        "s-06[x]": "passed",
        "s-06[y]": "passed",
    }
    claims = {c["id"]: c for c in doc["claims"]}
    assert claims["s-02"]["evidence"][0] == {
        "what": "value",
        "expected": "b",
        "found": "a",
        "how": "comparison",
        "ok": False,
    }
    assert "expected 'b', found 'a'" in claims["s-02"]["reason"]
    assert claims["s-03"]["reason"] == "no widget on this host"
    assert "probe exploded" in claims["s-04"]["reason"]
    assert "without recording any evidence" in claims["s-05"]["reason"]
    assert claims["s-03"]["mode"] == "active" and claims["s-01"]["impact"] == "high"
    assert claims["s-01"]["feature"] == "Sample section"
    assert doc["counts"] == {"passed": 3, "failed": 1, "not_applicable": 1, "waived": 0, "error": 2}


def test_marker_selection_by_tag_value(project):
    res = project.runpytest_subprocess("sample.feature", "-m", "impact(value='high')")
    assert {c["id"] for c in results(project)["claims"]} == {"s-01", "s-04"}
    res.assert_outcomes(passed=1, failed=1, deselected=5)


def test_plain_tag_marker_selection(project):
    project.runpytest_subprocess("sample.feature", "-m", "active")
    assert [c["id"] for c in results(project)["claims"]] == ["s-03"]


def test_keyword_selection_by_tag_as_written(project):
    project.runpytest_subprocess("sample.feature", "-k", "id:s-02 or id:s-05")
    assert sorted(c["id"] for c in results(project)["claims"]) == ["s-02", "s-05"]


def test_an_unregistered_tag_is_refused(project):
    project.makefile(
        ".feature", extra='@id:e-01 @impact:high @unheard\nFeature: E\n  Scenario: e\n    Then the value "a" is "a"\n'
    )
    res = project.runpytest_subprocess("extra.feature")
    assert res.ret != 0
    assert "'unheard' not found in `markers`" in res.stdout.str() + res.stderr.str()


@pytest.mark.parametrize("name", ["../outside", "a b", "-x", "x" * 64, "ünï"])
def test_a_run_name_that_cannot_name_containers_and_folders_is_refused(project, name):
    res = project.runpytest_subprocess("sample.feature", f"--run-name={name}")
    assert res.ret == 4
    assert "--run-name" in res.stderr.str() and not (project.path / "outside").exists()


SECRET_FEATURE = """\
Feature: Secrets

  @id:x-01 @impact:high
  Scenario: a failed claim whose found value holds a token
    Then the kubeconfig holds no token

  @id:x-02 @impact:high
  Scenario: a probe that breaks with a password in its message and prints a bearer token
    Then the probe breaks with a password
"""

SECRET_STEPS = """\
from pytest_bdd import then

@then("the kubeconfig holds no token")
def _(evidence):
    found = "users:\\n- name: admin\\n  user:\\n    token: kT0ken-planted-0123456789\\n"
    evidence.equal("admin.conf", expected="no token", found=found, how="cat /etc/kubernetes/admin.conf")

@then("the probe breaks with a password")
def _():
    print("Authorization: Bearer pr1nted-planted-bearer")
    raise RuntimeError("login refused: password=pw-planted-hunter2")
"""


def test_a_secret_in_a_failed_claim_is_redacted_in_pytests_output(pytester):
    """The FAILURES section, the short summary and the captured output reach the CI log: no secret in them."""
    make_project(pytester, SECRET_FEATURE, SECRET_STEPS, name="planted")
    res = pytester.runpytest_subprocess("planted.feature", "-rA", "-l")
    out = res.stdout.str() + res.stderr.str()
    assert res.ret == 1 and "= FAILURES =" in out and "Captured stdout call" in out
    for secret in ("kT0ken-planted", "pr1nted-planted", "pw-planted"):
        assert secret not in out
    assert "token: [redacted]" in out and "password=[redacted]" in out and "Authorization: [redacted]" in out
    claims = {c["id"]: c for c in results(pytester)["claims"]}
    assert claims["x-01"]["verdict"] == "failed" and claims["x-02"]["verdict"] == "error"
    assert "kT0ken-planted" not in json.dumps(claims)


AHEAD_STEPS = """\
import json

import pytest
from pytest_bdd import parsers, then
from labconform.run import preparation

MADE, FIRST = [], []
preparation.declare("sample_ready", 'the value "a" is "a"', parsers.parse('the value "{v}" is "x"'))
preparation.declare("sample_first", 'the value "y" is "y"', first=True)

@pytest.fixture(scope="session")
def sample_ready(ahead_steps):
    MADE.append(ahead_steps("sample_ready"))

@pytest.fixture(scope="session")
def sample_first():
    FIRST.append("set up")

@then(parsers.parse('the value "{a}" is "{b}"'))
def _(evidence, a, b):
    evidence.note("prepared", json.dumps({"made": MADE, "first": FIRST}), "the sample's module state")
"""


def prepared_seen(project) -> dict[str, dict]:
    """What each claim's step saw prepared when it ran, by claim id."""
    return {c["id"]: json.loads(c["evidence"][0]["found"]) for c in results(project)["claims"]}


def test_a_preparation_is_set_up_once_before_the_first_claim_that_needs_it(project):
    """Declared by step texts (an Outline's rows filled in), set up before the claim's steps without a step
    asking for it, with the arguments of every selected claim's matching steps; `first`: at the run's first claim."""
    project.makeconftest(AHEAD_STEPS)
    project.runpytest_subprocess("sample.feature", "-k", "id:s-02 or id:s-06")
    seen = prepared_seen(project)
    assert seen["s-02"] == {"made": [], "first": ["set up"]}
    assert seen["s-06[x]"] == seen["s-06[y]"] == {"made": [[{"v": "x"}]], "first": ["set up"]}
    project.runpytest_subprocess("sample.feature", "-k", "id:s-01 or id:s-06")
    assert prepared_seen(project)["s-01"] == {"made": [[{}, {"v": "x"}]], "first": ["set up"]}
    project.runpytest_subprocess("sample.feature", "-k", "id:s-02")
    assert prepared_seen(project) == {"s-02": {"made": [], "first": []}}
