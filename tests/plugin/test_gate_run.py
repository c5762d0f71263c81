"""The gate in real runs of the plugin: a small suite of claims over a file the test controls.

Breaking the "lab" is writing a wrong value into that file; each run is a real pytest run with
`-p labconform.run.plugin`, so exit status, terminal summary and the files under reports/ are the
ones a user gets.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from labconform.results.document import load

pytest_plugins = ["pytester"]

STEPS = '''
import json
from pathlib import Path

from pytest_bdd import given, parsers, then

STATE = Path(__file__).parent / "lab-state.json"


@given("the small lab")
def _():
    pass


@then(parsers.parse('the setting "{name}" is "{value}"'))
def _(evidence, name, value):
    found = json.loads(STATE.read_text()).get(name)
    evidence.equal(f"setting {name}", expected=value, found=found, how=f"read {STATE.name}",
                   samples_ms=[12.5, 11.0, 30.2])


@then("the environment of the service is recorded")
def _(evidence):
    env = json.loads(STATE.read_text()).get("env", "")
    evidence.note("service environment", env, "cat /proc/<pid>/environ", output=env)


@then("the probe cannot be run")
def _(evidence):
    if json.loads(STATE.read_text()).get("probe") == "broken":
        raise RuntimeError("probe binary missing")
    evidence.note("probe", "ran", "probe --once")
'''

FEATURE = '''@section:small
Feature: A small lab
  Settings the document asks for.

  Background:
    Given the small lab

  @id:s-01 @impact:high
  Scenario: the engine is enabled
    The engine must run.
    Then the setting "engine" is "on"

  @id:s-02 @impact:low
  Scenario: the banner is friendly
    Then the setting "banner" is "hello"

  @id:s-03 @impact:medium
  Scenario: the service environment is on record
    Then the environment of the service is recorded

  @id:s-04 @impact:low
  Scenario: the probe runs
    Then the probe cannot be run
'''

GOOD = {"engine": "on", "banner": "hello", "env": "PATH=/usr/bin\nLANG=C", "probe": "ok"}


class Lab:
    """A pytester project that is the lab: its state file is what the claims read."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.p = pytester
        pytester.makeini("[pytest]\naddopts = -p labconform.run.plugin -p no:cacheprovider\nmarkers =\n"
                         "    id(value): claim id\n    impact(value): impact\n    section(value): section\n")
        pytester.makeconftest(STEPS)
        (pytester.path / "features").mkdir()
        (pytester.path / "features" / "10_small.feature").write_text(FEATURE)
        self.set(**GOOD)

    def set(self, **state: str) -> None:
        path = self.p.path / "lab-state.json"
        current = json.loads(path.read_text()) if path.exists() else {}
        current.update(state)
        path.write_text(json.dumps(current))

    def run(self, name: str, *args: str) -> pytest.RunResult:
        return self.p.runpytest("features/", "--run-name", name, *args)

    def results(self, name: str) -> dict:
        return load(self.p.path / "reports" / name)

    def waivers(self, text: str) -> str:
        path = self.p.path / "waivers.yaml"
        path.write_text(text)
        return str(path)


@pytest.fixture
def lab(pytester: pytest.Pytester) -> Lab:
    return Lab(pytester)


def waiver(cid: str, expires: dt.date) -> str:
    return f"- id: {cid}\n  justification: the engine is off while the disk is replaced\n" \
           f"  approver: lab-admins\n  expires: {expires.isoformat()}\n"


def test_a_good_run_passes_and_writes_every_output(lab: Lab) -> None:
    r = lab.run("good")
    assert r.ret == 0
    folder = lab.p.path / "reports" / "good"
    assert {p.name for p in folder.iterdir()} >= {"results.json", "index.html", "junit.xml", "cucumber.json"}
    assert (lab.p.path / "reports" / "latest").resolve() == folder.resolve()
    doc = lab.results("good")
    assert doc["gate"]["status"] == "passed" and doc["run"]["exit_status"] == 0
    assert [s["status"] for s in doc["claims"][0]["steps"]] == ["passed", "passed"]
    r.stdout.fnmatch_lines(["*gate: passed*", "report: reports/good/index.html"])


def test_a_broken_claim_against_a_good_baseline_fails_the_gate(lab: Lab) -> None:
    assert lab.run("good").ret == 0
    lab.set(engine="off")
    r = lab.run("broken", "--baseline", "reports/good")
    assert r.ret == 1
    r.stdout.fnmatch_lines([
        "*against baseline reports/good (good): 1 regressed, 3 unchanged*",
        "*REGRESSED s-01 (passed -> failed): *setting engine: expected 'on', found 'off'*",
        "*gate: FAILED: 1 regression(s) against the baseline reports/good: s-01*",
    ])
    doc = lab.results("broken")
    assert doc["gate"]["regressions"] == ["s-01"] and doc["run"]["exit_status"] == 1
    assert doc["baseline"]["groups"]["regressed"] == ["s-01"]
    s01 = next(c for c in doc["claims"] if c["id"] == "s-01")
    assert s01["change"] == {"change": "regressed", "was": "passed"}
    assert [s["status"] for s in s01["steps"]] == ["passed", "failed"]


def test_a_run_after_a_broken_one_shows_the_fixed_claims(lab: Lab) -> None:
    lab.set(engine="off", banner="go away")
    assert lab.run("broken").ret == 1
    lab.set(**GOOD)
    r = lab.run("repaired", "--baseline", "reports/broken/results.json")
    assert r.ret == 0
    r.stdout.fnmatch_lines(["*2 fixed, 2 unchanged*", "*fixed     s-01*", "*fixed     s-02*"])
    assert lab.results("repaired")["baseline"]["groups"]["fixed"] == ["s-01", "s-02"]


def test_a_waived_failure_passes_until_its_expiry_date(lab: Lab) -> None:
    lab.set(engine="off")
    today = dt.date.today()
    future = lab.waivers(waiver("s-01", today + dt.timedelta(days=30)) + waiver("s-02", today + dt.timedelta(days=9)))
    r = lab.run("waived", "--waivers", future)
    assert r.ret == 0
    r.stdout.fnmatch_lines(["*1 waived*", "*WAIVED s-01 until*", "*gate: passed*"])
    doc = lab.results("waived")
    s01 = next(c for c in doc["claims"] if c["id"] == "s-01")
    assert s01["verdict"] == "waived" and s01["waiver"]["expired"] is False
    assert [w["id"] for w in doc["gate"]["waivers"]["applied"]] == ["s-01"]
    assert [w["id"] for w in doc["gate"]["waivers"]["unused"]] == ["s-02"]  # s-02 passed: not needed

    for expiry, name in ((today - dt.timedelta(days=1), "expired"), (today, "expires-today")):
        past = lab.waivers(waiver("s-01", expiry))
        r = lab.run(name, "--waivers", past)
        assert r.ret == 1, name
        r.stdout.fnmatch_lines([f"*EXPIRED WAIVER s-01 expired {expiry.isoformat()}*"])
        doc = lab.results(name)
        assert next(c for c in doc["claims"] if c["id"] == "s-01")["verdict"] == "failed"
        assert [w["id"] for w in doc["gate"]["waivers"]["expired"]] == ["s-01"]


def test_a_waiver_does_not_hide_a_regression_from_the_diff(lab: Lab) -> None:
    assert lab.run("good").ret == 0
    lab.set(engine="off")
    w = lab.waivers(waiver("s-01", dt.date.today() + dt.timedelta(days=3)))
    r = lab.run("waived", "--baseline", "reports/good", "--waivers", w)
    assert r.ret == 0
    gate = lab.results("waived")["gate"]
    assert gate["regressions"] == [] and gate["waived_regressions"] == ["s-01"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- id: s-99\n  justification: j\n  approver: a\n  expires: 2099-01-01\n",
         "*waivers.yaml:1: waiver for unknown claim id 's-99'*"),
        ("- id: s-01\n  justification: j\n  expires: 2099-01-01\n",
         "*waivers.yaml:1: waiver 's-01': missing field(s) approver*"),
        ("- id: s-01\n  justification: [unclosed\n", "*waivers.yaml:3: not valid YAML*"),
    ],
)
def test_a_bad_waiver_file_is_a_usage_error_before_anything_runs(lab: Lab, text: str, message: str) -> None:
    r = lab.run("never", "--waivers", lab.waivers(text))
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines([message])
    assert not (lab.p.path / "reports" / "never").exists()


def test_a_missing_baseline_is_a_usage_error(lab: Lab) -> None:
    r = lab.run("never", "--baseline", "reports/nothing-here")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines(["*--baseline reports/nothing-here: no results.json there*"])


def test_the_impact_threshold(lab: Lab) -> None:
    lab.set(banner="go away")  # s-02 is of low impact
    assert lab.run("any").ret == 1
    r = lab.run("high-only", "--fail-on-impact", "high")
    assert r.ret == 0
    r.stdout.fnmatch_lines(["*below --fail-on-impact high, not failing the run: s-02*"])
    lab.set(engine="off")  # s-01 is of high impact
    r = lab.run("high-broken", "--fail-on-impact", "high")
    assert r.ret == 1
    r.stdout.fnmatch_lines(["*1 failed claim(s) of impact high or above: s-01*"])


def test_an_error_fails_the_run_whatever_the_threshold(lab: Lab) -> None:
    lab.set(probe="broken")
    r = lab.run("error", "--fail-on-impact", "high")
    assert r.ret == 1
    doc = lab.results("error")
    assert next(c for c in doc["claims"] if c["id"] == "s-04")["verdict"] == "error"
    assert "could not be evaluated" in doc["gate"]["reasons"][0]


def test_a_failing_test_that_is_not_a_claim_still_fails_the_run(lab: Lab) -> None:
    lab.p.makepyfile(test_plain="def test_plain():\n    assert 1 == 2\n")
    r = lab.p.runpytest("features/", "test_plain.py", "--run-name", "mixed")
    assert r.ret == 1
    assert lab.results("mixed")["gate"]["reasons"] == ["1 test(s) that are not claims failed"]


def test_old_runs_are_pruned_beyond_keep_runs_but_never_the_baseline(lab: Lab) -> None:
    for i in range(4):
        assert lab.run(f"run{i}", "--keep-runs", "10").ret == 0
    r = lab.run("run4", "--keep-runs", "2", "--baseline", "reports/run0")
    assert r.ret == 0
    left = sorted(p.name for p in (lab.p.path / "reports").iterdir() if not p.name.startswith((".", "latest")))
    assert left == ["run0", "run3", "run4"]
    r.stdout.fnmatch_lines(["*removed 2 old run folder(s) beyond --keep-runs: *"])


def test_secrets_never_reach_any_output(lab: Lab) -> None:
    kubeconfig = ("users:\n- name: admin\n  user:\n    client-key-data: S0VZLU1BVEVSSUFMLVNFQ1JFVA==\n"
                  "    token: abcdef.0123456789abcdef\n")
    lab.set(env=f"PATH=/usr/bin\nDB_PASSWORD=hunter2-secret\nKUBECONFIG_TEXT={kubeconfig}", banner="go away")
    lab.run("secrets")
    folder = lab.p.path / "reports" / "secrets"
    for name in ("results.json", "index.html", "junit.xml", "cucumber.json"):
        text = (folder / name).read_text()
        for secret in ("hunter2-secret", "S0VZLU1BVEVSSUFMLVNFQ1JFVA==", "0123456789abcdef"):
            assert secret not in text, f"{secret} in {name}"
        assert "DB_PASSWORD=[redacted]" in text, name
    assert Path(folder / "index.html").read_text().count("[redacted]") >= 2
