"""One basket: pull policies as Kubernetes defaults them, the manifest claim on real files, the
registry-mirror step planned (never applied to the shared daemon), and a plan with no network."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from labconform.kube.baskets import effective_pull_policy, manifest_deployments, pull_policies
from labconform.transport.target import Target
from provision.k8s_app import CLUSTER_YAML as DOCUMENT_MANIFEST
from tests.test_trust import run_claims

TOP = Path(__file__).resolve().parent.parent


@pytest.mark.unit
@pytest.mark.parametrize(("image", "policy", "effective"), [
    ("mytc", None, "Always"),
    ("mytc:latest", None, "Always"),
    ("mytc", "IfNotPresent", "IfNotPresent"),
    ("k8s.gcr.io/pause:3.2", None, "IfNotPresent"),
    ("localhost:5000/mytc", None, "Always"),
    ("mytc@sha256:" + "0" * 64, None, "IfNotPresent"),
    ("k8s.gcr.io/etcd:3.4.13-0", "Always", "Always"),
])
def test_the_pull_policy_kubernetes_applies(image: str, policy: str | None, effective: str) -> None:
    assert effective_pull_policy(image, policy) == effective


@pytest.mark.unit
def test_the_documents_manifest_does_not_force_a_pull(tmp_path: Path) -> None:
    path = tmp_path / "cluster.yaml"
    path.write_text(DOCUMENT_MANIFEST)
    policies = pull_policies(str(path), manifest_deployments(Target("local"), str(path)) or [])
    assert policies == {f"{path}: default/hw-deploy/hw-contain": {
        "image": "mytc", "imagePullPolicy": "IfNotPresent", "effective": "IfNotPresent"}}
    assert manifest_deployments(Target("local"), str(tmp_path / "absent.yaml")) is None


@pytest.mark.lab
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


@pytest.mark.lab
def test_a_declared_mirror_the_daemon_lacks_fails_the_claim(tmp_path: Path) -> None:
    verdicts = run_claims(tmp_path, {"registry_mirrors": ["https://mirror.lab.invalid"]},
                          "features/94_eggs_and_baskets.feature", "-k", "baskets-04")
    assert verdicts["baskets-04"]["verdict"] == "failed"


def plan(tmp_path: Path, *args: str, params: dict | None = None, prefix: tuple[str, ...] = ()) -> dict:
    out = tmp_path / "plan.json"
    cmd = [*prefix, sys.executable, "-m", "provision", "--check", "--json", str(out), *args]
    if params is not None:
        (tmp_path / "p.yaml").write_text(yaml.safe_dump(params))
        cmd += ["--lab-params", str(tmp_path / "p.yaml")]
    proc = subprocess.run(cmd, cwd=TOP, capture_output=True, text=True, timeout=300)
    assert out.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    return {s["step"]: s for s in json.loads(out.read_text())["steps"]}


@pytest.mark.unit
def test_the_mirror_step_is_planned_only_where_a_mirror_is_declared(tmp_path: Path) -> None:
    """Planned with --check against the recorded Rocky host: the shared daemon here is never touched."""
    rocky = str(TOP / "tests/data/rocky-8.4.json")
    steps = plan(tmp_path, "--facts", rocky, params={"registry_mirrors": ["https://mirror.lab.example"]})
    mirror = steps["Docker registry mirrors"]
    assert mirror["status"] == "would-change" and mirror["claims"] == ["baskets-04"]
    assert "systemctl reload docker" in mirror["commands"]
    assert "Docker registry mirrors" not in plan(tmp_path, "--facts", rocky)


@pytest.mark.lab
@pytest.mark.skipif(shutil.which("unshare") is None, reason="no unshare(1) on this machine")
def test_the_plan_runs_with_no_network_at_all(tmp_path: Path) -> None:
    """In a network namespace with nothing but a down loopback, no registry (nor anything else) answers:
    every step still reads the lab and decides, none fails."""
    steps = plan(tmp_path, prefix=("unshare", "--net"))
    failed = {k: v["detail"] for k, v in steps.items() if v["status"] == "failed"}
    assert steps and not failed
