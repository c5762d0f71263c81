"""The package repositories the document adds (docker-08, k8s-inst-06) and its SELinux settings (docker-09,
k8s-prep-08): the parsing and judging on real-shaped files, the RHEL provisioning steps planned from recorded
facts, and docker-08 run for real on this machine with an apt source written for the test and removed."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from labconform.host import repos
from labconform.transport.target import Target
from tests.support.repos import DOCKER_LIST

# --- RHEL family --------------------------------------------------------------------------------------


# --- Debian family ------------------------------------------------------------------------------------


# --- SELinux: what its tools print ------------------------------------------------------------------


# --- the RHEL provisioning steps, planned from the recorded Rocky 8.4 host ------------------------------


# --- docker-08 for real on this machine: an apt source for download.docker.com, then none -------------


def run_claim(suite, claim_id: str) -> tuple[str, dict]:
    run = suite("features/40_docker_ce.feature", "-k", f"id:{claim_id}", timeout=120)
    c = run.claim(claim_id)
    return c["verdict"], next(o for o in c["evidence"] if o["what"] == "Docker CE repository")


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.isdir(repos.APT_DIR), reason="needs root and apt's sources")
def test_docker_08_passes_with_an_apt_source_for_docker_and_fails_once_it_is_removed(suite):
    path = Path(repos.APT_DIR) / f"labconform-test-{uuid.uuid4().hex[:12]}.list"
    try:
        path.write_text(DOCKER_LIST)
        verdict, observed = run_claim(suite, "docker-08")
        assert verdict == "passed", observed
        assert observed["found"] == {f"{path} [line 1]": "as expected"}
        assert repos.judged_repository(Target("local"), "Docker CE").ok
    finally:
        path.unlink(missing_ok=True)
    verdict, observed = run_claim(suite, "docker-08")
    assert verdict == "failed" and str(path) not in json.dumps(observed)
    assert observed["found"].startswith("none among")
