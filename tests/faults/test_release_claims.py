"""tomcat-01 broken for real by base images imported here, and CoreDNS made available for real by a
Deployment kube-system/coredns of the cluster's pause image (the release claims read as they are: tests/lab/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from labconform.kube import cluster
from labconform.kube.kubelab import KubeLab, deployment_path
from labconform.poll import until
from tests.support.release_claims import (
    WAIVERS,
    kube,  # noqa: F401 - the fixture
)
from tests.support.trust import run_claims

REPO = Path(__file__).resolve().parents[2]
PAUSE = "k8s.gcr.io/pause:3.2"  # a control-plane image every cluster of this lab holds


# --- Kubernetes --------------------------------------------------------------------------------------


def _coredns_stand_in() -> dict:
    labels = {"k8s-app": "kube-dns", "org.labconform.test": "coredns-stand-in"}
    container = {"name": "coredns", "image": PAUSE, "imagePullPolicy": "Never"}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": cluster.COREDNS, "namespace": cluster.COREDNS_NAMESPACE, "labels": labels},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}}


def test_coredns_absent_fails_and_is_waived_and_an_available_one_passes(tmp_path: Path, kube: KubeLab) -> None:
    if cluster.coredns(kube) is not None:
        pytest.skip("this cluster has a CoreDNS Deployment of its own")
    v = run_claims(tmp_path / "absent", {}, "features/84_k8s_init.feature", "-k", "k8s-init-06 or k8s-init-01",
                   "--waivers", WAIVERS)
    assert v["k8s-init-06"]["verdict"] == "waived", v["k8s-init-06"]
    assert "no Deployment kube-system/coredns" in v["k8s-init-06"]["reason"]
    assert v["k8s-init-01"]["verdict"] == "passed"
    kube.send("POST", f"/apis/apps/v1/namespaces/{cluster.COREDNS_NAMESPACE}/deployments", body=_coredns_stand_in())
    try:
        until(lambda: cluster.judge_coredns(cluster.coredns(kube)), lambda j: j.ok, timeout=120,
              what="the stand-in CoreDNS Deployment available")
        ok = run_claims(tmp_path / "available", {}, "features/84_k8s_init.feature", "-k", "k8s-init-06")
        assert ok["k8s-init-06"]["verdict"] == "passed", ok["k8s-init-06"]
        assert ok["k8s-init-06"]["evidence"][-1]["found"]["images"] == [PAUSE]
    finally:
        kube.send("DELETE", deployment_path(cluster.COREDNS, cluster.COREDNS_NAMESPACE),
                  query={"propagationPolicy": "Foreground"})
        until(lambda: cluster.coredns(kube), lambda d: d is None, timeout=120, interval=1,
              what="the stand-in CoreDNS Deployment gone")
