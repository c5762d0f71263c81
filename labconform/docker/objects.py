"""A lab's own claims about its Docker engine, for any image or container an admin names: an image present,
with a label or an environment variable; a container running, healthy, publishing a port. Read from the
engine's API over the lab's one connection (`docker image inspect`, `docker inspect`)."""

from __future__ import annotations

from typing import Any

from labconform.docker.containers import DockerLab
from labconform.judged import Judged


def _image(dl: DockerLab, ref: str) -> tuple[dict[str, Any] | None, str]:
    return dl.image(ref), f"docker image inspect {ref} (the engine's API at {dl.base_url})"


def judged_image(dl: DockerLab, ref: str) -> Judged:
    attrs, how = _image(dl, ref)
    found = {"id": attrs["Id"][:19], "tags": attrs.get("RepoTags") or []} if attrs else "no such image"
    return Judged(attrs is not None, f"image {ref}", "present", found, how)


def judged_image_label(dl: DockerLab, ref: str, key: str, value: str) -> Judged:
    attrs, how = _image(dl, ref)
    labels = ((attrs or {}).get("Config") or {}).get("Labels") or {}
    found = {key: labels.get(key, "no such label")} if attrs else "no such image"
    return Judged(attrs is not None and labels.get(key) == value, f"image {ref}", {key: value}, found, how)


def judged_image_env(dl: DockerLab, ref: str, key: str, value: str) -> Judged:
    """The image's configured environment sets `key` to `value` (what a container of it starts with)."""
    attrs, how = _image(dl, ref)
    env = dict(e.split("=", 1) for e in ((attrs or {}).get("Config") or {}).get("Env") or [] if "=" in e)
    found = {key: env.get(key, "not set")} if attrs else "no such image"
    return Judged(attrs is not None and env.get(key) == value, f"image {ref}", {key: value}, found, how)


def _container(dl: DockerLab, name: str) -> tuple[dict[str, Any] | None, str]:
    return dl.container(name), f"docker inspect {name} (the engine's API at {dl.base_url})"


def judged_running(dl: DockerLab, name: str) -> Judged:
    attrs, how = _container(dl, name)
    state = (attrs or {}).get("State") or {}
    found = {"status": state.get("Status"), "image": (attrs or {}).get("Config", {}).get("Image")} if attrs \
        else "no such container"
    return Judged(state.get("Status") == "running", f"container {name}", {"status": "running"}, found, how)


def judged_healthy(dl: DockerLab, name: str) -> Judged:
    """The container's own health check says healthy (a container without one cannot be: failed, said so)."""
    attrs, how = _container(dl, name)
    health = ((attrs or {}).get("State") or {}).get("Health")
    found = "no such container" if attrs is None else (health or {}).get("Status", "no health check")
    return Judged(found == "healthy", f"container {name}", "healthy", found, how,
                  details={"last checks": (health or {}).get("Log", [])[-3:]} if health else {})


def judged_publishes(dl: DockerLab, name: str, port: int, host_port: int | None = None) -> Judged:
    """The container publishes its TCP `port` on the host (on `host_port`, when given)."""
    attrs, how = _container(dl, name)
    bound = (((attrs or {}).get("NetworkSettings") or {}).get("Ports") or {}).get(f"{port}/tcp") or []
    ports = sorted({int(b["HostPort"]) for b in bound if b.get("HostPort", "").isdigit()})
    ok = bool(ports) and (host_port is None or host_port in ports)
    expected = f"{port}/tcp on host port {host_port}" if host_port else f"{port}/tcp published"
    found = ports or ("no such container" if attrs is None else "not published")
    return Judged(ok, f"container {name}", expected, found, how)
