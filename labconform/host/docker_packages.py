"""The packages the document installs, per host family (Debian's equivalents where it has no dnf)."""

from __future__ import annotations

DOCKER_ENGINE = {
    "rhel": ("docker-ce", "docker-ce-cli", "containerd.io"),
    "debian": ("docker.io", "containerd", "runc", "iptables"),
}
# Rocky ships these and they clash with Docker: the document erases them
CLASHING_WITH_DOCKER = ("podman", "buildah")


def docker_engine(family: str) -> tuple[str, ...]:
    return DOCKER_ENGINE.get(family, DOCKER_ENGINE["debian"])
