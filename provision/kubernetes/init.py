"""kubeadm init on Debian and the kubelet it needs: supervised by labconform where systemd is not the init,
a systemd unit with kubeadm's drop-in where it is."""

from __future__ import annotations

from typing import Any

from labconform.errors import WaitTimeout
from labconform.kube.kubelab import ADMIN_CONF
from labconform.poll import until
from provision.core import FILES, LIBEXEC, Step, differing, put_differing
from provision.docker.engine import restart_supervised, stop_supervised
from provision.kubernetes.cluster import K8S_VERSION, POD_CIDR, Cluster, wait_until

KUBELET_WRAPPER = f"{LIBEXEC}/k8s-kubelet.sh"
APISERVER_MANIFEST = "/etc/kubernetes/manifests/kube-apiserver.yaml"  # a cluster an earlier session left
# kubeadm's preflight asks systemctl whether docker is enabled: without systemd that check cannot pass; and it
# pulls every image, CoreDNS's too, which no registry serves offline (its addon phase is skipped, the
# control-plane images are built here by an earlier step)
IGNORED_PREFLIGHT = ("Service-Docker", "ImagePull")


def init_command() -> str:
    ignore = ",".join(IGNORED_PREFLIGHT)
    return (f"kubeadm init --kubernetes-version={K8S_VERSION} --pod-network-cidr={POD_CIDR} "
            f"--skip-phases=addon/coredns --ignore-preflight-errors={ignore}")


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


def came_back(ctx: Any, k: Cluster) -> bool:
    """Whether the control plane an earlier session left came back from its static pods, given 90 s."""
    try:
        until(k.healthy, timeout=90, interval=1, what="API server back")
        return True
    except WaitTimeout:
        ctx.say("the earlier control plane did not come back: kubeadm init will start afresh")
        return False


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
        if ctx.state.raw(APISERVER_MANIFEST) is not None:
            came_back(ctx, k)

    init_check = init_check_of(ctx, k)

    def init_apply() -> None:
        # no kubelet of the old cluster may recreate its pods while it is reset (its certificates are stale too)
        stop_supervised(ctx, "kubelet")
        # kubeadm reset removes the k8s_ containers it knows; an exited one whose sandbox is gone would stop the
        # next kubelet at start ("no PodsandBox found"): those, made by this lab's kubelet, go too
        ctx.sh("kubeadm reset -f", "docker ps -aq --filter name=k8s_ | xargs -r docker rm -f", timeout=180)
        restart_supervised(ctx, "kubelet", KUBELET_WRAPPER)
        ctx.sh(init_command(), timeout=600)
        wait_until(ctx, lambda: init_check()[0], 120, "control plane up")

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
        differ = differing(ctx, files)
        svc = ctx.state.service("kubelet")
        # before kubeadm init kubelet has nothing to run; after it, it must be running too
        running = svc["active"] or ctx.state.raw(ADMIN_CONF) is None
        ok = not differ and svc["enabled"] and running
        return ok, "kubelet.service and 10-kubeadm.conf in place, enabled" + (", running" if svc["active"] else "") \
            if ok else f"differ or missing: {differ}; kubelet enabled {svc['enabled']}, running {svc['active']}"

    def unit_apply() -> None:
        put_differing(ctx, files)
        ctx.sh("systemctl daemon-reload", "systemctl enable kubelet")
        if ctx.state.raw(ADMIN_CONF) is not None:
            ctx.sh("systemctl start kubelet")

    init_check = init_check_of(ctx, k)

    def init_apply() -> None:
        ctx.put(KUBEADM_CONFIG, config)
        if ctx.state.raw(APISERVER_MANIFEST) is not None:
            ctx.sh("systemctl start kubelet")
            if came_back(ctx, k):
                ctx.state.forget()
                if init_check()[0]:
                    return
        ctx.sh("systemctl stop kubelet", "kubeadm reset -f",
               "docker ps -aq --filter name=k8s_ | xargs -r docker rm -f", timeout=180)
        ctx.sh(systemd_init_command(), "systemctl start kubelet", timeout=600)
        wait_until(ctx, lambda: init_check()[0], 120, "control plane up")

    return [
        Step("kubelet unit with kubeadm's drop-in, enabled", ("k8s-inst-02", "k8s-inst-04"), unit_check,
             unit_apply, (f"install kubelet.service {KUBELET_UNIT}", f"install 10-kubeadm.conf {KUBELET_DROPIN}",
                          "systemctl daemon-reload", "systemctl enable kubelet")),
        Step("kubeadm init", (*INIT_CLAIMS, "k8s-inst-03"), init_check, init_apply,
             (f"write {KUBEADM_CONFIG} (pod CIDR {POD_CIDR}, cgroupDriver: systemd)", systemd_init_command(),
              "systemctl start kubelet")),
    ]
