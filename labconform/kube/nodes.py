"""The cluster's nodes as the claims judge them: how many, their roles, Ready, a taint, their pod ranges and
the kubelet's cgroup driver beside Docker's. The reads are labconform.kube.kubelab's; the rules are here."""

from __future__ import annotations

from labconform.docker.containers import DockerLab
from labconform.judged import Judged
from labconform.kube.kubelab import KubeLab, in_network, node_ready, node_roles

NODES = "GET /api/v1/nodes"


def judged_kubelet_driver(kube: KubeLab, docker: DockerLab) -> Judged:
    """The first node's running kubelet uses Docker's cgroup driver (its configz, not its files)."""
    node = kube.nodes()[0].metadata.name
    found = kube.kubelet_config(node).get("cgroupDriver")
    expected = docker.info().get("CgroupDriver")
    return Judged(expected == found, "kubelet cgroup driver", expected, found,
                  f"docker info: CgroupDriver; GET /api/v1/nodes/{node}/proxy/configz: cgroupDriver")


def judged_untainted(kube: KubeLab, key: str) -> Judged:
    """No node carries the taint `key`; each node's taints of that key go with it."""
    tainted = {n.metadata.name: [t.to_dict() for t in n.spec.taints or [] if t.key == key] for n in kube.nodes()}
    found = [n for n, t in tainted.items() if t]
    return Judged(found == [], f"nodes tainted {key}", [], found, f"{NODES}: spec.taints", details={"nodes": tainted})


def judged_count(kube: KubeLab, count: int) -> Judged:
    names = [n.metadata.name for n in kube.nodes()]
    return Judged(len(names) == count, "nodes", count, len(names), NODES, details={"nodes": names})


def judged_roles(kube: KubeLab, roles: str) -> Judged:
    """Every node (at least one) has exactly the roles `roles` ("control-plane,master")."""
    found = {n.metadata.name: ",".join(node_roles(n)) for n in kube.nodes()}
    return Judged(bool(found) and set(found.values()) == {roles}, "node roles", roles, found,
                  f"{NODES}: labels node-role.kubernetes.io/*")


def judged_ready(kube: KubeLab) -> Judged:
    """Every node (at least one) has its Ready condition True."""
    found = {n.metadata.name: node_ready(n) for n in kube.nodes()}
    return Judged(bool(found) and set(found.values()) == {"True"}, "node Ready condition", "True", found,
                  f"{NODES}: status.conditions[Ready]")


def judged_pod_ranges(kube: KubeLab, cidr: str) -> Judged:
    """Every node's pod range (at least one node) lies inside the cluster's pod network `cidr`."""
    found = {n.metadata.name: n.spec.pod_cidr for n in kube.nodes()}
    return Judged(bool(found) and all(in_network(c, cidr) for c in found.values()), "node pod ranges",
                  f"inside {cidr}", found, f"{NODES}: spec.podCIDR")
