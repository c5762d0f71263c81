"""Every pod of a Deployment, ready or not, asked at its own address (k8s-app-06): a pod that is
not ready is still a pod of the Deployment, and one that does not answer is what the claim is about. And
the settings each pod runs with, beside its template's (k8s-app-05), their labels and addresses."""

from __future__ import annotations

from typing import Any

from labconform.http import client as http
from labconform.judged import Judged
from labconform.kube.kubelab import KubeLab, container_setting, in_network, pod_ready, selector_of, wait_for


def every_pod_answers(kube: KubeLab, name: str, port: int, timeout: float = 30,
                      namespace: str = "default") -> dict[str, Any]:
    """The Deployment's replicas, and for each pod its selector picks (not those being deleted, which are
    listed apart) its phase, readiness, address and answer to GET / there. A pod with no address is asked
    nothing; one with an address gets up to `timeout` seconds, since its first answer compiles the JSP."""
    d = kube.deployment(name, namespace)
    if d is None:
        return {"replicas": None, "pods": {}, "deleting": []}
    pods = kube.pods(namespace, selector_of(d))
    out: dict[str, dict[str, Any]] = {}
    for pod in pods:
        if pod.metadata.deletion_timestamp is not None:
            continue
        ip = pod.status.pod_ip
        state = {"phase": pod.status.phase, "ready": pod_ready(pod), "address": ip}
        if not ip:
            out[pod.metadata.name] = {**state, "body": None, "error": "no pod address: nothing to ask"}
            continue
        url = f"http://{ip}:{port}/"
        r = wait_for(lambda u=url: http.get(kube.target, u, timeout=10), lambda r: r.status == 200, timeout, url)
        out[pod.metadata.name] = {**state, **r.evidence(), "body": r.body.strip()}
    return {"replicas": d.spec.replicas, "pods": out,
            "deleting": sorted(p.metadata.name for p in pods if p.metadata.deletion_timestamp is not None)}


def all_answer(found: dict[str, Any], greeting: str) -> bool:
    """As many pods as the Deployment's replicas (at least one), each answering the greeting and its own name."""
    pods = found["pods"]
    return (bool(found["replicas"]) and len(pods) == found["replicas"]
            and all(a["body"] == f"{greeting}{pod}" for pod, a in pods.items()))


def seen(found: dict[str, Any]) -> Any:
    """What the claim found, in a line a reader takes in: how many pods, and each one's answer or error."""
    if not found["pods"]:
        return f"no pods (deployment {'absent' if found['replicas'] is None else 'has none'})"
    return {"pods": len(found["pods"]), **{p: a["body"] or a.get("error") or f"HTTP {a.get('status')}"
                                           for p, a in found["pods"].items()}}


def judge_container_setting(kube: KubeLab, name: str, container: str, setting: str, value: str) -> Judged:
    """One setting of a container, in the Deployment's template and in each live pod it runs (k8s-app-05): a
    rollout that never finished leaves pods running with the settings of an older template."""
    d = kube.deployment(name)
    found: dict[str, str] = {}
    for where, spec in ([("template", d.spec.template.spec)] if d else []) + [
            (f"pod {p.metadata.name}", p.spec) for p in (kube.deployment_pods(name) if d else [])]:
        c = next((c for c in spec.containers if c.name == container), None)
        found[where] = container_setting(c, setting) if c else f"no container {container}"
    ok = len(found) > 1 and set(found.values()) == {value}
    return Judged(ok, f"{setting} of {container}", f"{value} in the template and in each pod",
                  found or f"no deployment {name}", f"GET deployment {name}: spec.template.spec.containers"
                  f"[{container}]; GET pods -l <its selector>: spec.containers[{container}]")


def judged_answers(kube: KubeLab, name: str, greeting: str, port: int) -> Judged:
    """Every pod of the Deployment, ready or not, answers the greeting and its own name at its address
    (`every_pod_answers`), as many pods as the replicas; each one's answer goes with it."""
    found = every_pod_answers(kube, name, port)
    return Judged(all_answer(found, greeting), f"answers of the pods of {name}",
                  {"pods": f"as many as the replicas ({found['replicas']}), ready or not",
                   "each answers": f"{greeting}<the pod's own name>"}, seen(found),
                  f"GET deployment {name} (spec.replicas); GET pods -l <its selector>; "
                  f"GET http://<pod IP>:{port}/ from the lab host",
                  details={"replicas": found["replicas"], "responses": found["pods"],
                           "being_deleted": found["deleting"]})


def judged_labels(kube: KubeLab, name: str, label: str) -> Judged:
    """Every pod of the Deployment (at least one) carries `label` (key=value)."""
    k, v = label.split("=", 1)
    found = {p.metadata.name: (p.metadata.labels or {}).get(k) for p in kube.deployment_pods(name)}
    return Judged(bool(found) and set(found.values()) == {v}, f"label {k} of the pods of {name}", v,
                  found or "no pods", f"GET pods selected by deployment {name}")


def judged_addresses(kube: KubeLab, name: str, cidr: str) -> Judged:
    """Every pod of the Deployment (at least one) has an address inside the pod network `cidr`."""
    found = {p.metadata.name: p.status.pod_ip for p in kube.deployment_pods(name)}
    return Judged(bool(found) and all(in_network(ip, cidr) for ip in found.values()), f"pod IPs of {name}",
                  f"inside {cidr}", found or "no pods", "GET pods: status.podIP")
