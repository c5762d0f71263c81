"""The lab's lease, on this machine and over SSH: one holder, bounded waits, dead holders expire."""

from __future__ import annotations

from pathlib import Path

from labconform.lease import LEASE_ENV, LeaseKeeper
from labconform.transport.target import Target
from tests.support.lease import (
    lease_path,  # noqa: F401 - the fixture
    target,  # noqa: F401 - the fixture
)
from tests.support.sample_project import make_project

DESTRUCTIVE = """\
@section:sample
Feature: Sample

  @id:d-01 @impact:low
  Scenario: a passive claim
    Then the lab is read

  @id:d-02 @impact:low @destructive
  Scenario: a claim that changes the lab
    Then the lab is changed
"""

STEPS = """\
import os
from pytest_bdd import then

@then("the lab is read")
def _(evidence):
    evidence.equal("read", expected=1, found=1, how="nothing")

@then("the lab is changed")
def _(evidence):
    text = open(os.environ["LABCONFORM_LEASE_FILE"]).read()
    evidence.check("run=" in text, "lease", expected="held", found=text, how="read the lease")
"""


def test_destructive_claims_take_the_lease_and_fail_when_it_is_held(pytester, monkeypatch, lease_path):
    monkeypatch.setenv(LEASE_ENV, lease_path)
    make_project(pytester, DESTRUCTIVE, STEPS)
    free = pytester.runpytest("--destructive", "--run-name", "lc-lease-free")
    assert free.ret == 0, free.stdout.str()
    assert not Path(lease_path).exists() or "lc-lease-free" not in Path(lease_path).read_text()  # given back
    with LeaseKeeper(Target("local"), "run-holder", "maintenance", path=lease_path) as holder:
        holder.acquire()
        held = pytester.runpytest("--destructive", "--run-name", "lc-lease-held")
    data = __import__("json").loads(next(pytester.path.glob("reports/lc-lease-held/results.json")).read_text())
    seen = data["run"]["target"]["lease"]  # who held the lab while the run looked at it
    assert seen["run"] == "run-holder" and seen["purpose"] == "maintenance" and "token" not in seen
    verdicts = {c["id"]: (c["verdict"], c["reason"]) for c in data["claims"]}
    assert verdicts["d-01"][0] == "passed"
    assert verdicts["d-02"][0] == "error" and "run-holder" in verdicts["d-02"][1], verdicts
    assert held.ret == 1


