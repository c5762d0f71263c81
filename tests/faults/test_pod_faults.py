"""k8s-app-06 ("each pod answers at its own pod address") broken for real on the lab's cluster: a pod
that hw-deploy's selector picks, with an address in the pod network, never ready and not answering
(Tomcat not started), beside the two that answer. The claim used to ask only ready pods and passed;
it must fail, naming that pod and the count against the replicas. The pod is removed whatever happens.

Skipped where no cluster is up (run `python -m provision` first)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import yaml

from labconform.poll import until
from tests.support.kubernetes_faults import run_claims, settled_cluster
from tests.support.pods import cluster_with_hw_deploy, kubectl

pytestmark = [pytest.mark.usefixtures("lab_lease"),
              pytest.mark.skipif(cluster_with_hw_deploy() is None,
                                 reason="no cluster with hw-deploy answers on this host")]


def stray_pod(name: str, owner: dict) -> dict:
    """A pod labelled app=hw, owned by a ConfigMap as its controller (so hw-deploy's ReplicaSet does not
    adopt it and delete it as an excess replica), running the mytc image without Tomcat, never ready."""
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "hw"},
                     "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"],
                                          "uid": owner["metadata"]["uid"], "controller": True}]},
        "spec": {"terminationGracePeriodSeconds": 0, "containers": [{
            "name": "not-tomcat", "image": "mytc", "imagePullPolicy": "IfNotPresent", "command": ["sleep", "600"],
            "readinessProbe": {"exec": {"command": ["false"]}, "periodSeconds": 5}}]},
    }


def test_a_pod_that_is_not_ready_and_does_not_answer_fails_the_claim(tmp_path: Path) -> None:
    k = settled_cluster("hw-deploy")
    name = f"lc-fault-{uuid.uuid4().hex[:6]}"
    made = kubectl("create", "configmap", name, "-o", "json")
    assert made.returncode == 0, made.stderr
    owner = json.loads(made.stdout)
    try:
        applied = kubectl("apply", "-f", "-", stdin=yaml.safe_dump(stray_pod(name, owner)))
        assert applied.returncode == 0, applied.stderr
        pod = until(lambda: k.json("GET", f"/api/v1/namespaces/default/pods/{name}"), lambda p: bool(p.status.pod_ip),
                    timeout=60, what=f"pod {name} has an address")
        assert not any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])
        doc, _ = run_claims(tmp_path, "-k", "k8s-app-06", files=("features/86_deployment.feature",))
        claim = next(c for c in doc["claims"] if c["id"] == "k8s-app-06")
        assert claim["verdict"] == "failed", claim
        answers = next(o for o in claim["evidence"] if o["what"].startswith("answers of the pods"))
        assert answers["found"]["pods"] == 3 and answers["details"]["replicas"] == 2, answers
        stray = answers["details"]["responses"][name]
        assert stray["ready"] is False and stray["address"] and stray["status"] is None, stray
    finally:
        kubectl("delete", "configmap", name, "--wait=false")  # the pod goes with its owner
        kubectl("delete", "pod", name, "--grace-period=0", "--wait=true", "--timeout=60s")
    doc, _ = run_claims(tmp_path / "after", "-k", "k8s-app-06", files=("features/86_deployment.feature",))
    claim = next(c for c in doc["claims"] if c["id"] == "k8s-app-06")
    assert claim["verdict"] == "passed", claim
    answers = next(o for o in claim["evidence"] if o["what"].startswith("answers of the pods"))
    assert answers["found"]["pods"] == answers["details"]["replicas"] == 2
