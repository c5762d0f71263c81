"""A small project of claims made with pytester, run with the plugin, and what it wrote."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

# the sample's heading and first claim, and the table of its last (test_exports' sample begins and ends so too)
HEAD = """\
@section:sample
Feature: Sample section

  @id:s-01 @impact:high
  Scenario: a claim that holds
    Why it matters.
    Then the value "a" is "a"
"""


PER_ROW = """\
    Then the value "<v>" is "<v>"

    Examples:
      | v |
      | x |
      | y |
"""


STEPS = """\
from pytest_bdd import given, parsers, then

@then(parsers.parse('the value "{a}" is "{b}"'))
def _(evidence, a, b):
    evidence.equal("value", expected=b, found=a, how="comparison")

@given("the host has no widget")
def _(evidence):
    evidence.not_applicable("no widget on this host")

@then("the probe crashes")
def _(evidence):
    raise RuntimeError("probe exploded")

@then("nothing is recorded")
def _():
    pass
"""


INI = """\
[pytest]
addopts = --strict-markers -p labconform.run.plugin
markers =
    active: a
    destructive: d
    id(value): i
    impact(value): i
    section(value): s
"""


def make_project(pytester: pytest.Pytester, feature: str, steps: str, name: str = "sample") -> pytest.Pytester:
    """A small project: `name`.feature, its steps as conftest.py, the plugin's pytest.ini."""
    pytester.makefile(".feature", **{name: feature})
    pytester.makeconftest(steps)
    pytester.makefile(".ini", pytest=INI)
    return pytester


FEATURE = HEAD + """
  @id:s-02 @impact:low
  Scenario: a claim that does not hold
    Then the value "a" is "b"

  @id:s-03 @impact:medium
  Scenario: a claim that does not apply here
    Given the host has no widget
    Then the value "a" is "a"

  @id:s-04 @impact:high
  Scenario: a claim whose step breaks
    Then the probe crashes

  @id:s-05 @impact:medium
  Scenario: a deviation under a waiver
    Given the host is up
    Then the value "on" is "off"

  @id:s-06 @impact:low @destructive
  Scenario: a claim that changes the lab
    Then the value "a" is "a"

  @id:s-07 @impact:low
  Scenario Outline: a claim per row
""" + PER_ROW


# the plugin test's steps and pytest.ini, and a Given that passes before the waived failure
EXPORT_STEPS = STEPS + """
@given("the host is up")
def _():
    pass
"""


# the waiver's justification holds a planted credential: no output may show it
SECRET = "pw-planted-w41v3r"


WAIVERS = """\
- id: s-05
  justification: the widget is replaced this month, password={secret}
  approver: lab-admins
  expires: {expires}
"""


def run_project(pytester: pytest.Pytester, *args: str) -> tuple[int, Path]:
    """Run the small project once; its exit status and its run folder."""
    make_project(pytester, FEATURE, EXPORT_STEPS)
    expires = dt.date.today() + dt.timedelta(days=30)
    waivers = pytester.path / "waivers.yaml"
    waivers.write_text(WAIVERS.format(secret=SECRET, expires=expires.isoformat()))
    res = pytester.runpytest_subprocess("sample.feature", "--waivers", str(waivers), *args)
    return res.ret, (pytester.path / "reports" / "latest").resolve()


def results(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "results.json").read_text())


def expected_counts(doc: dict[str, Any]) -> dict[str, int]:
    """The gate's counts in the terms every test-report format shares."""
    c = doc["counts"]
    return {"tests": len(doc["claims"]), "passed": c["passed"], "failed": c["failed"] + c["error"],
            "skipped": c["not_applicable"] + c["waived"]}
