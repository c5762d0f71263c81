"""Kubernetes: a one-node kubeadm cluster, hw-deploy and its NodePort (the document's Rocky path, or v1.20.2
built from Debian's source on an offline Debian lab)."""

from __future__ import annotations

from typing import Any

from labconform.kube.kubelab import ADMIN_CONF
from provision.core import DEBIAN_MIRROR, FILES, Step, file_step, image_labels
from provision.kubernetes.app import cluster_steps
from provision.kubernetes.build import CACHE, IMAGES, IMAGES_RECIPE, build_step
from provision.kubernetes.cluster import POD_CIDR, Cluster
from provision.kubernetes.host import firewall_step, lock_step, profile_step, swap_step, sysctl_step
from provision.kubernetes.init import supervised_kubelet_steps, systemd_kubelet_steps
from provision.progress import run_script

HOST_BINARIES = ("kubeadm", "kubelet", "kubectl")
CNI_CONF = "/etc/cni/net.d/10-labconform-bridge.conflist"
CNI_PLUGINS = ("bridge", "host-local", "portmap", "loopback")
# the host tools kubeadm's preflight looks for (conntrack, ip, ethtool, socat, ebtables, nsenter)
HOST_TOOLS = ("conntrack", "ebtables", "ethtool", "socat", "iproute2", "util-linux", "containernetworking-plugins")
SELINUX_DIRS = ("/var/lib/etcd", "/etc/kubernetes/pki", "/etc/cni/net.d")

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
KUBERNETES_REPO_TEXT = KUBERNETES_REPO.replace("\\$", "$")  # the file as the heredoc writes it


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

    def recipe(ref: str) -> str | None:
        return image_labels(ctx.state.image(ref)).get("org.labconform.recipe")

    def images_check() -> tuple[bool, str]:
        stale = [ref for ref in IMAGES if recipe(ref) != IMAGES_RECIPE]
        return not stale, f"absent or stale: {' '.join(stale)}" if stale else f"{len(IMAGES)} images built"

    def images_apply() -> None:
        run_script(ctx, "k8s-images.sh", f"{CACHE} {IMAGES_RECIPE} {DEBIAN_MIRROR}",
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


# --- Rocky/RHEL: the document's own commands ---------------------------------------------------------


def rhel_steps(ctx: Any, k: Cluster) -> list[Step]:
    out: list[Step] = [lock_step(ctx)]

    out.append(firewall_step(ctx, k))
    out += [sysctl_step(ctx), swap_step(ctx)]

    repo = "/etc/yum.repos.d/kubernetes.repo"

    out.append(file_step(ctx, "Kubernetes repository", ("k8s-inst-01",), repo, KUBERNETES_REPO_TEXT,
                         f"{repo} as in the document", (f"cat <<EOT > {repo} ... EOT", "dnf -y upgrade")))

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
