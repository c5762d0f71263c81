"""Kubernetes: a one-node kubeadm cluster, hw-deploy and its NodePort (the document's Rocky path, or v1.20.2
built from Debian's source on an offline Debian lab)."""

from __future__ import annotations

import fcntl
import ipaddress
import json
import os
import shlex
from pathlib import Path
from typing import IO, Any

from labconform import firewall
from labconform.errors import WaitTimeout
from labconform.kube import ADMIN_CONF
from labconform.poll import until
from provision.core import Step, StepFailed
from provision.docker_ce import LIBEXEC, restart_supervised, stop_supervised
from provision.progress import run_watched

FILES = Path(__file__).parent / "files"
K8S_VERSION = "v1.20.2"
CACHE = "/var/cache/labconform/kubernetes"
# bump when k8s-build.sh changes what it produces: the cached build is then rebuilt
BUILD_RECIPE = "v1.20.2+reflect2-1.0.2+pause-static.1"
IMAGES_RECIPE = f"{BUILD_RECIPE}+images.1"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
POD_CIDR = "10.244.0.0/16"
MANIFEST = "/app/cluster.yaml"
DEPLOYMENT, SERVICE = "hw-deploy", "hw"
POD_LABEL = "app=hw"  # the Deployment's selector in the document's manifest
HOST_BINARIES = ("kubeadm", "kubelet", "kubectl")
CNI_CONF = "/etc/cni/net.d/10-labconform-bridge.conflist"
CNI_PLUGINS = ("bridge", "host-local", "portmap", "loopback")
KUBELET_WRAPPER = f"{LIBEXEC}/k8s-kubelet.sh"
MASTER_TAINT = "node-role.kubernetes.io/master"
SYSCTL_CONF = "/etc/sysctl.d/k8s.conf"
SYSCTLS = {"net.bridge.bridge-nf-call-ip6tables": "1", "net.bridge.bridge-nf-call-iptables": "1"}
# what kubeadm v1.20.2 pulls; built locally on the offline lab
IMAGES = tuple(f"k8s.gcr.io/{c}:{K8S_VERSION}" for c in
               ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")) + (
    "k8s.gcr.io/etcd:3.4.13-0", "k8s.gcr.io/pause:3.2")
# kubeadm's preflight asks systemctl whether docker is enabled: without systemd that check cannot pass; and it
# pulls every image, CoreDNS's too, which no registry serves offline (its addon phase is skipped, the
# control-plane images are built here by an earlier step)
IGNORED_PREFLIGHT = ("Service-Docker", "ImagePull")
# the host tools kubeadm's preflight looks for (conntrack, ip, ethtool, socat, ebtables, nsenter)
HOST_TOOLS = ("conntrack", "ebtables", "ethtool", "socat", "iproute2", "util-linux", "containernetworking-plugins")
FLANNEL_URL = "https://raw.githubusercontent.com/coreos/flannel/master/Documentation/kube-flannel.yml"
FIREWALL_PORTS = (6443, 2379, 2380, 10250, 10251, 10252)
DOCKER_SUBNET = "172.17.0.0/16"
SELINUX_DIRS = ("/var/lib/etcd", "/etc/kubernetes/pki", "/etc/cni/net.d")

# the document's Deployment, byte for byte as its heredoc writes it
CLUSTER_YAML = """\
# Pods with Hello World in each
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hw-deploy
  labels:
    app: hw
spec:
  replicas: 2
  selector:
    matchLabels:
      app: hw
  template:
    metadata:
      labels:
        app: hw
    spec:
      containers:
        - name: hw-contain
          image: mytc
          imagePullPolicy: IfNotPresent
          ports:
          - containerPort: 8080
          resources:
            limits:
              memory: "256Mi"
              cpu: "500m"
"""

KUBERNETES_REPO = """\
[kubernetes]
name=Kubernetes
baseurl=https://packages.cloud.google.com/yum/repos/kubernetes-el7-\\$basearch
enabled=1
gpgcheck=1
repo_gpgcheck=1
gpgkey=https://packages.cloud.google.com/yum/doc/yum-key.gpg https://packages.cloud.google.com/yum/doc/rpm-package-key.gpg
exclude=kubelet kubeadm kubectl
"""


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

    def get(self, what: str) -> dict[str, Any] | None:
        """`kubectl get WHAT -o json`, or None when it is absent or the API does not answer."""
        rc, out = self.run(f"{self.kubectl} get {what} -o json --request-timeout=10s")
        try:
            return json.loads(out) if rc == 0 else None
        except json.JSONDecodeError:
            return None

    def healthy(self) -> bool:
        rc, out = self.run(f"{self.kubectl} get --raw=/healthz --request-timeout=5s")
        return rc == 0 and out.strip() == "ok"

    def nodes(self) -> list[dict[str, Any]]:
        return (self.get("nodes") or {}).get("items", [])

    def node_port_answers(self) -> tuple[bool, str]:
        svc = self.get(f"service {SERVICE}")
        ports = (svc or {}).get("spec", {}).get("ports") or [{}]
        port = ports[0].get("nodePort")
        if not port:
            return False, f"service {SERVICE} has no NodePort"
        rc, out = self.run(f"curl -s -m 5 http://127.0.0.1:{port}/")
        ok = rc == 0 and out.startswith("Hello, I am hw-deploy-")
        return ok, f"NodePort {port} answers {out.strip()[:60]!r}" if ok else f"NodePort {port}: no answer (curl {rc})"


    def pods_answering(self, replicas: int) -> tuple[bool, str]:
        """Each live pod of the Deployment answers with its own name at its address, and there are `replicas`
        of them: the document's Deployment has no readiness probe, so a pod is "available" before its Tomcat
        listens, and the Service sends it requests it refuses."""
        pods = [p for p in (self.get(f"pods -l {POD_LABEL}") or {}).get("items", [])
                if not p.get("metadata", {}).get("deletionTimestamp")]
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


def _ready(node: dict[str, Any]) -> bool:
    conditions = node.get("status", {}).get("conditions", [])
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _wait(ctx: Any, ok: Any, timeout: float, what: str) -> None:
    def look() -> bool:
        ctx.state.forget()
        return bool(ok())

    try:
        until(look, timeout=timeout, interval=1, what=what)
    except WaitTimeout as exc:
        raise StepFailed(str(exc)) from None


def init_command() -> str:
    ignore = ",".join(IGNORED_PREFLIGHT)
    return (f"kubeadm init --kubernetes-version={K8S_VERSION} --pod-network-cidr={POD_CIDR} "
            f"--skip-phases=addon/coredns --ignore-preflight-errors={ignore}")


# --- steps both families share ------------------------------------------------------------------

LOCK = "/run/labconform/k8s-provision.lock"
_held: dict[str, IO[str]] = {}  # kept open for the life of this process: the kernel drops the lock at exit


def lock_step(ctx: Any) -> Step:
    """One Kubernetes provisioning at a time on a host: two kubeadm runs at once break each other's cluster.
    A second run waits (bounded) for the first, then finds its work done."""

    def take() -> bool:
        fh = open(LOCK, "a+")  # noqa: SIM115 - held until the process ends
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        fh.truncate(0)
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        _held[LOCK] = fh
        return True

    def check() -> tuple[bool, str]:
        if ctx.state.recorded or not ctx.target.is_local:
            return True, "no lock: recorded facts, or a remote target (the lock is local only)"
        if LOCK not in _held:
            os.makedirs(os.path.dirname(LOCK), exist_ok=True)
            if not take():
                ctx.say(f"another provisioning run holds {LOCK}; waiting for it")
                try:
                    until(take, timeout=1800, interval=2, what=f"{LOCK} free")
                except WaitTimeout as exc:
                    raise StepFailed(str(exc)) from None
        return True, f"{LOCK} held by this run (pid {os.getpid()})"

    return Step("Kubernetes provisioning lock", (), check, lambda: None, (f"flock {LOCK}",))



def sysctl_step(ctx: Any) -> Step:
    want = "".join(f"{k} = {v}\n" for k, v in SYSCTLS.items())

    def check() -> tuple[bool, str]:
        live = {k: (ctx.state.text("/proc/sys/" + k.replace(".", "/")) or "absent").strip() for k in SYSCTLS}
        ok = ctx.state.text(SYSCTL_CONF) == want and set(live.values()) == {"1"}
        return ok, f"{SYSCTL_CONF} in place, {live}" if ok else f"{SYSCTL_CONF} missing or different, now {live}"

    def apply() -> None:
        ctx.put(SYSCTL_CONF, want.encode())
        ctx.sh(f"sysctl -p {SYSCTL_CONF}")

    cmds = (f"cat <<EOF > {SYSCTL_CONF} ... EOF  (bridge-nf-call-ip6tables and -iptables = 1)", "sysctl --system")
    return Step("bridged traffic through iptables", ("k8s-prep-01",), check, apply, cmds)


def swap_step(ctx: Any) -> Step:
    def active_fstab() -> list[str]:
        return [ln for ln in (ctx.state.text("/etc/fstab") or "").splitlines()
                if len(ln.split()) >= 3 and not ln.lstrip().startswith("#") and ln.split()[2] == "swap"]

    def check() -> tuple[bool, str]:
        swaps = (ctx.state.text("/proc/swaps") or "").splitlines()[1:]
        fstab = active_fstab()
        ok = not swaps and not fstab
        return ok, "no swap in use or in /etc/fstab" if ok else f"swap in use {swaps}, in /etc/fstab {fstab}"

    cmds = ("swapoff -a", "sed -i '/^[^#].*\\sswap\\s/ s/^/#/' /etc/fstab")  # comments out the swap line
    return Step("swap off", ("k8s-prep-02",), check, lambda: ctx.sh(*cmds), cmds)


def profile_step(ctx: Any) -> Step:
    line = f"export KUBECONFIG={ADMIN_CONF}"

    def profile() -> str:
        # the file a login bash of root reads: the first of these that exists (Rocky: .bash_profile)
        for name in (".bash_profile", ".bash_login", ".profile"):
            if ctx.state.text(f"/root/{name}") is not None:
                return f"/root/{name}"
        return "/root/.bash_profile"

    def check() -> tuple[bool, str]:
        path = profile()
        ok = line in (ctx.state.text(path) or "").splitlines()
        return ok, f"{path} exports KUBECONFIG" if ok else f"{path} does not export KUBECONFIG"

    def apply() -> None:
        path = profile()
        text = ctx.state.text(path) or ""
        ctx.put(path, (text + ("" if not text or text.endswith("\n") else "\n") + line + "\n").encode())

    return Step("root's login profile exports KUBECONFIG", ("k8s-init-03",), check, apply,
                (f'echo "{line}" >> $HOME/.bash_profile',))


def cluster_steps(ctx: Any, k: Cluster) -> list[Step]:
    """From an answering API server to hw reachable: taint, node Ready, the manifest, hw-deploy, hw."""
    rhel = ctx.state.facts.family == "rhel"
    out: list[Step] = []

    def taint_check() -> tuple[bool, str]:
        nodes = k.nodes()
        tainted = [n["metadata"]["name"] for n in nodes
                   if any(t.get("key") == MASTER_TAINT for t in n.get("spec", {}).get("taints") or [])]
        ok = bool(nodes) and not tainted
        return ok, "no node tainted master" if ok else f"tainted: {tainted or 'no nodes seen'}"

    taint_cmd = f"kubectl taint nodes --all {MASTER_TAINT}-"
    out.append(Step("master taint removed", ("k8s-init-04",), taint_check,
                    lambda: ctx.sh(taint_cmd.replace("kubectl", k.kubectl, 1)), (taint_cmd,)))

    if rhel:
        def flannel_check() -> tuple[bool, str]:
            ds = k.get("daemonset -n kube-flannel kube-flannel-ds")
            ok = bool(ds) and ds["status"].get("numberReady", 0) == ds["status"].get("desiredNumberScheduled", -1)
            return ok, "kube-flannel-ds ready" if ok else "kube-flannel-ds absent or not ready"

        fl_cmd = f"kubectl apply -f {FLANNEL_URL}"
        out.append(Step("Flannel", ("k8s-flannel-01",), flannel_check,
                        lambda: ctx.sh(fl_cmd.replace("kubectl", k.kubectl, 1)), (fl_cmd,)))

    def ready_check() -> tuple[bool, str]:
        nodes = k.nodes()
        ok = bool(nodes) and all(_ready(n) for n in nodes)
        return ok, f"{len(nodes)} node(s) Ready" if ok else "node not Ready yet"

    out.append(Step("node Ready", ("k8s-net-01",), ready_check,
                    lambda: _wait(ctx, lambda: ready_check()[0], 180, "node Ready"),
                    ("kubectl get nodes  (repeat until Ready)",)))

    def manifest_check() -> tuple[bool, str]:
        ok = ctx.state.text(MANIFEST) == CLUSTER_YAML
        return ok, f"{MANIFEST} holds the document's Deployment" if ok else f"{MANIFEST} missing or different"

    out.append(Step("the Deployment manifest", ("k8s-app-01",), manifest_check,
                    lambda: ctx.put(MANIFEST, CLUSTER_YAML.encode()), (f"cat <<EOT > {MANIFEST} ... EOT",)))

    def deploy_check() -> tuple[bool, str]:
        rc, diff = k.run(f"{k.kubectl} diff -f {MANIFEST}")
        if rc != 0:
            return False, "hw-deploy differs from the manifest" if rc == 1 else f"kubectl diff exited {rc}"
        d = k.get(f"deployment {DEPLOYMENT}") or {}
        avail, replicas = d.get("status", {}).get("availableReplicas", 0), d.get("spec", {}).get("replicas", 0)
        if avail != replicas:
            return False, f"{DEPLOYMENT}: {avail} available"
        ok, answers = k.pods_answering(replicas)
        return ok, f"{DEPLOYMENT} as in {MANIFEST}, {avail} available, {answers}" if ok else \
            f"{DEPLOYMENT}: {answers}"

    def deploy_apply() -> None:
        ctx.sh(f"{k.kubectl} apply -f {MANIFEST}", f"{k.kubectl} rollout status deployment/{DEPLOYMENT} --timeout=180s",
               timeout=200)
        replicas = (k.get(f"deployment {DEPLOYMENT}") or {}).get("spec", {}).get("replicas", 0)
        _wait(ctx, lambda: k.pods_answering(replicas)[0], 120, f"each pod of {DEPLOYMENT} answering at its address")

    out.append(Step(DEPLOYMENT, ("k8s-app-02", "k8s-app-03", "k8s-app-04", "k8s-app-05", "k8s-app-06"),
                    deploy_check, deploy_apply, (f"kubectl apply -f {MANIFEST}", "kubectl get deploy")))

    def svc_check() -> tuple[bool, str]:
        svc = k.get(f"service {SERVICE}")
        if svc is None:
            return False, f"service {SERVICE} absent"
        spec = svc["spec"]
        if spec.get("type") != "NodePort" or spec.get("selector") != {"app": "hw"}:
            return False, f"service {SERVICE} is {spec.get('type')} selecting {spec.get('selector')}"
        return k.node_port_answers()

    expose = f"kubectl expose deployment {DEPLOYMENT} --type=NodePort --name={SERVICE}"

    def svc_apply() -> None:
        svc = k.get(f"service {SERVICE}")
        if svc is None or svc["spec"].get("type") != "NodePort" or svc["spec"].get("selector") != {"app": "hw"}:
            if svc is not None:
                ctx.sh(f"{k.kubectl} delete service {SERVICE}")
            ctx.sh(expose.replace("kubectl", k.kubectl, 1))
        _wait(ctx, lambda: k.node_port_answers()[0], 120, f"service {SERVICE} answering on its NodePort")

    out.append(Step(f"service {SERVICE} (NodePort)", ("k8s-svc-01", "k8s-svc-02", "k8s-svc-03"), svc_check,
                    svc_apply, (expose,)))
    return out


FIREWALL_CMDS = (
    "firewall-cmd --zone=public --permanent --add-port={" + ",".join(map(str, FIREWALL_PORTS)) + "}/tcp",
    "firewall-cmd --zone=public --permanent --add-rich-rule "
    f"'rule family=ipv4 source address={DOCKER_SUBNET} accept'",
)
POD_MASQUERADE = f"rule family=ipv4 source address={POD_CIDR} destination not address={POD_CIDR} masquerade"
# The bridge CNI's own rules for the pods (their masquerade, in iptables' nat table) are flushed by every start and
# reload of firewalld 1.3 (Debian 12), which flushes iptables' tables (firewalld#863, fixed upstream in 2.x only
# without direct rules): the pod network is made firewalld's own, so that it survives a reload. Pods are trusted
# (they reach each other through cni0 and the host's ports) and masqueraded when they leave the node.
POD_NETWORK_CMDS = (
    f"firewall-cmd --permanent --zone=trusted --add-source={POD_CIDR}",
    f"firewall-cmd --permanent --zone=public --add-rich-rule '{POD_MASQUERADE}'",
)


def firewall_step(ctx: Any, k: Cluster) -> Step:
    """firewalld enabled and running with the document's ports and Docker subnet rule, on disk and in force.
    Docker (20.10+) joins firewalld only when it starts while firewalld runs: its docker0 then sits in firewalld's
    `docker` zone and Docker re-makes its iptables rules after every firewalld reload; kube-proxy and kubelet do
    the same from their canary chains (KUBE-PROXY-CANARY, KUBE-KUBELET-CANARY) within their sync period."""
    debian = ctx.state.facts.family == "debian"
    cmds = FIREWALL_CMDS + (POD_NETWORK_CMDS if debian else ())

    def zone(name: str, mode: str) -> dict[str, Any]:
        rc, out = k.run(firewall.list_all_command(name, mode))
        return firewall.parse_list_all(out) if rc == 0 else {}

    def docker_joined() -> bool:
        return k.run("firewall-cmd --get-zone-of-interface=docker0")[1].strip() == "docker"

    def check() -> tuple[bool, str]:
        if debian and not ctx.state.package("firewalld"):
            return False, "firewalld not installed"
        svc = ctx.state.service("firewalld")
        if not (svc["enabled"] and svc["active"]):
            return False, f"firewalld {'enabled' if svc['enabled'] else 'not enabled'}, " \
                          f"{'running' if svc['active'] else 'not running'}"
        public = {m: zone("public", m) for m in firewall.MODES}
        lacking = firewall.missing_ports(public, [f"{p}/tcp" for p in FIREWALL_PORTS])
        for m in firewall.MODES:
            rules = public[m].get("rich rules", [])
            want = {f"{DOCKER_SUBNET} accepted": firewall.accepts_source(public[m], DOCKER_SUBNET)}
            if debian:
                want[f"{POD_CIDR} trusted"] = POD_CIDR in zone("trusted", m).get("sources", [])
                want[f"{POD_CIDR} masqueraded"] = any(
                    r.endswith("masquerade") and f'source address="{POD_CIDR}"' in r for r in rules)
            lacking += [f"{what} {m}" for what, ok in want.items() if not ok]
        if not docker_joined():
            lacking.append("docker0 not in firewalld's docker zone (Docker started before firewalld)")
        return not lacking, f"firewalld lacks: {', '.join(lacking)}" if lacking else \
            "public zone opens the ports and accepts the Docker subnet, on disk and in force; docker0 in zone docker"

    def kube_canaries() -> bool:
        rc, _ = k.run("iptables -t mangle -S KUBE-PROXY-CANARY && iptables -t mangle -S KUBE-KUBELET-CANARY")
        return rc == 0

    def apply() -> None:
        cluster = kube_canaries()
        if debian and not ctx.state.package("firewalld"):
            ctx.sh("apt-get install -y -o DPkg::Lock::Timeout=300 firewalld", timeout=600)
        # the document's lines as its shell (bash) reads them: sh does not expand {6443,...}
        ctx.sh("systemctl enable --now firewalld", *(f"bash -c {shlex.quote(c)}" if "{" in c else c for c in cmds),
               "firewall-cmd --reload")
        if not docker_joined():  # live-restore keeps the containers (and the cluster) up meanwhile
            ctx.sh("systemctl restart docker")
        if cluster:  # a reload flushed iptables' tables: kube-proxy and kubelet make their rules again
            ctx.say("waiting for kube-proxy and kubelet to remake their iptables rules after the reload")
            _wait(ctx, kube_canaries, 120, "KUBE-PROXY-CANARY and KUBE-KUBELET-CANARY back")

    shown = ("dnf/apt-get install firewalld (if absent)", "systemctl enable --now firewalld", *cmds,
             "firewall-cmd --reload", "systemctl restart docker  (once: Docker joins firewalld when it starts)")
    return Step("firewall: control-plane ports and the Docker subnet", ("k8s-prep-03",), check, apply, shown)


# --- Debian, offline: built from source, images made here, kubelet supervised ----------------------


def debian_steps(ctx: Any, k: Cluster) -> list[Step]:
    out: list[Step] = [lock_step(ctx), build_step(ctx)]

    def tools_check() -> tuple[bool, str]:
        missing = [p for p in HOST_TOOLS if not ctx.state.package(p)]
        return not missing, f"missing: {' '.join(missing)}" if missing else "kubeadm's host tools installed"

    tools_cmd = f"apt-get install -y -o DPkg::Lock::Timeout=300 {' '.join(HOST_TOOLS)}"
    out.append(Step("host tools for kubeadm and CNI", ("k8s-init-01",), tools_check,
                    lambda: ctx.sh(tools_cmd, timeout=600), (tools_cmd,)))

    def bins_check() -> tuple[bool, str]:
        rc, _ = k.run(" && ".join(f"cmp -s {CACHE}/bin/{b} /usr/local/bin/{b}" for b in HOST_BINARIES))
        return rc == 0, "kubeadm, kubelet, kubectl installed from the build" if rc == 0 else "not installed or stale"

    bins_cmd = f"install -m 755 {CACHE}/bin/kubeadm {CACHE}/bin/kubelet {CACHE}/bin/kubectl /usr/local/bin/"
    # the release they are (k8s-inst-05) is the build's: this lab's deviation from the document is waived
    out.append(Step("kubeadm, kubelet and kubectl", ("k8s-inst-01", "k8s-inst-05"), bins_check,
                    lambda: ctx.sh(bins_cmd), (bins_cmd,)))
    out += [sysctl_step(ctx), swap_step(ctx)]
    if ctx.state.facts.systemd_is_init:  # firewalld needs systemd (and D-Bus); elsewhere k8s-prep-03 does not apply
        out.append(firewall_step(ctx, k))

    images_script = f"{LIBEXEC}/k8s-images.sh"

    def recipe(ref: str) -> str | None:
        return (((ctx.state.image(ref) or {}).get("Config") or {}).get("Labels") or {}).get("org.labconform.recipe")

    def images_check() -> tuple[bool, str]:
        stale = [ref for ref in IMAGES if recipe(ref) != IMAGES_RECIPE]
        return not stale, f"absent or stale: {' '.join(stale)}" if stale else f"{len(IMAGES)} images built"

    def images_apply() -> None:
        ctx.put(images_script, (FILES / "k8s-images.sh").read_bytes(), 0o755)
        run_watched(ctx, f"{images_script} {CACHE} {IMAGES_RECIPE} {DEBIAN_MIRROR}",
                    "/var/log/labconform/k8s-images.log", "control-plane images", timeout=900)

    out.append(Step("control-plane images", ("k8s-init-02",), images_check, images_apply,
                    (f"debootstrap base with iptables conntrack etcd-server; docker build {' '.join(IMAGES)}",)))

    conflist = (FILES / "k8s-bridge.conflist").read_bytes()

    def cni_check() -> tuple[bool, str]:
        missing = [p for p in CNI_PLUGINS if ctx.state.raw(f"/opt/cni/bin/{p}") is None]
        ok = not missing and ctx.state.raw(CNI_CONF) == conflist
        return ok, "bridge CNI on 10.244.0.0/24" if ok else f"plugins missing {missing} or {CNI_CONF} differs"

    def cni_apply() -> None:
        ctx.sh("mkdir -p /opt/cni/bin /etc/cni/net.d", "cp -a /usr/lib/cni/. /opt/cni/bin/")
        ctx.put(CNI_CONF, conflist)

    out.append(Step("bridge CNI in place of Flannel (declared deviation)", ("k8s-net-01", "k8s-net-02"),
                    cni_check, cni_apply, ("cp /usr/lib/cni/* /opt/cni/bin/", f"write {CNI_CONF}")))

    if ctx.state.facts.systemd_is_init:
        out += systemd_kubelet_steps(ctx, k)
    else:
        out += supervised_kubelet_steps(ctx, k)
    out.append(profile_step(ctx))
    return out + cluster_steps(ctx, k)


def init_check_of(ctx: Any, k: Cluster) -> Any:
    def check() -> tuple[bool, str]:
        if ctx.state.raw(ADMIN_CONF) is None:
            return False, f"{ADMIN_CONF} absent"
        if not k.healthy():
            return False, "the API server does not answer"
        names = [n["metadata"]["name"] for n in k.nodes()]
        ok = ctx.state.facts.hostname in names
        return ok, f"control plane up, node {names}" if ok else f"node {ctx.state.facts.hostname} not registered"

    return check


INIT_CLAIMS = ("k8s-init-01", "k8s-init-02", "k8s-init-05", "k8s-net-02", "k8s-prep-04")


def supervised_kubelet_steps(ctx: Any, k: Cluster) -> list[Step]:
    """Where systemd is not the init: kubelet kept up by labconform's supervisor, kubeadm init with flags."""
    wrapper = (FILES / "k8s-kubelet.sh").read_bytes()

    def kubelet_check() -> tuple[bool, str]:
        ok = ctx.state.raw(KUBELET_WRAPPER) == wrapper and ctx.state.service("kubelet")["active"]
        return ok, "kubelet supervised" if ok else "kubelet not supervised"

    def kubelet_apply() -> None:
        ctx.put(KUBELET_WRAPPER, wrapper, 0o755)
        restart_supervised(ctx, "kubelet", KUBELET_WRAPPER)
        # a cluster left by an earlier session comes back from its static pods: give it the time to
        if ctx.state.raw("/etc/kubernetes/manifests/kube-apiserver.yaml") is not None:
            try:
                until(k.healthy, timeout=90, interval=1, what="API server back")
            except WaitTimeout:
                ctx.say("the earlier control plane did not come back: kubeadm init will start afresh")

    init_check = init_check_of(ctx, k)

    def init_apply() -> None:
        # no kubelet of the old cluster may recreate its pods while it is reset (its certificates are stale too)
        stop_supervised(ctx, "kubelet")
        # kubeadm reset removes the k8s_ containers it knows; an exited one whose sandbox is gone would stop the
        # next kubelet at start ("no PodsandBox found"): those, made by this lab's kubelet, go too
        ctx.sh("kubeadm reset -f", "docker ps -aq --filter name=k8s_ | xargs -r docker rm -f", timeout=180)
        restart_supervised(ctx, "kubelet", KUBELET_WRAPPER)
        ctx.sh(init_command(), timeout=600)
        _wait(ctx, lambda: init_check()[0], 120, "control plane up")

    return [
        Step("kubelet supervised", ("k8s-inst-02", "k8s-inst-03"), kubelet_check, kubelet_apply,
             (f"supervise.sh kubelet {KUBELET_WRAPPER}  (in the background)",)),
        Step("kubeadm init", INIT_CLAIMS, init_check, init_apply,
             ("kubeadm reset -f  (a half-built or stale cluster)", init_command())),
    ]


KUBELET_UNIT = "/etc/systemd/system/kubelet.service"
KUBELET_DROPIN = "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf"
KUBEADM_CONFIG = "/etc/kubernetes/kubeadm-config.yaml"


def systemd_init_command() -> str:
    return (f"kubeadm init --config={KUBEADM_CONFIG} --skip-phases=addon/coredns "
            "--ignore-preflight-errors=ImagePull")


def systemd_kubelet_steps(ctx: Any, k: Cluster) -> list[Step]:
    """Where systemd is the init, as the document: kubelet's unit with kubeadm's drop-in, enabled; kubeadm init
    with the systemd cgroup driver (read from a config file, since kubeadm takes no flag for it)."""
    files = {KUBELET_UNIT: (FILES / "kubelet.service").read_bytes(),
             KUBELET_DROPIN: (FILES / "10-kubeadm.conf").read_bytes()}
    config = (FILES / "kubeadm-systemd.yaml").read_bytes()

    def unit_check() -> tuple[bool, str]:
        differ = [p for p, data in files.items() if ctx.state.raw(p) != data]
        svc = ctx.state.service("kubelet")
        # before kubeadm init kubelet has nothing to run; after it, it must be running too
        running = svc["active"] or ctx.state.raw(ADMIN_CONF) is None
        ok = not differ and svc["enabled"] and running
        return ok, "kubelet.service and 10-kubeadm.conf in place, enabled" + (", running" if svc["active"] else "") \
            if ok else f"differ or missing: {differ}; kubelet enabled {svc['enabled']}, running {svc['active']}"

    def unit_apply() -> None:
        for path, data in files.items():
            if ctx.state.raw(path) != data:
                ctx.put(path, data)
        ctx.sh("systemctl daemon-reload", "systemctl enable kubelet")
        if ctx.state.raw(ADMIN_CONF) is not None:
            ctx.sh("systemctl start kubelet")

    init_check = init_check_of(ctx, k)

    def init_apply() -> None:
        ctx.put(KUBEADM_CONFIG, config)
        if ctx.state.raw("/etc/kubernetes/manifests/kube-apiserver.yaml") is not None:
            ctx.sh("systemctl start kubelet")
            try:
                until(k.healthy, timeout=90, interval=1, what="API server back")
                ctx.state.forget()
                if init_check()[0]:
                    return
            except WaitTimeout:
                ctx.say("the earlier control plane did not come back: kubeadm init will start afresh")
        ctx.sh("systemctl stop kubelet", "kubeadm reset -f",
               "docker ps -aq --filter name=k8s_ | xargs -r docker rm -f", timeout=180)
        ctx.sh(systemd_init_command(), "systemctl start kubelet", timeout=600)
        _wait(ctx, lambda: init_check()[0], 120, "control plane up")

    return [
        Step("kubelet unit with kubeadm's drop-in, enabled", ("k8s-inst-02", "k8s-inst-04"), unit_check,
             unit_apply, (f"install kubelet.service {KUBELET_UNIT}", f"install 10-kubeadm.conf {KUBELET_DROPIN}",
                          "systemctl daemon-reload", "systemctl enable kubelet")),
        Step("kubeadm init", (*INIT_CLAIMS, "k8s-inst-03"), init_check, init_apply,
             (f"write {KUBEADM_CONFIG} (pod CIDR {POD_CIDR}, cgroupDriver: systemd)", systemd_init_command(),
              "systemctl start kubelet")),
    ]


def build_step(ctx: Any) -> Step:
    script = f"{LIBEXEC}/k8s-build.sh"

    def check() -> tuple[bool, str]:
        have = (ctx.state.text(f"{CACHE}/bin/RECIPE") or "").strip()
        if have == BUILD_RECIPE:
            return True, f"cached build {have} in {CACHE}/bin"
        return False, f"no cached build of {BUILD_RECIPE} in {CACHE}" + (f" (found {have})" if have else "")

    def apply() -> None:
        ctx.put(script, (FILES / "k8s-build.sh").read_bytes(), 0o755)
        ctx.say("a cold build takes 5 to 11 minutes on 2 cores; a cached one, seconds")
        run_watched(ctx, f"{script} {CACHE} {BUILD_RECIPE}", "/var/log/labconform/k8s-build.log",
                    "Kubernetes build", timeout=3600)

    cmds = (
        "add deb-src to the apt sources; apt-get update",
        "apt-get source --download-only kubernetes; dpkg-source -x kubernetes_*.dsc",
        "replace vendor/github.com/modern-go/reflect2 with golang-github-modern-go-reflect2-dev 1.0.2",
        'make WHAT="cmd/kubelet cmd/kube-apiserver ... cmd/kubeadm cmd/kubectl"  (GOPATH mode)',
        "gcc -static -o pause build/pause/linux/pause.c",
    )
    return Step(f"Kubernetes {K8S_VERSION} built from Debian's source", ("k8s-inst-01",), check, apply, cmds)


# --- Rocky/RHEL: the document's own commands ---------------------------------------------------------


def rhel_steps(ctx: Any, k: Cluster) -> list[Step]:
    out: list[Step] = [lock_step(ctx)]

    out.append(firewall_step(ctx, k))
    out += [sysctl_step(ctx), swap_step(ctx)]

    repo = "/etc/yum.repos.d/kubernetes.repo"

    def repo_check() -> tuple[bool, str]:
        ok = ctx.state.text(repo) == KUBERNETES_REPO.replace("\\$", "$")
        return ok, f"{repo} as in the document" if ok else f"{repo} missing or different"

    out.append(Step("Kubernetes repository", ("k8s-inst-01",), repo_check,
                    lambda: ctx.put(repo, KUBERNETES_REPO.replace("\\$", "$").encode()),
                    (f"cat <<EOT > {repo} ... EOT", "dnf -y upgrade")))

    pkgs = ("kubeadm", "kubelet", "kubectl")

    def pkg_check() -> tuple[bool, str]:
        missing = [p for p in pkgs if not ctx.state.package(p)]
        return not missing, f"missing: {' '.join(missing)}" if missing else "kubeadm, kubelet, kubectl installed"

    pkg_cmd = "dnf -y install kubeadm kubelet kubectl --disableexcludes=kubernetes"
    # the kubeadm package brings kubelet's unit and its drop-in 10-kubeadm.conf
    out.append(Step("kubeadm, kubelet and kubectl", ("k8s-inst-01", "k8s-inst-04", "k8s-inst-05"), pkg_check,
                    lambda: ctx.sh(pkg_cmd), (pkg_cmd,)))

    def se_check() -> tuple[bool, str]:
        rc, outp = k.run("stat -c '%n %C' " + " ".join(SELINUX_DIRS))
        types = {ln.split()[0]: ln.split()[1].split(":")[2] for ln in outp.splitlines() if ln.count(":") >= 3}
        wrong = [d for d in SELINUX_DIRS if types.get(d) not in ("svirt_sandbox_file_t", "container_file_t")]
        return not wrong, "SELinux contexts set" if not wrong else f"SELinux type not set on {wrong}"

    se_cmds = ("mkdir -p /var/lib/etcd", "chcon -Rt svirt_sandbox_file_t /var/lib/etcd",
               "mkdir -p /etc/kubernetes/pki/etcd", "chcon -Rt svirt_sandbox_file_t /etc/kubernetes/pki",
               "mkdir -p /etc/cni/net.d", "chcon -Rt svirt_sandbox_file_t /etc/cni/net.d")
    out.append(Step("SELinux contexts for Kubernetes", ("k8s-prep-05",), se_check, lambda: ctx.sh(*se_cmds), se_cmds))

    def kubelet_check() -> tuple[bool, str]:
        s = ctx.state.service("kubelet")
        return bool(s["enabled"]), "kubelet enabled" if s["enabled"] else "kubelet not enabled"

    out.append(Step("kubelet enabled", ("k8s-inst-02",), kubelet_check, lambda: ctx.sh("systemctl enable kubelet"),
                    ("systemctl enable kubelet",)))

    def init_check() -> tuple[bool, str]:
        ok = ctx.state.text(ADMIN_CONF) is not None and k.healthy()
        return ok, "control plane up" if ok else "no control plane"

    init = f"kubeadm init --pod-network-cidr={POD_CIDR}"
    out.append(Step("kubeadm init",
                    ("k8s-init-01", "k8s-init-02", "k8s-init-05", "k8s-inst-03", "k8s-net-02", "k8s-prep-04"),
                    init_check, lambda: ctx.sh(init, "systemctl start kubelet", timeout=600),
                    (init, "systemctl start kubelet")))
    out.append(profile_step(ctx))
    return out + cluster_steps(ctx, k)


def steps(ctx: Any) -> list[Step]:
    k = Cluster(ctx)
    if ctx.state.facts.family == "rhel":
        return rhel_steps(ctx, k)
    if ctx.state.facts.family == "debian":
        return debian_steps(ctx, k)
    return []

