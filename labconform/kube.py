"""Kubernetes as the claims see it: one API client per run, from the lab's admin kubeconfig, every call bounded."""

from __future__ import annotations

import ipaddress
import math
import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import urllib3
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from labconform import conntrack, http
from labconform.errors import ClaimFailed, LabUnreachable, WaitTimeout
from labconform.poll import until
from labconform.target import Target

ADMIN_CONF = "/etc/kubernetes/admin.conf"
# (connect, read) seconds for every API call: a dead API server ends a claim in seconds, not minutes
REQUEST_TIMEOUT = (3.0, 10.0)
ROLE_PREFIX = "node-role.kubernetes.io/"
MASTER_TAINT = "node-role.kubernetes.io/master"
# the scheduler and controller-manager serve only their secure ports since kubeadm v1.20
CONTROL_PLANE_PROCESSES = {
    6443: "kube-apiserver", 2379: "etcd", 2380: "etcd", 10250: "kubelet",
    10259: "kube-scheduler", 10257: "kube-controller-manager",
}


def api_message(exc: ApiException, prefix: str = "") -> str:
    """What the API server said along with an error status (its Status message, or the text), one line."""
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else (exc.body or "")
    try:
        body = (yaml.safe_load(body) or {}).get("message") or body
    except (yaml.YAMLError, AttributeError):
        pass
    text = " ".join(str(body).split())[:300]
    return f"{prefix}{text}" if text else ""


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
        host = self.api.configuration.host
        return getattr(self, "_tunnels", {}).get(host, host)

    @cached_property
    def api(self) -> k8s.ApiClient:
        with self._lock:
            if self._down:
                raise KubeUnavailable(self._down)
            conf = k8s.Configuration()
            try:
                k8s_config.load_kube_config_from_dict(self._config_dict(), client_configuration=conf)
            except KubeUnavailable as exc:
                self._down = str(exc)
                raise KubeUnavailable(self._down) from None
            except (ConfigException, KeyError, TypeError, ValueError, OSError) as exc:
                self._down = str(KubeUnavailable(f"kubeconfig {self.source}: unusable ({exc})"))
                raise KubeUnavailable(self._down) from None
            conf.retries = 0  # one attempt per call; the claims' own waits decide about retrying
            return k8s.ApiClient(conf)

    def forget_failure(self) -> None:
        """An API server that failed is not asked again in this run (every claim after fails at once), except
        while the lab comes back from its reboot: then each try is a real one."""
        self._down = None

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """One API call, bounded; None for 404; a transport or auth failure ends the claim with one line."""
        if self._down:
            raise KubeUnavailable(self._down)
        try:
            return fn(*args, _request_timeout=REQUEST_TIMEOUT, **kwargs)
        except ApiException as exc:
            if exc.status == 404:
                return None
            if exc.status in (401, 403):
                self._down = (f"API server {self.server} ({self.source}) refused the credentials: "
                              f"{exc.status} {exc.reason}")
                raise KubeUnavailable(self._down) from None
            if exc.status == 0 or exc.status is None or exc.status >= 500:
                raise KubeUnavailable(f"API server {self.server}: {what}: {exc.status} {exc.reason}"
                                      f"{api_message(exc, ': ')}") from None
            raise
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            self._down = str(KubeUnavailable(f"API server {self.server} ({self.source}) not answering during {what}: "
                                             f"{reason}"))
            raise KubeUnavailable(self._down) from None

    def data(self, obj: Any) -> Any:
        """An API object as the JSON the API server sent (camelCase keys), for evidence and comparison."""
        return self.api.sanitize_for_serialization(obj)

    @cached_property
    def core(self) -> k8s.CoreV1Api:
        return k8s.CoreV1Api(self.api)

    @cached_property
    def apps(self) -> k8s.AppsV1Api:
        return k8s.AppsV1Api(self.api)

    # --- reads -------------------------------------------------------------------------------------

    def version(self) -> dict[str, Any]:
        return self.data(self.call("GET /version", k8s.VersionApi(self.api).get_code))

    def raw(self, path: str) -> str:
        """GET a plain API path (/healthz, /readyz) and return its text."""
        def get(_request_timeout: Any) -> str:
            resp = self.api.call_api(*self.api.param_serialize("GET", path, auth_settings=["BearerToken"]),
                                     _request_timeout=_request_timeout)
            resp.read()
            if resp.status >= 400:
                raise ApiException(status=resp.status, reason=resp.reason)
            return resp.data.decode("utf-8", "replace")

        return self.call(f"GET {path}", get)

    def nodes(self) -> list[Any]:
        return self.call("GET /api/v1/nodes", self.core.list_node).items

    def pods(self, namespace: str, selector: str) -> list[Any]:
        return self.call(f"GET pods -l {selector}", self.core.list_namespaced_pod, namespace,
                         label_selector=selector).items

    def deployment(self, name: str, namespace: str = "default") -> Any:
        return self.call(f"GET deployment {namespace}/{name}", self.apps.read_namespaced_deployment, name, namespace)

    def service(self, name: str, namespace: str = "default") -> Any:
        return self.call(f"GET service {namespace}/{name}", self.core.read_namespaced_service, name, namespace)

    def config_map(self, name: str, namespace: str) -> Any:
        return self.call(f"GET configmap {namespace}/{name}", self.core.read_namespaced_config_map, name, namespace)

    def daemon_sets(self) -> list[Any]:
        return self.call("GET daemonsets (all namespaces)", self.apps.list_daemon_set_for_all_namespaces).items

    def kubelet_config(self, node: str) -> dict[str, Any]:
        """The running kubelet's effective configuration (GET /api/v1/nodes/NODE/proxy/configz). The API
        server answering that it cannot reach the kubelet is what the claim saw: no running kubelet."""
        def get(_request_timeout: Any) -> str:
            try:
                return self.core.connect_get_node_proxy_with_path(node, "configz", _request_timeout=_request_timeout)
            except ApiException as exc:
                if exc.status in (502, 503, 500):
                    raise ClaimFailed(f"the kubelet of node {node} does not answer through the API server: "
                                      f"{exc.status} {exc.reason}{api_message(exc, ': ')}") from None
                raise

        text = self.call(f"GET nodes/{node}/proxy/configz", get)
        return yaml.safe_load(text).get("kubeletconfig", {}) if text else {}

    def live(self, manifest: dict[str, Any]) -> dict[str, Any] | None:
        """The live object a manifest document describes (Deployment or Service), as JSON, or None."""
        kind, meta = manifest.get("kind"), manifest.get("metadata") or {}
        ns = meta.get("namespace", "default")
        read = {"Deployment": self.deployment, "Service": self.service}.get(kind)
        if read is None:
            raise ValueError(f"no reader for kind {kind!r}")
        obj = read(meta["name"], ns)
        return None if obj is None else self.data(obj)

    def deployment_pods(self, name: str, namespace: str = "default") -> list[Any]:
        """The pods a deployment's selector picks, live ones only (not those being deleted)."""
        d = self.deployment(name, namespace)
        if d is None:
            return []
        return [p for p in self.pods(namespace, selector_of(d)) if p.metadata.deletion_timestamp is None]

    def ready_pod_names(self, name: str, namespace: str = "default") -> list[str]:
        return sorted(p.metadata.name for p in self.deployment_pods(name, namespace) if pod_ready(p))

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
                         settle: bool = True) -> dict[str, Any]:
        """Requests through a Service's NodePort, with the deployment's ready pods before and after. The
        sample starts once no connection entry on the lab host sends the port to a pod that is gone
        (labconform.conntrack): the claim is about the Service as it stands, not a replaced pod."""
        s = self.service(service)
        if s is None or not s.spec.ports or not s.spec.ports[0].node_port:
            raise ClaimFailed(f"service {service}: absent or without a NodePort")
        address, port = self.node_address(), s.spec.ports[0].node_port
        alive = {p.status.pod_ip for p in self.deployment_pods(deployment) if p.status.pod_ip}
        settling = conntrack.await_stale_gone(self.target, address, port, alive, say) if settle else \
            conntrack.Settling("not waited for (settle=False)")
        before = self.ready_pod_names(deployment)
        sample = sample_service(self.target, f"http://{address}:{port}/", count)
        return {"sample": sample, "pods_before": before, "pods_after": self.ready_pod_names(deployment),
                "settling": settling.evidence()}

    def cluster_ip_answer(self, service: str) -> http.Response:
        s = self.service(service)
        if s is None:
            raise ClaimFailed(f"service {service}: absent")
        url = f"http://{s.spec.cluster_ip}:{s.spec.ports[0].port}/"
        return wait_for(lambda: http.get(self.target, url, timeout=10), lambda r: r.status == 200, 30, url)

    # --- changes (the document's clean-up) ---------------------------------------------------------

    def scale(self, name: str, replicas: int, namespace: str = "default") -> None:
        self.call(f"PATCH deployment {namespace}/{name}/scale", self.apps.patch_namespaced_deployment_scale,
                  name, namespace, {"spec": {"replicas": replicas}})

    def delete_deployment(self, name: str, namespace: str = "default") -> None:
        self.call(f"DELETE deployment {namespace}/{name}", self.apps.delete_namespaced_deployment, name, namespace)


# --- what the claims derive from the objects ------------------------------------------------------


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
    if pod.metadata.deletion_timestamp is not None:
        return False
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def selector_of(obj: Any) -> str:
    labels = (obj.spec.selector.match_labels if hasattr(obj.spec.selector, "match_labels") else obj.spec.selector) or {}
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


def subset_drift(want: Any, have: Any, path: str = "") -> list[str]:
    """Where `have` (the live object) differs from `want` (the file): every field the file sets must
    hold the same value live; fields the server adds (defaults, status) are not drift."""
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return [f"{path or '.'}: file has a mapping, cluster has {have!r}"]
        out: list[str] = []
        for k, v in want.items():
            out += subset_drift(v, have.get(k), f"{path}.{k}")
        return out
    if isinstance(want, list):
        if not isinstance(have, list) or len(have) != len(want):
            return [f"{path}: file has {len(want)} item(s), cluster has {have!r}"]
        out = []
        for i, (w, h) in enumerate(zip(want, have, strict=True)):
            out += subset_drift(w, h, f"{path}[{i}]")
        return out
    if str(want) != str(have):
        return [f"{path}: file {want!r}, cluster {have!r}"]
    return []


# --- sampling a Service: how the requests were split ---------------------------------------------

GREETING = re.compile(r"Hello, I am (\S+)")
_MARK = "@@labconform"


@dataclass
class Sample:
    """Requests sent through a Service, each on a new connection, and who answered them."""

    url: str
    sent: int
    answers: list[str] = field(default_factory=list)  # the pod name each answer gave
    failures: list[str] = field(default_factory=list)  # what a request got instead of an answer
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for name in self.answers:
            out[name] = out.get(name, 0) + 1
        return dict(sorted(out.items()))


def sample_service(target: Target, url: str, count: int, per_request_s: float = 3) -> Sample:
    """Send `count` GETs from the lab host, each on its own connection (a Service balances connections,
    not requests), in one curl process; bounded by `count * per_request_s` however the pods behave."""
    res = target.run(
        "curl -s -H 'Connection: close' -m %s -w %s %s",
        str(per_request_s), f"\\n{_MARK} %{{http_code}} %{{exitcode}} %{{time_total}}\\n", f"{url}?n=[1-{count}]",
        timeout=count * per_request_s + 10,
    )
    sample = Sample(url, count)
    body: list[str] = []
    for line in res.stdout.splitlines():
        if not line.startswith(_MARK):
            body.append(line)
            continue
        code, exitcode, seconds = line.split()[1:4]
        m = GREETING.search("\n".join(body))
        if code == "200" and m:
            sample.answers.append(m.group(1))
        else:
            sample.failures.append(f"request {len(sample.answers) + len(sample.failures) + 1}: HTTP {code}, "
                                   f"curl exit {exitcode} after {float(seconds):.1f} s: {' '.join(body)[:80]!r}")
        sample.seconds += float(seconds)
        body = []
    if len(sample.answers) + len(sample.failures) < count:  # the loop itself was cut short
        sample.failures.append(f"{count - len(sample.answers) - len(sample.failures)} request(s) never completed "
                               f"(exit {res.rc}: {res.stderr.strip()[-200:]})")
    return sample


def binomial_two_sided_p(k: int, n: int, p: float = 0.5) -> float:
    """Exact two-sided binomial test: the probability, under share p, of a split at most as likely as k of n
    (the method of R's binom.test and scipy's binomtest)."""
    if n == 0:
        return 1.0
    probs = [math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(n + 1)]
    observed = probs[k] * (1 + 1e-7)
    return min(1.0, sum(q for q in probs if q <= observed))


def judge_split(traffic: dict[str, Any], pods: int, alpha: float) -> dict[str, Any]:
    """Both pods answered, the pods did not change while sampling, and an exact two-sided binomial test of
    equal shares does not reject at `alpha`."""
    sample = traffic["sample"]
    counts = sample.counts()
    how = (f"exact two-sided binomial test of equal shares (H0: p = 1/{pods}) on {len(sample.answers)} answers "
           f"out of {sample.sent} requests; reject when p < {alpha:g}")
    expected = f"{pods} pods answering, p-value >= {alpha:g}"
    if traffic["pods_before"] != traffic["pods_after"]:
        found = f"the ready pods changed while sampling: {traffic['pods_before']} -> {traffic['pods_after']}"
        return {"ok": False, "expected": expected, "found": found, "how": how}
    if len(counts) != pods or pods != 2:
        return {"ok": False, "expected": expected, "found": f"{len(counts)} pod(s) answered: {counts}", "how": how}
    k = min(counts.values())
    p = binomial_two_sided_p(k, len(sample.answers))
    return {"ok": p >= alpha, "expected": expected, "found": {"counts": counts, "p_value": round(p, 6)}, "how": how}


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


# --- the host a cluster needs: each probe returns what it found and how it looked --------------------


class Probe:
    """What a probe found, how it looked, and the raw details a reviewer may want."""

    def __init__(self, found: Any, how: str, **details: Any) -> None:
        self.found, self.how, self.details = found, how, details


def sysctl(target: Target, key: str) -> Probe:
    path = "/proc/sys/" + key.replace(".", "/")
    text = target.read_text(path)
    return Probe(text.strip() if text is not None else f"{path} absent", f"read {path} (sysctl {key})")


SYSCTL_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d")


def sysctl_at_boot(target: Target, key: str) -> Probe:
    """The value `sysctl --system` (and systemd-sysctl at boot) would set: the *.conf files of the sysctl.d
    folders by name, a name in an earlier folder hiding the same name in a later one, /etc/sysctl.conf last;
    the last assignment wins. Found: {"value": ..., "file": ...} or value None."""
    listing = target.run("for d in %s %s %s %s %s; do ls -1 \"$d\"/*.conf 2>/dev/null; done", *SYSCTL_DIRS).stdout
    by_name: dict[str, str] = {}
    for path in listing.split():
        by_name.setdefault(path.rsplit("/", 1)[1], path)
    files = [by_name[n] for n in sorted(by_name)] + ["/etc/sysctl.conf"]
    value, source = None, None
    for path in files:
        for line in (target.read_text(path) or "").splitlines():
            k, sep, v = line.lstrip("-").partition("=")
            if sep and not line.lstrip().startswith(("#", ";")) and k.strip().replace("/", ".") == key:
                value, source = v.strip(), path
    return Probe({"value": value, "file": source}, f"key = value lines of {', '.join(files)} (sysctl --system order)")


def active_swaps(target: Target) -> Probe:
    lines = (target.read_text("/proc/swaps") or "").splitlines()[1:]
    return Probe([ln.split()[0] for ln in lines if ln.strip()], "read /proc/swaps (swapon --show)")


def fstab_swaps(target: Target) -> Probe:
    active = []
    for line in (target.read_text("/etc/fstab") or "").splitlines():
        fields = line.split()
        if len(fields) >= 3 and not fields[0].startswith("#") and fields[2] == "swap":
            active.append(line.strip())
    return Probe(active, "uncommented lines of /etc/fstab with type swap")


def listeners(target: Target, port: int) -> Probe:
    """The processes listening on a TCP port of the host (any address)."""
    res = target.run(f"ss -Hltnp 'sport = :{int(port)}'")
    names = sorted(set(re.findall(r'\(\("([^"]+)"', res.stdout)))
    return Probe(names, f"ss -Hltnp 'sport = :{port}'", output=res.stdout.strip())


def comm(process: str) -> str:
    """A process name as the kernel keeps it (and ss shows it): its first 15 characters."""
    return process[:15]


def selinux_mode(target: Target) -> Probe:
    text = target.read_text("/sys/fs/selinux/enforce")
    if text is None:
        return Probe(None, "read /sys/fs/selinux/enforce: absent, the kernel has no SELinux")
    return Probe("enforcing" if text.strip() == "1" else "permissive", "read /sys/fs/selinux/enforce")


# newer policies name svirt_sandbox_file_t container_file_t: one type, two names
SELINUX_ALIASES = {"svirt_sandbox_file_t": {"svirt_sandbox_file_t", "container_file_t"}}


def selinux_type(target: Target, path: str) -> Probe:
    res = target.run("stat -c %%C %s", path)
    parts = res.stdout.strip().split(":")
    return Probe(parts[2] if res.ok and len(parts) >= 3 else (res.stderr.strip() or "no context"),
                 f"stat -c %C {path}")


AUDIT_LOG = "/var/log/audit/audit.log"
KUBE_SUBJECTS = re.compile(r"container_t|spc_t|kube|etcd|dockerd|containerd|runc|flannel|comm=\"java\"")


def selinux_denials(target: Target) -> Probe:
    text = target.read_text(AUDIT_LOG)
    if text is None:
        return Probe(None, f"read {AUDIT_LOG}: absent")
    hits = [ln for ln in text.splitlines() if "avc:" in ln and "denied" in ln and KUBE_SUBJECTS.search(ln)]
    return Probe(hits, f"AVC denials in {AUDIT_LOG} naming containers or Kubernetes processes")


def tool_versions(target: Target) -> Probe:
    """The version each of kubeadm, kubelet and kubectl reports, and which file answered."""
    out: dict[str, str] = {}
    paths: dict[str, str] = {}
    for tool, cmd in (("kubeadm", "kubeadm version -o short"), ("kubelet", "kubelet --version"),
                      ("kubectl", "kubectl version --client --short")):
        paths[tool] = target.run("command -v %s", tool).stdout.strip() or "not on PATH"
        res = target.run(cmd, timeout=20)
        m = re.search(r"v\d+\.\d+\.\d+\S*", res.stdout)
        out[tool] = m.group(0) if res.ok and m else f"no version (exit {res.rc})"
    return Probe(out, "kubeadm version -o short; kubelet --version; kubectl version --client --short", paths=paths)


def login_env(target: Target, user: str, var: str) -> Probe:
    """A variable as a login shell of `user` sees it (what their profile files export)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var):  # it is written into the login shell's script
        raise ValueError(f"not a variable name: {var!r}")
    res = target.run(
        "home=$(getent passwd %s | cut -d: -f6); env -i HOME=\"$home\" USER=%s TERM=dumb bash -l -c %s </dev/null",
        user, user, f'printf "@@%s@@" "${var}"', timeout=20,
    )
    m = re.search(r"@@(.*)@@", res.stdout, re.S)
    return Probe(m.group(1) if m else None, f"a login shell of {user}: bash -l -c 'echo ${var}'")


def runtime_containers(docker_lab: Any, name: str) -> Probe:
    """Running Docker containers whose name holds `name` (dockershim names them k8s_<container>_<pod>...)."""
    with docker_lab.api(f"docker ps --filter name={name}"):
        found = docker_lab.client.containers.list(filters={"name": name})
    return Probe([f"{c.name} ({c.status})" for c in found], f"docker ps --filter name={name}")
