"""A Deployment's rollout, from the JSON the API server sends: whether one is under way, and whether the nodes
have room for the extra pods a rolling update starts before it stops old ones. On the document's 2-core node
the control plane and two pods of 500m leave too little CPU for a third, and a changed template never rolls
out. Pure functions, shared by the claims and by provisioning."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from labconform.judged import Judged
from labconform.kube.https_api import parse_quantity

RESOURCES = ("cpu", "memory")
ENDED = ("Succeeded", "Failed")  # pods in these phases hold no resources on their node


def in_progress(deployment: dict[str, Any]) -> list[str]:
    """What says a rollout is not finished, as `kubectl rollout status` reads it; empty when it is."""
    spec, status, meta = deployment.get("spec") or {}, deployment.get("status") or {}, deployment.get("metadata") or {}
    want = spec.get("replicas", 1)
    out = []
    if status.get("observedGeneration", 0) < meta.get("generation", 0):
        out.append(f"generation {meta.get('generation')} not yet seen by the controller")
    if status.get("updatedReplicas", 0) != want:
        out.append(f"{status.get('updatedReplicas', 0)} of {want} pods run the current template")
    if status.get("replicas", 0) > want:
        out.append(f"{status['replicas'] - want} pod(s) of an older template still run")
    if status.get("availableReplicas", 0) != want:
        out.append(f"{status.get('availableReplicas', 0)} of {want} available")
    return out


def judge_finished(name: str, deployment: dict[str, Any] | None) -> Judged:
    """Every replica runs the current template and is available, and no pod of an older one is left."""
    found = in_progress(deployment) if deployment else [f"no deployment {name}"]
    status = (deployment or {}).get("status") or {}
    return Judged(not found, f"rollout of {name}", "finished", found or "finished",
                  f"GET deployment {name}: metadata.generation, status (as kubectl rollout status reads it)",
                  details={"status": {k: status.get(k) for k in ("observedGeneration", "replicas", "updatedReplicas",
                                                                  "readyReplicas", "availableReplicas")}})


# what of a container a pod keeps as its template says (admission adds mounts and the like beside them)
CONTAINER_FIELDS = ("name", "image", "imagePullPolicy", "command", "args", "env", "envFrom", "ports", "resources")


def pods_off_template(deployment: dict[str, Any], pods: list[dict[str, Any]]) -> dict[str, str]:
    """The live pods whose containers differ from the Deployment's template (a pod whose image was set by
    hand, or one left by an older template), each with the first field that differs."""
    def view(spec: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for c in spec.get("containers") or []:
            res = c.get("resources") or {}
            # a pod's requests default to its limits (the API server does it for pods, not for templates)
            out.append({**{k: c.get(k) for k in CONTAINER_FIELDS},
                        "resources": {"limits": res.get("limits") or {},
                                      "requests": {**(res.get("limits") or {}), **(res.get("requests") or {})}}})
        return out

    want = view(((deployment.get("spec") or {}).get("template") or {}).get("spec") or {})
    out = {}
    for pod in pods:
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            continue
        have = view(pod.get("spec") or {})
        if have != want:
            field = next((f"{w.get('name')}.{k}" for w, h in zip(want, have, strict=False) for k in CONTAINER_FIELDS
                          if w.get(k) != h.get(k)), "containers")
            out[pod["metadata"]["name"]] = field
    return out


def pod_request(spec: dict[str, Any]) -> dict[str, Decimal]:
    """What the scheduler reserves for a pod: the sum of its containers' requests (a limit stands in for an
    absent request, as the API server defaults it) or its largest init container's, whichever is more."""
    def one(c: dict[str, Any], r: str) -> Decimal:
        res = c.get("resources") or {}
        value = (res.get("requests") or {}).get(r) or (res.get("limits") or {}).get(r)
        return parse_quantity(value) if value else Decimal(0)

    out = {}
    for r in RESOURCES:
        run = sum((one(c, r) for c in spec.get("containers") or []), Decimal(0))
        init = max((one(c, r) for c in spec.get("initContainers") or []), default=Decimal(0))
        out[r] = max(run, init)
    return out


def surge_pods(deployment: dict[str, Any]) -> int:
    """How many pods above `replicas` a rolling update may start: maxSurge, a percentage rounded up."""
    strategy = (deployment.get("spec") or {}).get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0
    surge = (strategy.get("rollingUpdate") or {}).get("maxSurge", "25%")
    replicas = (deployment.get("spec") or {}).get("replicas", 1)
    if isinstance(surge, str) and surge.endswith("%"):
        return math.ceil(replicas * int(surge[:-1]) / 100)
    return int(surge)


def room(deployment: dict[str, Any], nodes: list[dict[str, Any]], pods: list[dict[str, Any]]) -> dict[str, Any]:
    """Per node: allocatable, requested by the pods bound to it, free; and what the surge pods need."""
    need = pod_request(((deployment.get("spec") or {}).get("template") or {}).get("spec") or {})
    per_node: dict[str, Any] = {}
    for node in nodes:
        name = node["metadata"]["name"]
        alloc = {r: parse_quantity((node.get("status") or {}).get("allocatable", {}).get(r, "0")) for r in RESOURCES}
        used = {r: Decimal(0) for r in RESOURCES}
        for pod in pods:
            if (pod.get("spec") or {}).get("nodeName") == name and (pod.get("status") or {}).get("phase") not in ENDED:
                for r, v in pod_request(pod["spec"]).items():
                    used[r] += v
        fits = min((int((alloc[r] - used[r]) // need[r]) for r in RESOURCES if need[r] > 0), default=10**6)
        per_node[name] = {"allocatable": alloc, "requested": used, "free": {r: alloc[r] - used[r] for r in RESOURCES},
                          "surge pods that fit": max(fits, 0)}
    return {"surge pods": surge_pods(deployment), "each needs": need, "nodes": per_node}


def judge_room(name: str, seen: dict[str, Any]) -> Judged:
    """The surge pods fit on the nodes beside every pod already bound there."""
    fit = sum(n["surge pods that fit"] for n in seen["nodes"].values())
    found = {"surge pods": seen["surge pods"], "each needs": show(seen["each needs"]), "fit": fit,
             **{f"node {n}": {k: show(v) if isinstance(v, dict) else v for k, v in figures.items()}
                for n, figures in seen["nodes"].items()}}
    return Judged(bool(seen["nodes"]) and fit >= seen["surge pods"], f"room for a rolling update of {name}",
                  f"room for {seen['surge pods']} more pod(s) of {name} (maxSurge) beside the pods that run", found,
                  f"GET deployment {name}: spec.strategy, template requests (limits where none); GET nodes: "
                  "status.allocatable; GET pods (all namespaces): requests of those bound to each node, not ended")


def show(figures: dict[str, Decimal]) -> dict[str, str]:
    """cpu in millicores, memory in MiB: the units `kubectl describe node` uses."""
    return {r: f"{int(v * 1000)}m" if r == "cpu" else f"{int(v / 2**20)}Mi" for r, v in figures.items()}
