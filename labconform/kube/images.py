"""One basket ("Eggs and baskets"): the images the lab's workloads need are all local, nothing
forces a pull, and Docker uses the registry mirrors the lab declares."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from labconform.docker.containers import DockerLab
from labconform.judged import Judged
from labconform.kube.kubelab import ADMIN_CONF, KubeLab, KubeUnavailable
from labconform.transport.target import Target

MANIFESTS = "/etc/kubernetes/manifests"
KUBEADM_FLAGS = "/var/lib/kubelet/kubeadm-flags.env"


class ClusterUnavailable(Exception):
    """The host has a cluster but its API server does not answer: the claim cannot be evaluated."""


def cluster_config(t: Target, kubeconfig: str | None = None) -> str | None:
    """The kubeconfig of the lab's cluster: --kubeconfig when given, else the admin kubeconfig kubeadm
    writes on init, when the host has one."""
    if kubeconfig:
        return kubeconfig
    return ADMIN_CONF if t.run("test -s %s", ADMIN_CONF).ok else None


def cluster_present(t: Target, kubeconfig: str | None = None) -> Judged:
    """A precondition: the host runs a cluster (a kubeconfig for it); else not applicable."""
    config = cluster_config(t, kubeconfig)
    return Judged(config is not None, "the host's cluster", "a kubeconfig", config, f"test -s {ADMIN_CONF}",
                  not_applicable="" if config else f"no cluster on this host: {ADMIN_CONF} is absent (kubeadm init "
                  "not run)")


def mirrors_declared(declared: tuple[str, ...]) -> Judged:
    """A precondition: the lab declares registry mirrors; else not applicable."""
    return Judged(bool(declared), "registry mirrors declared", "at least one", list(declared), "lab parameters",
                  not_applicable="" if declared else "the lab declares no registry mirror (lab parameter "
                  "registry_mirrors is empty)")


@dataclass
class ClusterImages:
    images: dict[str, list[str]] = field(default_factory=dict)  # image -> where it was seen
    how: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def cluster_objects(kube: KubeLab, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    """The cluster's pods, daemonsets and deployments (all namespaces) as the API server sent them, through
    the run's one Kubernetes client (--kubeconfig or the lab's admin.conf)."""
    paths = {"pods": ("Pod", "/api/v1/pods"), "daemonsets": ("DaemonSet", "/apis/apps/v1/daemonsets"),
             "deployments": ("Deployment", "/apis/apps/v1/deployments")}
    out = []
    for plural in kinds:
        kind, path = paths[plural]
        try:
            listed = kube.items(path, f"GET {plural} (all namespaces)")
        except KubeUnavailable as exc:
            raise ClusterUnavailable(str(exc)) from None
        out += [{**kube.data(item), "kind": kind} for item in listed]
    return out


def cluster_images(t: Target, kube: KubeLab) -> ClusterImages:
    """Every image the cluster runs: its static pods' manifests, kubelet's pause image, and every
    container and init container the API server knows of."""
    out = ClusterImages()

    def seen(image: str, where: str) -> None:
        out.images.setdefault(image, []).append(where)

    res = t.run(f"grep -h -E '^[[:space:]]*image:' {MANIFESTS}/*.yaml 2>/dev/null")
    out.how.append(f"image: lines of {MANIFESTS}/*.yaml")
    for line in res.stdout.splitlines():
        seen(line.split("image:", 1)[1].strip().strip("'\""), "static pod manifest")
    flags = t.read_text(KUBEADM_FLAGS) or ""
    m = re.search(r"--pod-infra-container-image=(\S+?)[\"\s]", flags + " ")
    if m:
        seen(m.group(1), KUBEADM_FLAGS)
    out.how.append(f"--pod-infra-container-image in {KUBEADM_FLAGS}")
    items = cluster_objects(kube, ("pods", "daemonsets", "deployments"))
    out.how.append(f"GET pods, daemonsets, deployments (all namespaces) from {kube.server} ({kube.source})")
    for item in items:
        spec = item.get("spec", {})
        spec = spec.get("template", {}).get("spec", spec)
        for c in spec.get("initContainers", []) + spec.get("containers", []):
            seen(c["image"], f"{item['kind']} {item['metadata'].get('namespace')}/{item['metadata']['name']}")
    return out


def effective_pull_policy(image: str, policy: str | None) -> str:
    """Kubernetes' default when a container sets none: Always for :latest or no tag, else IfNotPresent."""
    if policy:
        return policy
    name = image.split("@", 1)[0]
    tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else "latest"
    return "Always" if tag == "latest" and "@" not in image else "IfNotPresent"


def pull_policies(source: str, docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each Deployment container of `docs`: its image, its pull policy and the one Kubernetes applies."""
    found: dict[str, dict[str, Any]] = {}
    for d in docs:
        if d.get("kind", "Deployment") != "Deployment":
            continue
        meta = d.get("metadata", {})
        for c in d.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            key = f"{source}: {meta.get('namespace', 'default')}/{meta.get('name')}/{c.get('name')}"
            found[key] = {"image": c.get("image"), "imagePullPolicy": c.get("imagePullPolicy"),
                          "effective": effective_pull_policy(c.get("image", ""), c.get("imagePullPolicy"))}
    return found


def manifest_deployments(t: Target, manifest: str) -> list[dict[str, Any]] | None:
    text = t.read_text(manifest)
    return None if text is None else [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]


def deployment_pull_policies(t: Target, kube: KubeLab | None, manifest: str
                             ) -> tuple[dict[str, dict[str, Any]], list[str]] | None:
    """Each Deployment container's pull policy, from the cluster when there is one (`kube`) and from the
    document's manifest file when it exists; None when there is neither."""
    found: dict[str, dict[str, Any]] = {}
    how: list[str] = []
    if kube is not None:
        found.update(pull_policies("cluster", cluster_objects(kube, ("deployments",))))
        how.append(f"GET deployments (all namespaces) from {kube.server} ({kube.source})")
    docs = manifest_deployments(t, manifest)
    if docs is not None:
        found.update(pull_policies(manifest, docs))
        how.append(f"read {manifest}")
    return (found, how) if how else None


def judged_pull_policies(t: Target, kube: KubeLab | None, manifest: str) -> Judged:
    """No Deployment container's effective pull policy is Always (from the cluster and the document's manifest);
    not applicable when there is neither, or no Deployment container in them."""
    read = deployment_pull_policies(t, kube, manifest)
    if read is None:
        return Judged(False, "Deployment pull policies", "none effectively Always", {}, "",
                      not_applicable=f"no cluster ({ADMIN_CONF} absent) and no Deployment manifest at {manifest}")
    policies, how = read
    forcing = [k for k, v in policies.items() if v["effective"] == "Always"]
    empty = "" if policies else "no Deployment container to judge: " + "; ".join(how)
    return Judged(not forcing, "Deployment pull policies", "none effectively Always", policies, "; ".join(how),
                  not_applicable=empty, details={} if empty else {"forcing": forcing})


def judged_cluster_images(t: Target, kube: KubeLab, docker: DockerLab) -> Judged:
    """Every image the cluster runs (cluster_images) is present in the host's Docker engine."""
    found = cluster_images(t, kube)
    present = docker.images(list(found.images))
    missing = [i for i in found.images if present[i] is None]
    shown = {"missing": missing, "problems": found.problems} if missing or found.problems or not found.images \
        else f"{len(found.images)} present"
    return Judged(bool(found.images) and not missing and not found.problems, "cluster images",
                  "every one present locally", shown, "; ".join(found.how) + "; docker image inspect each",
                  details={"images": found.images})


def docker_mirrors(info: dict[str, Any]) -> list[str]:
    return [m.rstrip("/") for m in ((info.get("RegistryConfig") or {}).get("Mirrors") or [])]


def judged_mirrors(info: dict[str, Any], declared: tuple[str, ...] | list[str]) -> Judged:
    """Docker's `info` lists each registry mirror the lab declares."""
    have = docker_mirrors(info)
    want = [m.rstrip("/") for m in declared]
    return Judged(all(m in have for m in want), "registry mirrors", want, have, "docker info: RegistryConfig.Mirrors")
