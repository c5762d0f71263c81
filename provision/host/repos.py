"""The RHEL family's package repositories and SELinux settings, as the document sets them: Docker CE's
repository, container_manage_cgroup on, SELinux kept enforcing with container-selinux, the Kubernetes
repository. The Debian labs take Docker (docker.io) and Kubernetes (built from Debian's source package) from
Debian's own archive, offline: none of these steps is theirs, and none reaches a network there."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from labconform.host import repos
from provision.core import Step, StepFailed
from provision.docker.engine import DOCKER_CE_REPO
from provision.kubernetes.steps import KUBERNETES_REPO_TEXT

KUBERNETES_REPO_FILE = f"{repos.YUM_DIR}/kubernetes.repo"
CGROUP_BOOLEAN = "container_manage_cgroup"


def _rhel_only(steps: Callable[[Any], list[Step]]) -> Callable[[Any], list[Step]]:
    """The steps of a RHEL-family lab; none on the other labs."""

    @functools.wraps(steps)
    def family_steps(ctx: Any) -> list[Step]:
        return steps(ctx) if ctx.state.facts.family == "rhel" else []

    return family_steps


def _repository_check(ctx: Any, repo: str) -> tuple[bool, str]:
    j = repos.judge(repo, "rhel", ctx.state.repo_files(), "the family's repository files")
    return j.ok, f"{repo} repository {'configured' if j.ok else 'not configured'}: {j.found}"


@_rhel_only
def docker_steps(ctx: Any) -> list[Step]:
    """Before the engine: the document's docker-ce.repo (dnf-plugins-core's config-manager writes it)."""
    cmd = f"dnf config-manager --add-repo={DOCKER_CE_REPO}"
    return [Step("Docker CE repository", ("docker-08",), lambda: _repository_check(ctx, "Docker CE"),
                 lambda: ctx.sh(cmd), (cmd,))]


@_rhel_only
def docker_selinux_steps(ctx: Any) -> list[Step]:
    """After the engine (container-selinux, a dependency of docker-ce, defines the boolean): setsebool -P."""
    cmd = f"setsebool -P {CGROUP_BOOLEAN} on"

    def check() -> tuple[bool, str]:
        b = ctx.state.selinux_boolean(CGROUP_BOOLEAN)
        if b is None:
            return False, f"{CGROUP_BOOLEAN}: SELinux state not known (no SELinux, or not recorded)"
        return b.get("now") == b.get("persistent") == "on", f"{CGROUP_BOOLEAN}: {b}"

    return [Step(f"SELinux boolean {CGROUP_BOOLEAN}", ("docker-09",), check, lambda: ctx.sh(cmd), (cmd,))]


SELINUX_CONFIG = "/etc/selinux/config"
RETAIN = {
    "container policy": "dnf -y install container-selinux",
    "at boot": f"sed -i 's/^SELINUX=.*/SELINUX=enforcing/' {SELINUX_CONFIG}",
    "now": "setenforce 1",
}
WANT = {"now": "Enforcing", "at boot": "enforcing"}


@_rhel_only
def kubernetes_steps(ctx: Any) -> list[Step]:
    """The document's "Retain SELinux" and its kubernetes.repo, before kubeadm, kubelet and kubectl."""

    def wrong() -> dict[str, Any] | None:
        s = ctx.state.selinux()
        if s is None:
            return None
        return {k: v for k, v in s.items() if (v != WANT[k] if k in WANT else "not installed" in v)}

    def se_check() -> tuple[bool, str]:
        bad = wrong()
        if bad is None:
            return False, "SELinux state not known (not recorded, or no SELinux in the kernel)"
        return not bad, "SELinux enforcing, container-selinux installed" if not bad else f"SELinux: {bad}"

    def se_apply() -> None:
        bad = wrong()
        if bad is None:  # disabled at boot: setenforce cannot help; relabelling needs a reboot
            raise StepFailed(f"no SELinux in the running kernel: set SELINUX=enforcing in {SELINUX_CONFIG}, "
                             "touch /.autorelabel and reboot")
        ctx.sh(*(RETAIN[k] for k in RETAIN if k in bad))

    def repo_apply() -> None:
        ctx.put(KUBERNETES_REPO_FILE, KUBERNETES_REPO_TEXT.encode())

    return [Step("SELinux enforcing with container-selinux", ("k8s-prep-08",), se_check, se_apply,
                 tuple(RETAIN.values())),
            Step("Kubernetes repository definition", ("k8s-inst-06",), lambda: _repository_check(ctx, "Kubernetes"),
                 repo_apply, (f"cat <<EOT > {KUBERNETES_REPO_FILE} ... EOT",))]
