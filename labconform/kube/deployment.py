"""A Deployment and its Service as the claims judge them: its replicas, its label and selector, the Service's
type and its answer at its cluster address, and the document's clean-up (scaled to none, deleted) waited for
with a deadline. The reads are labconform.kube.kubelab's; the rules are here."""

from __future__ import annotations

from labconform.http import client as http
from labconform.judged import Judged
from labconform.kube.kubelab import KubeLab, selector_of, wait_for


def judged_replicas(kube: KubeLab, name: str, ready: int, want: int) -> Judged:
    """The Deployment wants `want` replicas and has `ready` of them ready and available."""
    d = kube.deployment(name)
    found = {"replicas": d.spec.replicas, "ready": d.status.ready_replicas or 0,
             "available": d.status.available_replicas or 0} if d else "absent"
    expected = {"replicas": want, "ready": ready, "available": ready}
    return Judged(expected == found, name, expected, found, f"GET deployment default/{name} (kubectl get deploy)")


def judged_labelled(kube: KubeLab, name: str, label: str, selects: str) -> Judged:
    """The Deployment carries `label` (key=value) and its selector is `selects`."""
    d = kube.deployment(name)
    found = {"labels": d.metadata.labels, "selector": selector_of(d),
             "template labels": d.spec.template.metadata.labels} if d else "absent"
    k, v = label.split("=", 1)
    return Judged(d is not None and (d.metadata.labels or {}).get(k) == v and selector_of(d) == selects, name,
                  {"label": label, "selector": selects}, found, f"GET deployment {name}")


def judged_no_ready_pod(kube: KubeLab, name: str, seconds: int) -> Judged:
    """Within `seconds` no pod of the Deployment is ready (after it was scaled to none), those being deleted
    included: each pod's Tomcat has stopped (its Ready condition is no longer True) or the pod is gone. A pod
    marked for deletion still serves, and the Deployment counts it ready until the ReplicaSet has seen it go."""
    ready = wait_for(lambda: kube.ready_pod_names(name, deleting=True), lambda pods: not pods, seconds,
                     "no ready pod")
    return Judged(ready == [], f"ready pods of {name}", [], ready,
                  f"GET pods of {name} (those being deleted too), polled for {seconds} s")


def judged_counts(kube: KubeLab, name: str, ready: int, available: int, want: int) -> Judged:
    """The Deployment shows `ready` ready and `available` available of `want`, as kubectl get deploy does."""
    d = kube.deployment(name)
    found = [d.status.ready_replicas or 0, d.status.available_replicas or 0, d.spec.replicas] if d else "absent"
    return Judged([ready, available, want] == found, name, [ready, available, want], found,
                  f"GET deployment {name}: [readyReplicas, availableReplicas, spec.replicas] (kubectl get deploy)")


def judged_gone(kube: KubeLab, name: str, namespace: str, seconds: int) -> Judged:
    """Within `seconds` the Deployment is gone from `namespace`."""
    d = wait_for(lambda: kube.deployment(name, namespace), lambda d: d is None, seconds, f"{name} gone")
    found = "absent" if d is None else "present"
    return Judged(found == "absent", f"deployment {namespace}/{name}", "absent", found,
                  f"GET deployment {namespace}/{name}, polled for {seconds} s")


def judged_service(kube: KubeLab, name: str, type_: str, selects: str, port: int) -> Judged:
    """The Service is of `type_`, selects `selects` and serves `port` alone."""
    s = kube.service(name)
    found = {"type": s.spec.type, "selector": selector_of(s), "ports": [p.port for p in s.spec.ports]} if s \
        else "absent"
    expected = {"type": type_, "selector": selects, "ports": [port]}
    return Judged(expected == found, f"service {name}", expected, found,
                  f"GET service default/{name} (kubectl describe services {name})")


def judged_cluster_ip(kube: KubeLab, name: str, greeting: str, deployment: str) -> Judged:
    """The Service answers at its cluster address with the greeting and the name of a pod of `deployment`."""
    r, pods = kube.cluster_ip_answer(name), [p.metadata.name for p in kube.deployment_pods(deployment)]
    return http.judge_body(r, f"answer of service {name}", f"{greeting}<one of {pods}>",
                           {f"{greeting}{p}" for p in pods})
