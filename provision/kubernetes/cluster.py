"""The cluster the Kubernetes steps build: its release, its pod network, the document's app names, and what the
steps read of it (kubectl on the target, or the recorded JSON's answers); a bounded wait that fails a step."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from labconform.kube.kubelab import ADMIN_CONF
from provision.core import wait_or_fail

K8S_VERSION = "v1.20.2"
POD_CIDR = "10.244.0.0/16"
MANIFEST = "/app/cluster.yaml"
DEPLOYMENT, SERVICE = "hw-deploy", "hw"
POD_LABEL = "app=hw"  # the Deployment's selector in the document's manifest


class Cluster:
    """What the steps read of a cluster, through kubectl on the target, or from the recorded JSON's
    `commands` (command line -> {rc, stdout}); a command not recorded counts as failed."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        debian = ctx.state.facts.family == "debian"
        self.kubectl = f"{'/usr/local/bin/' if debian else ''}kubectl --kubeconfig={ADMIN_CONF}"

    def run(self, command: str, timeout: float = 30) -> tuple[int, str]:
        if self.ctx.state.recorded:
            rec = self.ctx.state.data.get("commands", {}).get(command)
            return (rec.get("rc", 0), rec.get("stdout", "")) if rec else (1, "")
        res = self.ctx.target.run(command, timeout=timeout)
        return res.rc, res.stdout

    def json(self, command: str) -> dict[str, Any] | None:
        """A kubectl command's JSON answer, or None when it failed or did not answer JSON."""
        rc, out = self.run(command)
        try:
            return json.loads(out) if rc == 0 else None
        except json.JSONDecodeError:
            return None

    def get(self, what: str) -> dict[str, Any] | None:
        """`kubectl get WHAT -o json`, or None when it is absent or the API does not answer."""
        return self.json(f"{self.kubectl} get {what} -o json --request-timeout=10s")

    def healthy(self) -> bool:
        rc, out = self.run(f"{self.kubectl} get --raw=/healthz --request-timeout=5s")
        return rc == 0 and out.strip() == "ok"

    def nodes(self) -> list[dict[str, Any]]:
        return (self.get("nodes") or {}).get("items", [])

    def node_port_answers(self, tries: int = 20) -> tuple[bool, str]:
        """Requests through the NodePort, each on a new connection, until every live pod of the Deployment has
        answered one (the claim samples 200 and wants them all answered and spread); any refused is not done."""
        svc = self.get(f"service {SERVICE}")
        ports = (svc or {}).get("spec", {}).get("ports") or [{}]
        port = ports[0].get("nodePort")
        if not isinstance(port, int):
            return False, f"service {SERVICE} has no NodePort"
        pods = {p["metadata"]["name"] for p in self.pods()}
        seen: set[str] = set()
        for n in range(1, tries + 1):
            rc, out = self.run(f"curl -s -m 5 http://127.0.0.1:{port}/?n={n}")
            name = out.strip().removeprefix("Hello, I am ")
            if rc != 0 or name not in pods:
                return False, f"NodePort {port}: request {n} answered {out.strip()[:60]!r} (curl {rc})"
            seen.add(name)
            if seen == pods:
                return True, f"NodePort {port} answered from each of the {len(pods)} pods in {n} requests"
        return False, f"NodePort {port}: {tries} requests reached {sorted(seen)} of {sorted(pods)}"

    def pods(self) -> list[dict[str, Any]]:
        """The Deployment's pods (its label), those being deleted left out."""
        return [p for p in (self.get(f"pods -l {POD_LABEL}") or {}).get("items", [])
                if not p.get("metadata", {}).get("deletionTimestamp")]

    def pods_answering(self, replicas: int, pods: list[dict[str, Any]] | None = None) -> tuple[bool, str]:
        """Each live pod of the Deployment (`pods`, or read now) answers with its own name at its address, and
        there are `replicas` of them: the document's Deployment has no readiness probe, so a pod is "available"
        before its Tomcat listens, and the Service sends it requests it refuses."""
        pods = self.pods() if pods is None else pods
        silent = []
        for pod in pods:
            name, ip = pod["metadata"]["name"], pod.get("status", {}).get("podIP") or ""
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                silent.append(f"{name} (no address)")
                continue
            rc, out = self.run(f"curl -s -m 5 http://{ip}:8080/")
            if out.strip() != f"Hello, I am {name}":
                silent.append(f"{name} (curl {rc})")
        if len(pods) != replicas or silent:
            return False, f"{len(pods)} of {replicas} pods, not answering: {', '.join(silent) or 'none'}"
        return True, f"each of the {replicas} pods answers with its own name"


def node_ready(node: dict[str, Any]) -> bool:
    conditions = node.get("status", {}).get("conditions", [])
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def wait_until(ctx: Any, ok: Any, timeout: float, what: str) -> None:
    def look() -> bool:
        ctx.state.forget()
        return bool(ok())

    wait_or_fail(look, timeout, 1, what)
