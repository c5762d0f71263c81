"""A new pod from a Deployment's own pod template, made for one claim (k8s-app-08), so that what a pod of it does
on its first call can be watched: the document's pods "take a few seconds the first time" while Tomcat compiles
index.jsp. The pod carries the run's name instead of the Deployment's labels (its Service does not send it
traffic, its ReplicaSet does not adopt it), asks for no CPU (a 2-core node has no room for a third 500m pod beside
the control plane), and ends by itself after DEADLINE_S should the run die before it removes it."""

from __future__ import annotations

import copy
import re
from typing import Any

from labconform.docker.containers import STARTUP_LINE
from labconform.errors import ClaimFailed, WaitTimeout
from labconform.poll import until

RUN_LABEL = "labconform.run"
DEADLINE_S = 600
PODS = "/api/v1/namespaces/default/pods"


def pod_name(run_name: str, deployment: str) -> str:
    """A DNS-1123 name for the run's pod of `deployment`."""
    return re.sub(r"[^a-z0-9-]", "-", f"{run_name}-{deployment}-first".lower())[:63].strip("-")


def manifest(kube: Any, deployment: str, run_name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pod to make from the live Deployment's template (its JSON), and what differs from that template."""
    d = kube.deployment(deployment)
    if d is None:
        raise ClaimFailed(f"no Deployment {deployment} in the cluster: no template to make a pod from")
    spec = copy.deepcopy(kube.data(d)["spec"]["template"]["spec"])
    for c in spec.get("containers") or []:
        c.pop("resources", None)
    spec["activeDeadlineSeconds"] = DEADLINE_S
    spec["restartPolicy"] = "Never"
    name = pod_name(run_name, deployment)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {RUN_LABEL: run_name}},
           "spec": spec}
    differs = {"labels": {RUN_LABEL: run_name}, "resources": "none asked (BestEffort)",
               "activeDeadlineSeconds": DEADLINE_S, "restartPolicy": "Never"}
    return pod, differs


def create(kube: Any, deployment: str, run_name: str) -> tuple[str, dict[str, Any]]:
    """Make the run's pod from `deployment`'s template (Tomcat in it boots from then on): its name, and what
    differs from the template."""
    pod, differs = manifest(kube, deployment, run_name)
    name = pod["metadata"]["name"]
    remove(kube, name)  # a pod left by a killed run of the same name
    kube.send("POST", PODS, f"POST pod {name}", body=pod)
    return name, differs


def start(kube: Any, deployment: str, run_name: str, timeout: float,
          created: tuple[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The run's pod from `deployment`'s template, once Tomcat in it logged its startup (a bounded wait); no
    request is sent, so its first call is still to come. `created`: what `create` gave ahead of the claim, else the
    pod is made now. What was made, for the evidence."""
    when = "ahead of its claim (labconform.run.preparation)" if created else "in its claim's turn"
    name, differs = created or create(kube, deployment, run_name)

    def started() -> dict[str, Any] | ClaimFailed | None:  # an end is returned: until() takes a raise for "not yet"
        p = kube.json("GET", f"{PODS}/{name}", f"GET pod {name}")
        if p is None or p.status.phase in ("Failed", "Succeeded"):
            return ClaimFailed(f"pod {name} is {'gone' if p is None else p.status.phase} before Tomcat started")
        if not p.status.pod_ip:
            return None
        log = (kube.send("GET", f"{PODS}/{name}/log", f"GET pod {name} log") or (0, ""))[1]
        m = STARTUP_LINE.search(log)
        return {"pod": name, "address": p.status.pod_ip, "node": p.spec.node_name,
                "tomcat_startup_ms": int(m.group(1).replace(",", ""))} if m else None

    try:
        made = until(started, lambda v: v is not None, timeout=timeout, interval=0.5,
                     what=f"Tomcat started in pod {name}")
    except WaitTimeout as exc:
        raise ClaimFailed(str(exc)) from None
    if isinstance(made, ClaimFailed):
        raise made
    return {**made, "made": when, "from the template of": f"deployment {deployment}", "differs from it": differs}


def remove(kube: Any, name: str) -> None:
    """Delete the pod at once (no grace: nothing in it is kept); absent is fine."""
    kube.send("DELETE", f"{PODS}/{name}", f"DELETE pod {name}", query={"gracePeriodSeconds": 0})
