"""Provisioning: a plan that changes nothing with --check, converges when run, and changes nothing twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.provision import provision, provisioned, statuses

REPO = Path(__file__).resolve().parents[2]
CONTEXT = Path("/app/contexts/mytc")


@pytest.fixture
def broken_context():
    """Break the mytc build context for real (an edited JSP, a missing Dockerfile); restore it after."""
    jsp, dockerfile = CONTEXT / "ROOT/index.jsp", CONTEXT / "Dockerfile"
    saved = jsp.read_bytes(), dockerfile.read_bytes()
    jsp.write_text('<% out.println("edited by hand"); %>\n')
    dockerfile.unlink()
    yield
    jsp.write_bytes(saved[0])
    dockerfile.write_bytes(saved[1])


def test_check_plans_without_changing_anything(tmp_path, broken_context):
    plan, out = provisioned(tmp_path, "--check")
    assert statuses(plan)["mytc build context (ROOT/, ROOT.war, Dockerfile)"] == "would-change"
    assert "changed" not in statuses(plan).values()
    assert not (CONTEXT / "Dockerfile").exists()


def test_provisioning_converges_and_a_second_run_changes_nothing(tmp_path, broken_context):
    first, out = provisioned(tmp_path, "--only", "docker")
    assert statuses(first)["mytc build context (ROOT/, ROOT.war, Dockerfile)"] == "changed"
    assert (CONTEXT / "Dockerfile").exists()
    second, out = provisioned(tmp_path, "--only", "docker")
    assert set(statuses(second).values()) == {"unchanged"}, out


def test_a_stale_mytc_image_fails_its_claim_until_provisioned(suite, tmp_path):
    war = CONTEXT / "ROOT.war"
    original = war.read_bytes()
    war.write_bytes(original + b"\0")  # the context moved on; the image was not rebuilt
    try:
        run = suite("features/60_tomcat_with_root_war.feature", "-k", "id:mytc-02 or id:mytc-01")
        # the archive still holds the same two files (zip ignores trailing bytes); the image's copy differs
        assert run.verdicts() == {"mytc-01": "passed", "mytc-02": "failed"}
        assert "sha256" in run.claim("mytc-02")["reason"]
    finally:
        rc, plan, out = provision(tmp_path, "--only", "docker")
    assert rc == 0, out
    assert war.read_bytes() == original
    run = suite("features/60_tomcat_with_root_war.feature", "-k", "id:mytc-02 or id:mytc-01")
    assert run.verdicts() == {"mytc-01": "passed", "mytc-02": "passed"}


