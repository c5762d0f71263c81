"""What the cluster says it is: the Kubernetes release it runs and kubeadm's CoreDNS add-on, from its API server."""

from __future__ import annotations

from typing import Any

from labconform.kube import KubeLab
from labconform.observation import Judged
from labconform.params import matches_release

# the Deployment that kubeadm init's addon/coredns phase creates
COREDNS_NAMESPACE, COREDNS = "kube-system", "coredns"


def release(kube: KubeLab) -> dict[str, Any]:
    """The release the API server reports (GET /version) and each node's kubelet (kubectl get nodes: VERSION)."""
    version = kube.version()
    kubelets = {n.metadata.name: n.status.node_info.kubelet_version if n.status and n.status.node_info else None
                for n in kube.nodes()}
    return {"api_server": version.get("gitVersion"), "kubelets": kubelets, "version": version}


def judge_release(seen: dict[str, Any], pinned: str) -> Judged:
    """Whether the API server and every node's kubelet run Kubernetes `pinned` (v1.22 matches v1.22.1); the
    parameter and the API server's whole version go with it."""
    found = {"API server": seen["api_server"], **{f"kubelet of {n}": v for n, v in seen["kubelets"].items()}}
    return Judged(all(matches_release(v, pinned) for v in found.values()), "Kubernetes release",
                  f"{pinned} ({pinned}[.*]) on the API server and every kubelet", found,
                  "GET /version: gitVersion; GET /api/v1/nodes: status.nodeInfo.kubeletVersion",
                  details={"parameter": {"kubernetes_version": pinned}, "version": seen["version"]})


def coredns(kube: KubeLab) -> dict[str, Any] | None:
    """kube-system's CoreDNS Deployment as the API server sent it, or None when there is none."""
    d = kube.deployment(COREDNS, COREDNS_NAMESPACE)
    return None if d is None else kube.data(d)


def judge_coredns(deployment: dict[str, Any] | None) -> Judged:
    """Available: at least one replica wanted, every wanted replica available, and the Available condition
    True (minimum availability reached), as `kubectl get deployment coredns -n kube-system` reads it."""
    how = f"GET deployment {COREDNS_NAMESPACE}/{COREDNS}: spec.replicas, status, conditions"
    expected = "every replica available (at least 1), condition Available True"
    if deployment is None:
        return Judged(False, "CoreDNS", expected, f"no Deployment {COREDNS_NAMESPACE}/{COREDNS}", how)
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    wanted, available = spec.get("replicas", 1), status.get("availableReplicas", 0)
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    found = {"replicas": wanted, "ready": status.get("readyReplicas", 0), "available": available,
             "Available": conditions.get("Available", "no condition"), "images": [c.get("image") for c in containers]}
    ok = wanted >= 1 and available >= wanted and conditions.get("Available") == "True"
    return Judged(ok, "CoreDNS", expected, found, how)
