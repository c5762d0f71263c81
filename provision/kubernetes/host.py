"""The host a cluster needs, both families: one Kubernetes provisioning at a time, bridged traffic through
iptables, no swap, firewalld with the control-plane ports, and root's login profile exporting KUBECONFIG."""

from __future__ import annotations

import fcntl
import os
import shlex
from typing import IO, Any

from labconform.host import firewall
from labconform.kube.kubelab import ADMIN_CONF
from provision.core import Step, wait_or_fail
from provision.kubernetes.cluster import POD_CIDR, Cluster, wait_until

SYSCTL_CONF = "/etc/sysctl.d/k8s.conf"
SYSCTLS = {"net.bridge.bridge-nf-call-ip6tables": "1", "net.bridge.bridge-nf-call-iptables": "1"}
FIREWALL_PORTS = (6443, 2379, 2380, 10250, 10251, 10252)
DOCKER_SUBNET = "172.17.0.0/16"

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
                wait_or_fail(take, 1800, 2, f"{LOCK} free")
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
            wait_until(ctx, kube_canaries, 120, "KUBE-PROXY-CANARY and KUBE-KUBELET-CANARY back")

    shown = ("dnf/apt-get install firewalld (if absent)", "systemctl enable --now firewalld", *cmds,
             "firewall-cmd --reload", "systemctl restart docker  (once: Docker joins firewalld when it starts)")
    return Step("firewall: control-plane ports and the Docker subnet", ("k8s-prep-03",), check, apply, shown)
