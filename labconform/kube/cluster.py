"""What the cluster says it is: the Kubernetes release it runs, kubeadm's CoreDNS add-on, its API server's health,
a kubeconfig for it, its pod network and Flannel's DaemonSet, from its API server."""

from __future__ import annotations

from typing import Any

import yaml

from labconform.judged import Judged
from labconform.kube.kubelab import KubeLab
from labconform.params import matches_release
from labconform.transport.target import Target

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


def judged_health(kube: KubeLab) -> Judged:
    """The API server answers /healthz with ok and names its version; an answer of 500 (a failed check, such as
    its etcd gone) fails the claim: the server answered, unhealthy."""
    (status, health), version = kube.health("/healthz"), kube.version()
    said = health.strip() if status == 200 else f"HTTP {status}: {health.strip()[:500]}"
    return Judged(status == 200 and health.strip() == "ok" and bool(version.get("gitVersion")),
                  f"API server {kube.server}", "healthz ok and a version", {"healthz": said, **version},
                  "GET /healthz; GET /version")


def judged_kubeconfig(target: Target, kube: KubeLab, path: str) -> Judged:
    """The file at `path` on the lab host is a kubeconfig naming the cluster's API server."""
    conf = yaml.safe_load(target.read_text(path) or "{}") or {}
    servers = [c.get("cluster", {}).get("server") for c in conf.get("clusters", [])]
    return Judged(kube.server in servers, path, f"a cluster at {kube.server}", servers or "no such kubeconfig",
                  f"read {path}: clusters[].cluster.server")


def judged_pod_network(kube: KubeLab, cidr: str) -> Judged:
    """kubeadm's ClusterConfiguration sets the pod network `cidr` (kubeadm init --pod-network-cidr)."""
    cm = kube.config_map("kubeadm-config", "kube-system")
    net = (yaml.safe_load((cm.data or {}).get("ClusterConfiguration", "")) or {}).get("networking", {}) if cm else {}
    found = net.get("podSubnet", "kubeadm-config absent" if not cm else None)
    return Judged(found == cidr, "pod subnet", cidr, found,
                  "GET configmap kube-system/kubeadm-config: ClusterConfiguration.networking.podSubnet")


def judged_flannel(kube: KubeLab) -> Judged:
    """A DaemonSet named for Flannel (in any namespace) has a ready pod on every node it should run on."""
    found = {f"{d.metadata.namespace}/{d.metadata.name}": f"{d.status.number_ready}/{d.status.desired_number_scheduled}"
             for d in kube.daemon_sets() if "flannel" in d.metadata.name}
    return Judged(bool(found) and all(v.split("/")[0] == v.split("/")[1] != "0" for v in found.values()),
                  "Flannel DaemonSet", "ready on every node", found or "no Flannel DaemonSet",
                  "GET /apis/apps/v1/daemonsets (all namespaces), names holding 'flannel'")
