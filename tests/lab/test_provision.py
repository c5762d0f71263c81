"""Provisioning: a plan that changes nothing with --check, converges when run, and changes nothing twice."""

from __future__ import annotations

from pathlib import Path

from tests.support.provision import provision, provisioned, statuses

REPO = Path(__file__).resolve().parents[2]


def test_the_whole_provisioned_lab_needs_no_step(tmp_path):
    """After provisioning (scripts/test.sh provisions before the tests), every step of every part holds."""
    plan, out = provisioned(tmp_path, "--check")
    assert {s["section"] for s in plan["steps"]} == {"host", "docker", "kubernetes"}
    assert set(statuses(plan).values()) == {"unchanged"}, out


def test_only_refuses_an_unknown_part(tmp_path):
    rc, plan, out = provision(tmp_path, "--check", "--only", "dockr")
    assert rc == 2 and "unknown part(s) dockr" in out


def test_every_step_names_the_claims_it_makes_true(tmp_path):
    plan, out = provisioned(tmp_path, "--check")
    claimed = {c for s in plan["steps"] for c in s["claims"]}
    for claim in ("docker-01", "docker-02", "docker-03", "docker-04", "hello-01", "mytc-01", "mytc-02", "tomcat-01"):
        assert claim in claimed


