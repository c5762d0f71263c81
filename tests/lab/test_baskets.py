"""One basket: pull policies as Kubernetes defaults them, the manifest claim on real files, the
registry-mirror step planned (never applied to the shared daemon), and a plan with no network."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from provision.kubernetes.app import CLUSTER_YAML as DOCUMENT_MANIFEST
from tests.support.baskets import plan
from tests.support.trust import run_claims

TOP = Path(__file__).resolve().parents[2]


def test_a_manifest_without_a_pull_policy_fails_the_claim(tmp_path: Path) -> None:
    """Without imagePullPolicy an untagged image is pulled Always: with no registry, the pods never start."""
    bad, good = tmp_path / "bad.yaml", tmp_path / "good.yaml"
    bad.write_text(DOCUMENT_MANIFEST.replace("          imagePullPolicy: IfNotPresent\n", ""))
    good.write_text(DOCUMENT_MANIFEST)
    # with a cluster here, the claim reads its Deployments too: hw-deploy's policy is the document's (baskets-03
    # in the main suite), so the manifest decides
    verdicts = run_claims(tmp_path / "bad", {"deployment_manifest": str(bad)},
                          "features/94_eggs_and_baskets.feature", "-k", "baskets-03")
    assert verdicts["baskets-03"]["verdict"] == "failed"
    assert "hw-contain" in verdicts["baskets-03"]["reason"]
    verdicts = run_claims(tmp_path / "good", {"deployment_manifest": str(good)},
                          "features/94_eggs_and_baskets.feature", "-k", "baskets-03")
    assert verdicts["baskets-03"]["verdict"] == "passed"


def test_a_declared_mirror_the_daemon_lacks_fails_the_claim(tmp_path: Path) -> None:
    verdicts = run_claims(tmp_path, {"registry_mirrors": ["https://mirror.lab.invalid"]},
                          "features/94_eggs_and_baskets.feature", "-k", "baskets-04")
    assert verdicts["baskets-04"]["verdict"] == "failed"


@pytest.mark.skipif(shutil.which("unshare") is None, reason="no unshare(1) on this machine")
def test_the_plan_runs_with_no_network_at_all(tmp_path: Path) -> None:
    """In a network namespace with nothing but a down loopback, no registry (nor anything else) answers:
    every step still reads the lab and decides, none fails."""
    steps = plan(tmp_path, prefix=("unshare", "--net"))
    failed = {k: v["detail"] for k, v in steps.items() if v["status"] == "failed"}
    assert steps and not failed
