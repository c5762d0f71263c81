"""Kubernetes v1.20.2 built from Debian's source for the offline lab, and its control-plane images: cached on
the lab host under CACHE, rebuilt only when the recipe changes."""

from __future__ import annotations

from typing import Any

from provision.core import Step
from provision.kubernetes.cluster import K8S_VERSION
from provision.progress import run_script

CACHE = "/var/cache/labconform/kubernetes"
# bump when k8s-build.sh changes what it produces: the cached build is then rebuilt
BUILD_RECIPE = "v1.20.2+reflect2-1.0.2+pause-static.1"
IMAGES_RECIPE = f"{BUILD_RECIPE}+images.1"
# what kubeadm v1.20.2 pulls; built locally on the offline lab
IMAGES = tuple(f"k8s.gcr.io/{c}:{K8S_VERSION}" for c in
               ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")) + (
    "k8s.gcr.io/etcd:3.4.13-0", "k8s.gcr.io/pause:3.2")


def build_step(ctx: Any) -> Step:
    def check() -> tuple[bool, str]:
        have = (ctx.state.text(f"{CACHE}/bin/RECIPE") or "").strip()
        if have == BUILD_RECIPE:
            return True, f"cached build {have} in {CACHE}/bin"
        return False, f"no cached build of {BUILD_RECIPE} in {CACHE}" + (f" (found {have})" if have else "")

    def apply() -> None:
        run_script(ctx, "k8s-build.sh", f"{CACHE} {BUILD_RECIPE}", "/var/log/labconform/k8s-build.log",
                   "Kubernetes build", timeout=3600,
                   note="a cold build takes 5 to 11 minutes on 2 cores; a cached one, seconds")

    cmds = (
        "add deb-src to the apt sources; apt-get update",
        "apt-get source --download-only kubernetes; dpkg-source -x kubernetes_*.dsc",
        "replace vendor/github.com/modern-go/reflect2 with golang-github-modern-go-reflect2-dev 1.0.2",
        'make WHAT="cmd/kubelet cmd/kube-apiserver ... cmd/kubeadm cmd/kubectl"  (GOPATH mode)',
        "gcc -static -o pause build/pause/linux/pause.c",
    )
    return Step(f"Kubernetes {K8S_VERSION} built from Debian's source", ("k8s-inst-01",), check, apply, cmds)
