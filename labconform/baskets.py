"""One basket ("Eggs and baskets"): the images the lab's workloads need are all local, nothing
forces a pull, and Docker uses the registry mirrors the lab declares."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from labconform.kube import ADMIN_CONF
from labconform.target import Target

MANIFESTS = "/etc/kubernetes/manifests"
KUBEADM_FLAGS = "/var/lib/kubelet/kubeadm-flags.env"
KUBECTL = f"kubectl --kubeconfig {ADMIN_CONF} --request-timeout=10s"


class ClusterUnavailable(Exception):
    """The host has a cluster but its API server does not answer: the claim cannot be evaluated."""


def cluster_config(t: Target) -> str | None:
    """The cluster's admin kubeconfig when the host runs a cluster (kubeadm writes it on init)."""
    return ADMIN_CONF if t.run("test -s %s", ADMIN_CONF).ok else None


@dataclass
class ClusterImages:
    images: dict[str, list[str]] = field(default_factory=dict)  # image -> where it was seen
    how: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def cluster_images(t: Target) -> ClusterImages:
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
    res = t.run(f"{KUBECTL} get pods,daemonsets,deployments -A -o json", timeout=30)
    out.how.append(f"{KUBECTL} get pods,daemonsets,deployments -A -o json")
    if not res.ok:
        raise ClusterUnavailable(f"{ADMIN_CONF} exists but the API server does not answer: "
                                 f"{(res.stderr.strip() or 'no answer').splitlines()[-1][-300:]}")
    for item in json.loads(res.stdout).get("items", []):
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


def cluster_deployments(t: Target) -> list[dict[str, Any]]:
    res = t.run(f"{KUBECTL} get deployments -A -o json", timeout=30)
    if not res.ok:
        raise ClusterUnavailable(f"{ADMIN_CONF} exists but the API server does not answer: "
                                 f"{(res.stderr.strip() or 'no answer').splitlines()[-1][-300:]}")
    return json.loads(res.stdout).get("items", [])


def deployment_pull_policies(t: Target, manifest: str) -> tuple[dict[str, dict[str, Any]], list[str]] | None:
    """Each Deployment container's pull policy, from the cluster when there is one and from the
    document's manifest file when it exists; None when there is neither."""
    found: dict[str, dict[str, Any]] = {}
    how: list[str] = []
    if cluster_config(t):
        found.update(pull_policies("cluster", cluster_deployments(t)))
        how.append(f"{KUBECTL} get deployments -A -o json")
    docs = manifest_deployments(t, manifest)
    if docs is not None:
        found.update(pull_policies(manifest, docs))
        how.append(f"read {manifest}")
    return (found, how) if how else None


@dataclass
class PullPolicies:
    """Each Deployment container's effective pull policy, how they were read, which force a pull, and why
    there is nothing to judge when there is nothing."""

    policies: dict[str, dict[str, Any]]
    how: str
    forcing: list[str]
    not_applicable: str = ""


def judged_pull_policies(t: Target, manifest: str) -> PullPolicies:
    read = deployment_pull_policies(t, manifest)
    if read is None:
        return PullPolicies({}, "", [], f"no cluster ({ADMIN_CONF} absent) and no Deployment manifest at {manifest}")
    policies, how = read
    forcing = [k for k, v in policies.items() if v["effective"] == "Always"]
    empty = "" if policies else "no Deployment container to judge: " + "; ".join(how)
    return PullPolicies(policies, "; ".join(how), forcing, empty)


def docker_mirrors(info: dict[str, Any]) -> list[str]:
    return [m.rstrip("/") for m in ((info.get("RegistryConfig") or {}).get("Mirrors") or [])]
