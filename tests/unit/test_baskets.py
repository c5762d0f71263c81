"""One basket: pull policies as Kubernetes defaults them, the manifest claim on real files, the
registry-mirror step planned (never applied to the shared daemon), and a plan with no network."""

from __future__ import annotations

from pathlib import Path

import pytest

from labconform.kube.images import effective_pull_policy, manifest_deployments, pull_policies
from labconform.transport.target import Target
from provision.kubernetes.app import CLUSTER_YAML as DOCUMENT_MANIFEST
from tests.support.baskets import plan

TOP = Path(__file__).resolve().parents[2]


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


def test_the_documents_manifest_does_not_force_a_pull(tmp_path: Path) -> None:
    path = tmp_path / "cluster.yaml"
    path.write_text(DOCUMENT_MANIFEST)
    policies = pull_policies(str(path), manifest_deployments(Target("local"), str(path)) or [])
    assert policies == {f"{path}: default/hw-deploy/hw-contain": {
        "image": "mytc", "imagePullPolicy": "IfNotPresent", "effective": "IfNotPresent"}}
    assert manifest_deployments(Target("local"), str(tmp_path / "absent.yaml")) is None


def test_the_mirror_step_is_planned_only_where_a_mirror_is_declared(tmp_path: Path) -> None:
    """Planned with --check against the recorded Rocky host: the shared daemon here is never touched."""
    rocky = str(TOP / "tests/data/rocky-8.4.json")
    steps = plan(tmp_path, "--facts", rocky, params={"registry_mirrors": ["https://mirror.lab.example"]})
    mirror = steps["Docker registry mirrors"]
    assert mirror["status"] == "would-change" and mirror["claims"] == ["baskets-04"]
    assert "systemctl reload docker" in mirror["commands"]
    assert "Docker registry mirrors" not in plan(tmp_path, "--facts", rocky)


