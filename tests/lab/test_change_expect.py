"""A test-first change (`change --expect`) for real on this machine: a claim of the lab's own, in a feature
folder outside features/, that a local package is not installed; the package built here and installed, the
change `dpkg --purge` of it accepted, a change that does nothing rejected naming the claim, and a change whose
claim already holds not made. The package is purged in a `finally`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.change import change, lease_given_back, needs_bridge

PACKAGE = "lc-expect-test"
FEATURE = f"""@section:own
Feature: The lab's own claims
  @id:own-01 @impact:medium
  Scenario: The test-first package is not on the host
    Given the lab host
    Then the package "{PACKAGE}" is not installed
"""

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("dpkg-deb"), reason="needs root and dpkg")


def installed() -> bool:
    q = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", PACKAGE], capture_output=True, text=True)
    return q.returncode == 0 and q.stdout.endswith(" installed")


@pytest.fixture
def own(tmp_path: Path) -> Path:
    """The lab's own feature folder, outside the checkout."""
    folder = tmp_path / "labs" / "mine" / "features"
    folder.mkdir(parents=True)
    (folder / "own.feature").write_text(FEATURE)
    return folder


@pytest.fixture
def package(tmp_path: Path):
    """PACKAGE installed from a .deb built here; purged whatever the test did."""
    build = tmp_path / "deb" / "DEBIAN"
    build.mkdir(parents=True)
    (build / "control").write_text(f"Package: {PACKAGE}\nVersion: 1\nArchitecture: all\n"
                                   "Maintainer: labconform <root@localhost>\nDescription: a test-first change's\n")
    deb = tmp_path / f"{PACKAGE}_1_all.deb"
    try:
        subprocess.run(["dpkg-deb", "-b", str(build.parent), str(deb)], check=True, capture_output=True)
        subprocess.run(["dpkg", "-i", str(deb)], check=True, capture_output=True)
        assert installed()
        yield PACKAGE
    finally:
        subprocess.run(["dpkg", "--purge", PACKAGE], capture_output=True)
        assert not installed()


@needs_bridge
def test_the_change_that_makes_its_claim_true_is_accepted(tmp_path, own, package):
    """Alongside features/ (the bridge claim: everything else must not regress)."""
    rc, record, said = change(tmp_path, "--run", f"dpkg --purge {package}", "--expect", "own-01",
                              "features/80_preparing_k8s.feature", str(own), "-k", "k8s-prep-01 or own-01")
    assert rc == 0, said
    assert record["expected"] == {"own-01": {"before": "failed", "after": "passed", "held": True}}, record
    assert record["phases"]["before"]["gate"] == "failed" and record["phases"]["before"]["ok"], record["phases"]
    assert record["phases"]["after"]["counts"]["passed"] == 2, record["phases"]["after"]
    assert "expect own-01: failed before, passed after: held" in said, said
    page = (tmp_path / "changes" / record["id"] / "index.html").read_text()
    assert "expected claims (--expect)" in page and "<td>own-01</td><td>failed</td><td>passed</td>" in page
    assert not installed() and lease_given_back(record)


def test_a_change_that_does_not_make_its_claim_true_is_rejected(tmp_path, own, package):
    """The lab's own folder alone (pytest is given the checkout as its rootdir and its conftest.py)."""
    rc, record, said = change(tmp_path, "--run", "true", "--expect", "own-01", str(own))
    assert rc == 3, said  # rejected, and the lab passes what it passed before
    assert record["decision"] == "rejected", record
    assert record["reasons"][0] == "own-01 was expected to pass after the change: failed", record["reasons"]
    assert record["expected"]["own-01"] == {"before": "failed", "after": "failed", "held": False}
    assert "expect own-01: failed before, failed after: NOT held" in said, said
    assert installed() and lease_given_back(record)


def test_a_change_whose_claim_already_holds_is_not_made(tmp_path, own):
    assert not installed()
    made = tmp_path / "made"
    rc, record, said = change(tmp_path, "--run", f"touch {made}", "--expect", "own-01", str(own))
    assert rc == 8, said
    assert record["outcome"] == "not made: an expected claim already passes", record
    assert "change" not in record["phases"] and not made.exists(), record["phases"]
    assert "own-01 passes before the change" in record["reasons"][0], record["reasons"]
    assert lease_given_back(record)
