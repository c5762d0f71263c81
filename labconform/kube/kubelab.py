"""Kubernetes as the claims see it: one API client per run, from the lab's admin kubeconfig, every call bounded."""

from __future__ import annotations

import ipaddress
import json
import threading
import urllib.parse
from collections.abc import Callable
from functools import cached_property
from http import HTTPStatus
from pathlib import Path
from typing import Any

import urllib3
import yaml

from labconform.errors import ClaimFailed, LabUnreachable, WaitTimeout
from labconform.http import client as http
from labconform.kube import conntrack, nodeport
from labconform.kube.https_api import ApiError, Transport, api_message, as_json, wrap
from labconform.poll import until
from labconform.transport.target import Target

ADMIN_CONF = "/etc/kubernetes/admin.conf"
ROLE_PREFIX = "node-role.kubernetes.io/"
MASTER_TAINT = "node-role.kubernetes.io/master"
# the scheduler and controller-manager serve only their secure ports since kubeadm v1.20
CONTROL_PLANE_PROCESSES = {
    6443: "kube-apiserver", 2379: "etcd", 2380: "etcd", 10250: "kubelet",
    10259: "kube-scheduler", 10257: "kube-controller-manager",
}


class KubeUnavailable(LabUnreachable):
    """The API server cannot be reached or the kubeconfig cannot be used: the claim cannot be evaluated.
    Always one line, however many lines the underlying error had."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class KubeLab:
    """The cluster of one target, reached through one API client for the whole run."""

    def __init__(self, target: Target, kubeconfig: str | None = None) -> None:
        self.target = target
        self.kubeconfig = kubeconfig
        self._down: str | None = None
        self._lock = threading.Lock()

    @property
    def source(self) -> str:
        return f"--kubeconfig {self.kubeconfig}" if self.kubeconfig else f"{ADMIN_CONF} on {self.target.name}"

    def _config_dict(self) -> dict[str, Any]:
        if self.kubeconfig:
            try:
                text: str | None = Path(self.kubeconfig).read_text()
            except OSError as exc:
                raise KubeUnavailable(f"kubeconfig {self.source}: cannot read it ({exc.strerror})") from None
        else:
            text = self.target.read_text(ADMIN_CONF)
            if text is None:
                raise KubeUnavailable(f"kubeconfig {self.source}: no such file (has kubeadm init run?)")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            at = f" at line {where.line + 1}" if where is not None else ""
            raise KubeUnavailable(f"kubeconfig {self.source}: not YAML ({getattr(exc, 'problem', exc)}{at})") from None
        if not isinstance(data, dict) or not data.get("clusters"):
            raise KubeUnavailable(f"kubeconfig {self.source}: not a kubeconfig (no clusters)")
        if not self.kubeconfig and self.target.session is not None:
            self._tunnels = tunnel_servers(self.target, data)
        return data

    @cached_property
    def server(self) -> str:
        """The API server's address as the kubeconfig names it (not the tunnel that reaches it)."""
        host = self.api.server
        return getattr(self, "_tunnels", {}).get(host, host)

    @cached_property
    def api(self) -> Transport:
        with self._lock:
            if self._down:
                raise KubeUnavailable(self._down)
            try:
                return Transport(self._config_dict())
            except KubeUnavailable as exc:
                self._down = str(exc)
                raise KubeUnavailable(self._down) from None
            except (KeyError, TypeError, ValueError, OSError, urllib3.exceptions.HTTPError) as exc:
                self._down = str(KubeUnavailable(f"kubeconfig {self.source}: unusable ({exc})"))
                raise KubeUnavailable(self._down) from None

    def forget_failure(self) -> None:
        """An API server that failed is not asked again in this run (every claim after fails at once), except
        while the lab comes back from its reboot: then each try is a real one."""
        self._down = None

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """One API call, bounded; None for 404; a transport or auth failure ends the claim with one line."""
        if self._down:
            raise KubeUnavailable(self._down)
        try:
            return fn(*args, **kwargs)
        except ApiError as exc:
            if exc.status == 404:
                return None
            if exc.status in (401, 403):
                self._down = (f"API server {self.server} ({self.source}) refused the credentials: "
                              f"{exc.status} {exc.reason}")
                raise KubeUnavailable(self._down) from None
            if exc.status >= 500:
                raise KubeUnavailable(f"API server {self.server}: {what}: {exc.status} {exc.reason}"
                                      f"{api_message(exc, ': ')}") from None
            raise
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            self._down = str(KubeUnavailable(f"API server {self.server} ({self.source}) not answering during {what}: "
                                             f"{reason}"))
            raise KubeUnavailable(self._down) from None

    def send(self, method: str, path: str, what: str | None = None, query: dict[str, Any] | None = None,
             body: Any = None, answers: tuple[int, ...] = ()) -> tuple[int, str] | None:
        """One bounded request: its status and text; None for 404. A status of 400 or more that is not among
        `answers` is the API's error (call() says what it means)."""
        def once() -> tuple[int, str]:
            resp = self.api.request(method, path, query, body)
            text = resp.data.decode("utf-8", "replace")
            if resp.status >= 400 and resp.status not in answers:
                raise ApiError(resp.status, resp.reason or "", text)
            return resp.status, text

        return self.call(what or f"{method} {path}", once)

    def json(self, method: str, path: str, what: str | None = None, **kw: Any) -> Any:
        """One request whose answer is an API object (Obj, or a list's items), or None for 404."""
        got = self.send(method, path, what, **kw)
        return None if got is None else wrap(json.loads(got[1]))

    def items(self, path: str, what: str | None = None, **query: Any) -> list[Any]:
        """The items of an API list (GET)."""
        listed = self.json("GET", path, what, query=query or None)
        return listed.items or [] if listed is not None else []

    def data(self, obj: Any) -> Any:
        """An API object as the JSON the API server sent (camelCase keys), for evidence and comparison."""
        return as_json(obj)

    # --- reads -------------------------------------------------------------------------------------

    def version(self) -> dict[str, Any]:
        return self.data(self.json("GET", "/version"))

    def raw(self, path: str) -> str:
        """GET a plain API path (/healthz, /readyz) and return its text."""
        return self._get_text(path, answers=())[1]

    def health(self, path: str = "/healthz") -> tuple[int, str]:
        """GET a health path: its HTTP status and text. An unhealthy answer (a 5xx listing the failed checks,
        such as "[-]etcd failed") is an answer to judge, not a server that cannot be reached."""
        return self._get_text(path, answers=(500, 503))

    def _get_text(self, path: str, answers: tuple[int, ...]) -> tuple[int, str]:
        return self.send("GET", path, answers=answers)  # type: ignore[return-value]

    def nodes(self) -> list[Any]:
        return self.items("/api/v1/nodes")

    def pods(self, namespace: str, selector: str) -> list[Any]:
        return self.items(f"/api/v1/namespaces/{q(namespace)}/pods", f"GET pods -l {selector}", labelSelector=selector)

    def all_pods(self) -> list[Any]:
        return self.items("/api/v1/pods", "GET pods (all namespaces)")

    def deployment(self, name: str, namespace: str = "default") -> Any:
        return self.json("GET", deployment_path(name, namespace), f"GET deployment {namespace}/{name}")

    def service(self, name: str, namespace: str = "default") -> Any:
        return self.json("GET", service_path(name, namespace), f"GET service {namespace}/{name}")

    def config_map(self, name: str, namespace: str) -> Any:
        return self.json("GET", f"/api/v1/namespaces/{q(namespace)}/configmaps/{q(name)}",
                         f"GET configmap {namespace}/{name}")

    def daemon_sets(self) -> list[Any]:
        return self.items("/apis/apps/v1/daemonsets", "GET daemonsets (all namespaces)")

    def kubelet_config(self, node: str) -> dict[str, Any]:
        """The running kubelet's effective configuration (GET /api/v1/nodes/NODE/proxy/configz). The API
        server answering that it cannot reach the kubelet is what the claim saw: no running kubelet."""
        what = f"GET nodes/{node}/proxy/configz"
        got = self.send("GET", f"/api/v1/nodes/{q(node)}/proxy/configz", what, answers=(500, 502, 503))
        if got is not None and got[0] >= 500:
            exc = ApiError(got[0], HTTPStatus(got[0]).phrase, got[1])
            raise ClaimFailed(f"the kubelet of node {node} does not answer through the API server: "
                              f"{exc.status} {exc.reason}{api_message(exc, ': ')}")
        return yaml.safe_load(got[1]).get("kubeletconfig", {}) if got and got[1] else {}

    def live(self, manifest: dict[str, Any]) -> dict[str, Any] | None:
        """The live object a manifest document describes (Deployment or Service), as JSON, or None."""
        kind, meta = manifest.get("kind"), manifest.get("metadata") or {}
        ns = meta.get("namespace", "default")
        read = {"Deployment": self.deployment, "Service": self.service}.get(kind)
        if read is None:
            raise ValueError(f"no reader for kind {kind!r}")
        obj = read(meta["name"], ns)
        return None if obj is None else self.data(obj)

    def would_store(self, body: dict[str, Any]) -> dict[str, Any]:
        """What the API server would store if `body` replaced its live object: PUT with dryRun=All, the
        server-side dry run that `kubectl diff` makes, so every default is filled in and nothing changes."""
        meta = body["metadata"]
        ns = meta.get("namespace", "default")
        path = {"Deployment": deployment_path(meta["name"], ns),
                "Service": service_path(meta["name"], ns)}[body["kind"]]
        return self.data(self.json("PUT", path, f"PUT {body['kind'].lower()} {ns}/{meta['name']} (dryRun=All)",
                                   query={"dryRun": "All"}, body=body))

    def deployment_pods(self, name: str, namespace: str = "default", deleting: bool = False) -> list[Any]:
        """The pods a deployment's selector picks: live ones only, or (`deleting`) those being deleted too."""
        d = self.deployment(name, namespace)
        if d is None:
            return []
        pods = self.pods(namespace, selector_of(d))
        return pods if deleting else [p for p in pods if p.metadata.deletion_timestamp is None]

    def ready_pod_names(self, name: str, namespace: str = "default", deleting: bool = False) -> list[str]:
        """The deployment's ready pods; `deleting`: those being deleted too, while their Ready condition holds (a
        pod scaled away serves until its containers stop, and the Deployment counts it until then)."""
        return sorted(p.metadata.name for p in self.deployment_pods(name, namespace, deleting) if ready_condition(p))

    def pod_answers(self, name: str, port: int, timeout: float = 30) -> dict[str, dict[str, Any]]:
        """GET / at each ready pod's IP from the lab host; the first answer may wait for the JSP to compile."""
        out: dict[str, dict[str, Any]] = {}
        for pod in self.deployment_pods(name):
            if not pod_ready(pod):
                continue
            url = f"http://{pod.status.pod_ip}:{port}/"
            r = wait_for(lambda u=url: http.get(self.target, u, timeout=10), lambda r: r.status == 200, timeout, url)
            out[pod.metadata.name] = {**r.evidence(), "body": r.body.strip()}
        return out

    def node_address(self) -> str:
        node = self.nodes()[0]
        return next((a.address for a in node.status.addresses or [] if a.type == "InternalIP"), "127.0.0.1")

    def sample_node_port(self, service: str, deployment: str, count: int, say: Callable[[str], None] | None = None,
                         settle: bool = True) -> nodeport.NodePortTraffic:
        """Requests through a Service's NodePort, with the deployment's ready pods before and after. The
        sample starts once no connection entry on the lab host sends the port to a pod that is gone
        (labconform.kube.conntrack): the claim is about the Service as it stands, not a replaced pod."""
        s = self.service(service)
        if s is None or not s.spec.ports or not s.spec.ports[0].node_port:
            raise ClaimFailed(f"service {service}: absent or without a NodePort")
        address, port = self.node_address(), s.spec.ports[0].node_port
        alive = {p.status.pod_ip for p in self.deployment_pods(deployment) if p.status.pod_ip}
        settling = conntrack.await_stale_gone(self.target, address, port, alive, say) if settle else \
            conntrack.Settling("not waited for (settle=False)")
        before = self.ready_pod_names(deployment)
        sample = nodeport.sample_service(self.target, f"http://{address}:{port}/", count)
        return nodeport.NodePortTraffic(sample, before, self.ready_pod_names(deployment), settling.evidence())

    def cluster_ip_answer(self, service: str) -> http.Response:
        s = self.service(service)
        if s is None:
            raise ClaimFailed(f"service {service}: absent")
        url = f"http://{s.spec.cluster_ip}:{s.spec.ports[0].port}/"
        return wait_for(lambda: http.get(self.target, url, timeout=10), lambda r: r.status == 200, 30, url)

    # --- changes (the document's clean-up) ---------------------------------------------------------

    def scale(self, name: str, replicas: int, namespace: str = "default") -> None:
        self.send("PATCH", f"{deployment_path(name, namespace)}/scale", f"PATCH deployment {namespace}/{name}/scale",
                  body={"spec": {"replicas": replicas}})

    def delete_deployment(self, name: str, namespace: str = "default") -> None:
        self.send("DELETE", deployment_path(name, namespace), f"DELETE deployment {namespace}/{name}")


# --- what the claims derive from the objects ------------------------------------------------------


def q(name: str) -> str:
    """A name as one segment of an API path."""
    return urllib.parse.quote(name, safe="")


def deployment_path(name: str, namespace: str) -> str:
    return f"/apis/apps/v1/namespaces/{q(namespace)}/deployments/{q(name)}"


def service_path(name: str, namespace: str) -> str:
    return f"/api/v1/namespaces/{q(namespace)}/services/{q(name)}"


def tunnel_servers(target: Target, data: dict[str, Any]) -> dict[str, str]:
    """Point the target's own admin kubeconfig at a tunnel over its SSH connection: the API server
    is reached as the lab host reaches it, and its certificate is still checked under its own name
    ("kubernetes" is in every kubeadm API server certificate). Returns {tunnel URL: server URL}."""
    tunnels: dict[str, str] = {}
    for entry in data.get("clusters") or []:
        cluster = (entry or {}).get("cluster") or {}
        url = urllib.parse.urlsplit(cluster.get("server", ""))
        if not url.hostname:
            continue
        host, port = target.tunnel(url.hostname, url.port or 443)
        cluster["server"] = f"{url.scheme}://{host}:{port}"
        cluster.setdefault("tls-server-name", "kubernetes")
        tunnels[cluster["server"]] = url.geturl()
    return tunnels


def node_roles(node: Any) -> list[str]:
    labels = node.metadata.labels or {}
    return sorted(k.removeprefix(ROLE_PREFIX) for k in labels if k.startswith(ROLE_PREFIX))


def node_ready(node: Any) -> str:
    cond = next((c for c in node.status.conditions or [] if c.type == "Ready"), None)
    return cond.status if cond else "Unknown"


def pod_ready(pod: Any) -> bool:
    """Ready and not being deleted."""
    return pod.metadata.deletion_timestamp is None and ready_condition(pod)


def ready_condition(pod: Any) -> bool:
    """The pod's Ready condition is True (kubectl's READY n/n), being deleted or not."""
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def selector_of(obj: Any) -> str:
    sel = obj.spec.selector or {}  # a Deployment's is a LabelSelector, a Service's its labels
    labels = (sel.get("matchLabels", sel) if isinstance(sel, dict) else sel.match_labels) or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def container_of(deployment: Any, name: str) -> Any:
    return next((c for c in deployment.spec.template.spec.containers if c.name == name), None)


def container_setting(container: Any, setting: str) -> str:
    """One setting of a container spec, named as a sysadmin would name it."""
    limits = (container.resources.limits if container.resources else None) or {}
    values = {
        "image": container.image,
        "pull policy": container.image_pull_policy,
        "memory limit": limits.get("memory"),
        "cpu limit": limits.get("cpu"),
        "container port": ",".join(str(p.container_port) for p in container.ports or []),
    }
    if setting not in values:
        raise ValueError(f"unknown container setting {setting!r}; one of {sorted(values)}")
    return str(values[setting])


def in_network(address: str | None, cidr: str) -> bool:
    try:
        return ipaddress.ip_network(address, strict=False).subnet_of(ipaddress.ip_network(cidr))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def wait_for(observe: Any, ok: Any, timeout: float, what: str) -> Any:
    """Poll the API with a deadline; the last observation is returned either way (the claim judges it).
    An unreachable API server ends the wait at once."""

    def look() -> Any:
        try:
            return observe()
        except KubeUnavailable as exc:
            return exc

    try:
        value = until(look, lambda v: isinstance(v, KubeUnavailable) or ok(v), timeout=timeout, interval=0.5, what=what)
    except WaitTimeout as exc:
        value = exc.last
    if isinstance(value, KubeUnavailable):
        raise value
    return value
