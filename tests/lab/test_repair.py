"""Repair by claim (`python -m provision --claims`): ids checked before anything runs, the steps a
claim's repair walks, a real repair on this machine, and the report's repair line under a failed claim."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.repair import repair

REPO = Path(__file__).resolve().parents[2]


# --- the ids, checked before anything runs ---------------------------------------------------------


# --- which steps a repair walks (recorded Rocky 8.4 host) ------------------------------------------


# --- the check afterwards ----------------------------------------------------------------------------


# --- the report's repair line ------------------------------------------------------------------------


# --- a real repair on this machine -------------------------------------------------------------------


def test_a_claim_no_step_owns_is_only_checked_and_its_verdict_decides(tmp_path):
    """k8s-flannel-01 on this Debian lab: no step owns it (the bridge CNI stands in for Flannel), so
    nothing is run; it fails, exit 1, unless the lab's waiver file is given, when it is waived, exit 0."""
    if "ID=debian" not in Path("/etc/os-release").read_text():
        pytest.skip("the offline Debian lab's claim")
    rc, record, said = repair(tmp_path, "--claims", "k8s-flannel-01")
    assert "k8s-flannel-01: no provisioning step owns this claim" in said
    assert record["steps"] == [] and record["claims"] == {"k8s-flannel-01": "failed"}, said
    assert rc == 1 and re.search(r"failed  k8s-flannel-01: .*no Flannel DaemonSet", said), said
    waivers = REPO / "labs" / "debian-offline" / "waivers.yaml"
    rc, record, said = repair(tmp_path, "--claims", "k8s-flannel-01", "--waivers", str(waivers))
    assert record["claims"] == {"k8s-flannel-01": "waived"} and rc == 0, said


def test_a_destructive_claim_is_not_checked_and_does_not_count_as_holding(tmp_path):
    """k8s-clean-01 (the document's clean-up) is skipped by a run without --destructive: asked for, it
    is said not checked, and the run exits 1; nothing is walked, no step owns it."""
    rc, record, said = repair(tmp_path, "--claims", "k8s-clean-01")
    assert record["steps"] == [] and record["claims"] == {"k8s-clean-01": "not_checked"}, said
    assert rc == 1 and "not_checked  k8s-clean-01: a destructive claim changes the lab" in said


